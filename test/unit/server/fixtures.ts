/** Test inputs built on the fly: real images from sharp, hand-made PNG headers and zips. */
import zlib from 'node:zlib';
import sharp from 'sharp';
import { DatasetOptionsSchema } from '@/lib/pixels/manifest';
import { prepareDataset } from '@/lib/server/datasets/prepare';
import type { Storage } from '@/lib/server/storage';

export async function solidImage(
  format: 'png' | 'jpeg' | 'webp',
  width: number,
  height: number,
  colour: { r: number; g: number; b: number; alpha?: number },
): Promise<Uint8Array> {
  const channels = colour.alpha === undefined ? 3 : 4;
  const img = sharp({ create: { width, height, channels, background: colour } });
  return new Uint8Array(await img.toFormat(format).toBuffer());
}

/** Stores dataset `id`: three flat size×size colours (red, green, blue), one of them for validation. */
export async function prepareThreeColours(storage: Storage, id: string, size = 8): Promise<void> {
  const inputs = [
    { name: 'red.png', bytes: await solidImage('png', size, size, { r: 255, g: 0, b: 0 }) },
    { name: 'green.png', bytes: await solidImage('png', size, size, { r: 0, g: 200, b: 0 }) },
    { name: 'blue.png', bytes: await solidImage('png', size, size, { r: 0, g: 0, b: 255 }) },
  ];
  const options = DatasetOptionsSchema.parse({
    name: 'Three colours',
    width: size,
    height: size,
    validationFraction: 0.34,
    seed: 3,
  });
  for await (const _ of prepareDataset(inputs, options, { storage, id })) {
    // drain the events
  }
}

/** A half-red, half-blue PNG (left/right), so orientation and resizing are visible. */
export async function splitImage(width: number, height: number): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw.set(x < width / 2 ? [255, 0, 0] : [0, 0, 255], (y * width + x) * 3);
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
  );
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A well-formed PNG whose IHDR declares width×height (valid CRC) with a tiny IDAT: a pixel bomb. */
export function pixelBombPng(width = 100_000, height = 100_000): Uint8Array {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  return new Uint8Array(
    Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      chunk('IHDR', ihdr),
      chunk('IDAT', zlib.deflateSync(Buffer.alloc(1024))),
      chunk('IEND', Buffer.alloc(0)),
    ]),
  );
}

export interface ZipEntry {
  name: string;
  /** Raw deflate data and its true sizes/CRC; build with `deflated` or `zeroBomb`. */
  compressed: Buffer;
  crc: number;
  size: number;
  /** Uncompressed size written in the headers; defaults to the truth. A bomb may lie. */
  declaredSize?: number;
}

export function deflated(name: string, bytes: Uint8Array): ZipEntry {
  return { name, compressed: zlib.deflateRawSync(bytes), crc: zlib.crc32(bytes), size: bytes.length };
}

/** `mib` MiB of zeros, deflated as a stream (never all in memory): ~2.7 MiB for 600 MiB. */
export async function zeroBomb(name: string, mib: number, declaredSize?: number): Promise<ZipEntry> {
  const zeros = Buffer.alloc(1 << 20);
  const deflate = zlib.createDeflateRaw({ level: 1 });
  const parts: Buffer[] = [];
  deflate.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((resolve) => deflate.on('end', resolve));
  let crc = 0;
  for (let i = 0; i < mib; i++) {
    crc = zlib.crc32(zeros, crc);
    if (!deflate.write(zeros)) await new Promise((r) => deflate.once('drain', r));
  }
  deflate.end();
  await ended;
  return { name, compressed: Buffer.concat(parts), crc, size: mib << 20, declaredSize };
}

/** A minimal zip (deflate, UTF-8 names, no extras) written by hand so tests control every header. */
export function zip(entries: ZipEntry[]): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const size = e.declaredSize ?? e.size;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(e.crc >>> 0, 14);
    local.writeUInt32LE(e.compressed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(e.crc >>> 0, 16);
    central.writeUInt32LE(e.compressed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.compressed);
    centrals.push(central, name);
    offset += 30 + name.length + e.compressed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}

/** Reads an NDJSON response into parsed lines. */
export async function ndjson(response: Response): Promise<Record<string, unknown>[]> {
  const text = await response.text();
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
