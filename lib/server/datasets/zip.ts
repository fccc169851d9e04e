import 'server-only';
import yauzl from 'yauzl';
import { formatBytes } from '@/lib/format';
import { folderClasses } from './classes';
import type { Limits } from './limits';

/**
 * Zip uploads, read defensively: entries one at a time (yauzl lazyEntries), names that would
 * escape the archive refused, and sizes counted while inflating, because a zip bomb's headers lie.
 */

/**
 * One file of a zip: its bytes, or why it was skipped. `label`: the class folder it sits in
 * (classes.ts), when the zip has class folders.
 */
export type ZipItem = ({ name: string; bytes: Uint8Array } | { name: string; reason: string }) & { label?: string };

/** Bytes inflated so far by all the zips of one upload: `limits.zipUncompressedBytes` bounds their sum. */
export interface InflateBudget {
  inflated: number;
}

export function isZip(bytes: Uint8Array): boolean {
  return (
    bytes.length >= 4 &&
    bytes[0] === 0x50 &&
    bytes[1] === 0x4b &&
    (bytes[2] === 3 || bytes[2] === 5) &&
    (bytes[3] === 4 || bytes[3] === 6)
  );
}

/** Why an entry name is unsafe, or undefined if it stays inside the archive. */
export function unsafeEntryName(name: string): string | undefined {
  if (name.includes('\0')) return 'unsafe path in zip: contains a NUL byte';
  const normal = name.replace(/\\/g, '/');
  if (normal.startsWith('/') || /^[a-zA-Z]:/.test(normal)) return 'unsafe path in zip: absolute path';
  if (normal.split('/').includes('..')) return 'unsafe path in zip: escapes the archive with ..';
  return undefined;
}

/** macOS resource forks and dotfiles: silently ignored. */
function isNoise(name: string): boolean {
  const parts = name.replace(/\\/g, '/').split('/');
  return parts.some((p) => p === '__MACOSX' || (p.startsWith('.') && p !== '..'));
}
const isFolder = (name: string) => /[/\\]$/.test(name);

class StopZip extends Error {}

/**
 * Every file entry of the zip, each either its bytes or the reason it was skipped. Stops early
 * (with a skip for the rest) past `maxEntries` entries (unsafe names count too) or when `budget`,
 * shared by every zip of the upload, goes over the uncompressed limit. `onEntry` hears of each entry
 * as it is read, with the count the zip's directory declares (folders and noise included).
 */
export async function readZip(
  zipName: string,
  bytes: Uint8Array,
  limits: Limits,
  maxEntries: number,
  budget: InflateBudget = { inflated: 0 },
  onEntry?: (read: number, declared: number) => void,
): Promise<ZipItem[]> {
  const items: ZipItem[] = [];
  const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(
      Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      { lazyEntries: true, decodeStrings: false, validateEntrySizes: true },
      (err, zip) => (err ? reject(err) : resolve(zip)),
    ),
  ).catch((err: Error) => {
    items.push({ name: zipName, reason: `corrupt zip: ${err.message}` });
    return undefined;
  });
  if (!zipfile) return items;
  const zip: yauzl.ZipFile = zipfile;

  let files = 0;
  let read = 0;
  /** Paths inside the zip: of each item that is a safely named file (by item index), and of folders. */
  const paths = new Map<number, string>();
  const folders: string[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      zipfile.on('error', reject);
      zipfile.on('end', resolve);
      zipfile.on('entry', (entry: yauzl.Entry) => {
        onEntry?.(++read, zipfile.entryCount);
        handleEntry(entry).then(
          () => zipfile.readEntry(),
          (err) => {
            zipfile.close();
            reject(err);
          },
        );
      });
      zipfile.readEntry();
    });
  } catch (err) {
    if (!(err instanceof StopZip)) items.push({ name: zipName, reason: `corrupt zip: ${(err as Error).message}` });
  }
  if (items.length === 0)
    items.push({ name: zipName, reason: 'empty zip: no files inside (folders, dotfiles and __MACOSX are ignored)' });
  labelByFolder();
  return items;

  /** Gives each file its class folder; a class folder with no file at all becomes a skipped item. */
  function labelByFolder(): void {
    const indices = [...paths.keys()];
    const { classOf, emptyClasses } = folderClasses(
      indices.map((i) => paths.get(i)!),
      folders,
    );
    indices.forEach((item, j) => {
      if (classOf[j] !== undefined) items[item].label = classOf[j];
    });
    for (const { name, folder } of emptyClasses)
      items.push({ name: `${zipName}/${folder}`, reason: 'empty folder: no image inside', label: name });
  }

  async function handleEntry(entry: yauzl.Entry): Promise<void> {
    const raw = entry.fileName as unknown as Buffer;
    // General purpose bit 11: UTF-8 names; otherwise CP437, which latin1 approximates well enough for a label.
    const entryName = raw.toString(entry.generalPurposeBitFlag & 0x800 ? 'utf8' : 'latin1');
    const name = `${zipName}/${entryName}`;
    const unsafe = unsafeEntryName(entryName);
    if (!unsafe && isNoise(entryName)) return;
    if (!unsafe && isFolder(entryName)) {
      folders.push(entryName);
      return;
    }
    if (++files > maxEntries) {
      items.push({ name: zipName, reason: `too many files: only the first ${maxEntries} entries were read` });
      throw new StopZip();
    }
    if (unsafe) {
      items.push({ name, reason: unsafe });
      return;
    }
    paths.set(items.length, entryName); // the one item this entry adds next
    if (entry.uncompressedSize > limits.bytesPerFile) {
      items.push({
        name,
        reason: `too large: ${formatBytes(entry.uncompressedSize)} exceeds the ${formatBytes(limits.bytesPerFile)} limit per file`,
      });
      return;
    }
    if (entry.isEncrypted()) {
      items.push({ name, reason: 'unsupported: encrypted zip entry' });
      return;
    }
    const result = await inflate(entry);
    if ('reason' in result) items.push({ name, reason: result.reason });
    else items.push({ name, bytes: result.bytes });
    if (result.stop) {
      items.push({
        name: zipName,
        reason: `zip too large: the upload's zips inflate to more than ${formatBytes(limits.zipUncompressedBytes)}; the rest was not read`,
      });
      throw new StopZip();
    }
  }

  function inflate(entry: yauzl.Entry): Promise<({ bytes: Uint8Array } | { reason: string }) & { stop?: boolean }> {
    return new Promise((resolve) => {
      zip.openReadStream(entry, (err, stream) => {
        if (err || !stream) return resolve({ reason: `corrupt zip entry: ${err?.message ?? 'unreadable'}` });
        const chunks: Buffer[] = [];
        let size = 0;
        let settled = false;
        const finish = (value: ({ bytes: Uint8Array } | { reason: string }) & { stop?: boolean }) => {
          if (settled) return;
          settled = true;
          resolve(value);
        };
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          budget.inflated += chunk.length;
          if (budget.inflated > limits.zipUncompressedBytes) {
            stream.destroy();
            finish({ reason: 'zip too large: inflating it went over the limit (zip bomb?)', stop: true });
          } else if (size > limits.bytesPerFile) {
            stream.destroy();
            finish({ reason: `too large: inflates to more than ${formatBytes(limits.bytesPerFile)} (zip bomb?)` });
          } else {
            chunks.push(chunk);
          }
        });
        stream.on('error', (e: Error) => {
          const lied = /too many bytes|too few bytes/.test(e.message);
          finish({
            reason: lied
              ? `corrupt zip entry: size does not match its header (zip bomb?)`
              : `corrupt zip entry: ${e.message}`,
          });
        });
        stream.on('end', () => finish({ bytes: new Uint8Array(Buffer.concat(chunks)) }));
      });
    });
  }
}
