import 'server-only';
import { createHash, randomBytes } from 'node:crypto';
import {
  type DatasetManifest,
  DatasetManifestSchema,
  type DatasetOptions,
  FORMAT,
  MAX_CLASS_NAME,
  MAX_CLASSES,
  type Shard,
  readShard,
  tokensToImage,
  tokensToShardBytes,
  type TokenArray,
  toSummary,
  type UploadEvent,
} from '@/lib/pixels/manifest';
import { type FitPaletteOptions, fitPaletteSteps, paletteMapper, paletteTokenArray } from '@/lib/pixels/palette';
import { shuffledIndices } from '@/lib/pixels/prng';
import { AppError, badRequest, unavailable } from '../errors';
import type { Storage } from '../storage';
import { decodeToRgb, MAX_DECODES, SkipFile } from './decode';
import { formatBytes } from '@/lib/format';
import { LIMITS, type Limits } from './limits';
import { contactSheet } from './preview';
import { hasRoom, takeTurn, type Turn } from './turns';
import { isZip, readZip } from './zip';

/**
 * Upload → dataset: expand zips (their class folders label the images, classes.ts), decode each
 * file with sharp (bounded concurrency, within the upload's budget of decoded pixels), drop
 * duplicates and bad files with a reason, tokenize, split train/validation by a seeded shuffle,
 * write shards, a preview and one per class, and only then commit the record.
 * Yields the upload events the route streams as NDJSON; on failure, or when the client goes away,
 * removes every blob it wrote.
 */

export interface PrepareInput {
  name: string;
  bytes: Uint8Array;
  /**
   * Its class (built-ins; a zip's images take theirs from its folders instead). `null`: an image of
   * no class in a labelled dataset, kept and learned unconditionally; `undefined` beside classes is
   * skipped, as Keras skips files outside class folders.
   */
  label?: string | null;
}

export interface PrepareContext {
  storage: Storage;
  limits?: Limits;
  /** Fixed id (built-ins); default: a slug of the name plus random hex. */
  id?: string;
  builtin?: boolean;
  /** Credit line for the source images, kept in the manifest. */
  credit?: string;
  /** Images in flight for this upload (decode.ts also caps decodes per process). Default: 2 per core. */
  concurrency?: number;
  /**
   * A `palette` dataset's colours, fixed instead of fitted to its images ([r0, g0, b0, r1, …],
   * `paletteSize` of them): a built-in that must speak another's tokens (a held-out test set).
   */
  palette?: Uint8Array;
}

export const datasetBlobPrefix = (id: string) => `datasets/${id}/`;
/** The contact sheet of one class's first images, beside the dataset's `preview.png`. */
export const classPreviewFile = (classId: number) => `preview-class-${String(classId).padStart(3, '0')}.png`;

export function newDatasetId(name: string): string {
  const slug = name
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `${slug || 'dataset'}-${randomBytes(4).toString('hex')}`;
}

type Entry = PrepareInput | { name: string; reason: string; label?: string | null };
interface Accepted {
  name: string;
  sha256: string;
  label?: string | null;
  /** [height·width·3]; emptied once tokenized or copied into a shard, so the pixels go as they are used. */
  rgb: Uint8Array;
}
const EMPTY = new Uint8Array(0);

/**
 * Works on its own copy of `inputs`, dropping each input once it is expanded: an upload's files
 * (up to `requestBytes`) need not all stay in memory for the whole preparation, and the caller's
 * list is left as it was (built-ins reuse theirs). Waits its turn behind `preparationsAtOnce`
 * others, saying so first.
 *
 * Takes its place in line when called, so a full line (`preparationsWaiting`) throws the 503 of
 * `checkPreparationRoom` here, before anything streams or is written. The place is given back when
 * the events end or `return()` is called after the first `next()`: iterate what this returns.
 */
export function prepareDataset(
  inputs: readonly PrepareInput[],
  options: DatasetOptions,
  ctx: PrepareContext,
): AsyncGenerator<UploadEvent, DatasetManifest> {
  const limits = ctx.limits ?? LIMITS;
  const turn = takeTurn(limits.preparationsAtOnce, limits.preparationsWaiting);
  if (!turn) throw lineFull(limits);
  return inTurn(prepare([...inputs], options, ctx), turn);
}

/**
 * Throws the 503 an upload gets when `preparationsWaiting` preparations already wait their turn. The
 * upload route asks before reading the request, so a refused upload's files are never read.
 */
export function checkPreparationRoom(limits: Limits = LIMITS): void {
  if (!hasRoom(limits.preparationsAtOnce, limits.preparationsWaiting)) throw lineFull(limits);
}

const lineFull = (limits: Limits) =>
  unavailable(
    'preparations_waiting',
    `${limits.preparationsWaiting} upload${limits.preparationsWaiting === 1 ? ' is' : 's are'} already waiting to be prepared; try again in a minute.`,
    60,
  );

async function* inTurn(
  preparation: AsyncGenerator<UploadEvent, DatasetManifest>,
  turn: Turn,
): AsyncGenerator<UploadEvent, DatasetManifest> {
  try {
    if (turn.position > 0) {
      yield { type: 'queued', position: turn.position };
      await turn.ready;
    }
    return yield* preparation;
  } finally {
    turn.release();
  }
}

async function* prepare(
  pending: (PrepareInput | undefined)[],
  options: DatasetOptions,
  ctx: PrepareContext,
): AsyncGenerator<UploadEvent, DatasetManifest> {
  const limits = ctx.limits ?? LIMITS;
  const { storage } = ctx;
  const id = ctx.id ?? newDatasetId(options.name);
  if (await storage.getRecord('datasets', id)) throw new AppError('conflict', 409, `dataset ${id} already exists`);

  // 1–2. In functions of their own: a finished loop's last input would otherwise stay in this frame.
  const { entries, classes } = yield* expandInputs(pending, limits);
  const { accepted, skipped, firstSkip } = yield* decodeEntries(
    entries,
    options,
    limits,
    ctx.concurrency ?? MAX_DECODES,
  );

  if (accepted.length === 0) {
    const why = skipped
      .slice(0, 3)
      .map((s) => `${s.name}: ${s.reason}`)
      .join('; ');
    throw new AppError(
      'no_images',
      422,
      `No usable image in the upload${why ? ` (${why}${skipped.length > 3 ? '; …' : ''})` : ''}. Nothing was stored.`,
    );
  }
  const classId = new Map(classes.map((name, i) => [name, i]));
  const labelId = (label: string | null | undefined) => (typeof label === 'string' ? classId.get(label)! : null);
  refuseEmptyClasses(classes, accepted, firstSkip);

  // 3. Tokenize. The pixels are never copied together: at most they and the palette tokens coexist.
  const pixels = options.width * options.height;
  let palette: Uint8Array | undefined;
  /** Image i's tokens, taken once, as it is written into its shard. */
  let takeTokens: (i: number) => TokenArray;
  if (options.tokenization === 'palette') {
    if (ctx.palette && ctx.palette.length !== 3 * options.paletteSize)
      throw new Error(`a fixed palette needs ${3 * options.paletteSize} values, got ${ctx.palette.length}`);
    palette =
      ctx.palette ??
      (await fitPaletteBetweenRequests(
        accepted.map((a) => a.rgb),
        { size: options.paletteSize, seed: options.seed },
      ));
    // Image by image, letting other requests in between: mapping millions of pixels in one go
    // would hold the server's event loop for tens of seconds.
    const map = paletteMapper(palette);
    const tokens = paletteTokenArray(options.paletteSize, accepted.length * pixels);
    let paused = performance.now();
    for (let i = 0; i < accepted.length; i++) {
      map(accepted[i].rgb, tokens.subarray(i * pixels, (i + 1) * pixels));
      accepted[i].rgb = EMPTY;
      if (performance.now() - paused > 50 || i === accepted.length - 1) {
        yield { type: 'tokenizing', done: i + 1, total: accepted.length };
        await new Promise((resolve) => setImmediate(resolve));
        paused = performance.now();
      }
    }
    takeTokens = (i) => tokens.subarray(i * pixels, (i + 1) * pixels);
  } else {
    takeTokens = (i) => {
      const rgb = accepted[i].rgb;
      accepted[i].rgb = EMPTY;
      return rgb;
    };
  }
  const vocabSize = palette ? options.paletteSize : 256;
  const seqLength = palette ? pixels : 3 * pixels;
  const bytesPerToken: 1 | 2 = vocabSize > 256 ? 2 : 1;

  // 4. Split by seeded shuffle; validation takes the first slice, train keeps at least one image.
  const n = accepted.length;
  const order = shuffledIndices(n, options.seed);
  const validationCount = n < 2 ? 0 : Math.min(n - 1, Math.round(n * options.validationFraction));
  const splitOrder = {
    validation: Array.from(order.subarray(0, validationCount)),
    train: Array.from(order.subarray(validationCount)),
  };

  // 5. Write blobs, then the record; on any failure, or a client that goes away, remove what was written.
  const prefix = datasetBlobPrefix(id);
  let stored = false;
  let manifest: DatasetManifest;
  try {
    // The shards the preview reads (the first previewImages images, in the order below); not every
    // shard: that would be a second copy of the whole dataset's tokens.
    const shardBytes: Record<string, Uint8Array> = {};
    let previewable = 0;
    const splits = {} as DatasetManifest['splits'];
    const perShard = Math.max(1, Math.floor(limits.shardBytes / (seqLength * bytesPerToken)));
    // Tokens of each class's first images (in the order written), kept for its own contact sheet.
    const classSheets = classes.map((): TokenArray[] => []);
    const perClassSheet = Math.max(
      1,
      Math.min(
        limits.classPreviewImages,
        Math.floor(limits.classPreviewBytes / (Math.max(1, classes.length) * seqLength * bytesPerToken)),
      ),
    );
    let written = 0;
    yield { type: 'writing', done: written, total: n };
    for (const split of ['train', 'validation'] as const) {
      const shards: Shard[] = [];
      const indices = splitOrder[split];
      for (let s = 0; s * perShard < indices.length; s++) {
        const chunk = indices.slice(s * perShard, (s + 1) * perShard);
        const tokens =
          bytesPerToken === 1 ? new Uint8Array(chunk.length * seqLength) : new Uint16Array(chunk.length * seqLength);
        chunk.forEach((img, j) => {
          const imageTokens = takeTokens(img);
          tokens.set(imageTokens, j * seqLength);
          const label = accepted[img].label;
          const sheet = typeof label === 'string' ? classSheets[classId.get(label)!] : undefined;
          if (sheet && sheet.length < perClassSheet) sheet.push(imageTokens.slice());
        });
        const bytes = tokensToShardBytes(tokens, bytesPerToken);
        const file = `${split}-${String(s).padStart(3, '0')}.bin`;
        await storage.putBlob(prefix + file, bytes);
        if (previewable < limits.previewImages) {
          shardBytes[file] = bytes;
          previewable += chunk.length;
        }
        shards.push({
          file,
          images: chunk.length,
          bytes: bytes.byteLength,
          sha256: createHash('sha256').update(bytes).digest('hex'),
        });
        written += chunk.length;
        yield { type: 'writing', done: written, total: n };
      }
      splits[split] = {
        shards,
        sources: indices,
        ...(classes.length > 0 ? { labels: indices.map((i) => labelId(accepted[i].label)) } : {}),
      };
    }

    manifest = DatasetManifestSchema.parse({
      format: FORMAT,
      id,
      name: options.name,
      builtin: ctx.builtin ?? false,
      createdAt: new Date().toISOString(),
      source: {
        ...(ctx.credit ? { credit: ctx.credit } : {}),
        files: accepted.map((a) => ({ name: a.name, sha256: a.sha256 })),
      },
      width: options.width,
      height: options.height,
      channels: 3,
      fit: options.fit,
      background: options.background.toLowerCase(),
      tokenization: options.tokenization,
      ...(palette ? { paletteSize: options.paletteSize, palette: Array.from(palette) } : {}),
      vocabSize,
      seqLength,
      bytesPerToken,
      seed: options.seed,
      validationFraction: options.validationFraction,
      counts: { train: splitOrder.train.length, validation: validationCount, accepted: n, skipped: skipped.length },
      ...(classes.length > 0 ? { classes } : {}),
      splits,
      skipped,
    } satisfies DatasetManifest);

    // The preview is decoded back from the written shard bytes: exactly what the model will see.
    const previews: Uint8Array[] = [];
    for (const split of ['train', 'validation'] as const) {
      for (const shard of manifest.splits[split].shards) {
        if (previews.length >= limits.previewImages) break;
        const reader = readShard(manifest, shardBytes[shard.file]);
        for (let i = 0; i < reader.images && previews.length < limits.previewImages; i++)
          previews.push(tokensToImage(manifest, reader.imageAt(i)));
      }
    }
    await storage.putBlob(`${prefix}preview.png`, await contactSheet(previews, manifest.width, manifest.height));
    for (const [c, sheet] of classSheets.entries()) {
      const images = sheet.map((t) => tokensToImage(manifest, t));
      await storage.putBlob(prefix + classPreviewFile(c), await contactSheet(images, manifest.width, manifest.height));
    }

    await storage.insertRecord('datasets', id, manifest.createdAt, manifest);
    stored = true;
  } catch (err) {
    if (await storage.getRecord('datasets', id)) throw new AppError('conflict', 409, `dataset ${id} already exists`);
    throw err;
  } finally {
    // Also reached when the client goes away mid-way (the stream calls `return`). Another preparation
    // of this id (a built-in, prepared by two processes at once) may have stored it first: the files
    // are its, and the same bytes. Only a dataset nobody stored is cleaned up.
    if (!stored && !(await storage.getRecord('datasets', id))) await storage.deleteBlobs(prefix).catch(() => {});
  }
  yield { type: 'done', dataset: toSummary(manifest) };
  return manifest;
}

/**
 * 1. Zips expanded into entries, reporting how many entries of each zip are read; everything past
 * the file budget is skipped with a reason. Empties `pending` as it goes. Returns the classes the
 * entries name (sorted, as Keras sorts class folders); when there are any, a file without one (a
 * loose file, or one at the top of a zip with class folders) is skipped: it cannot be labelled.
 */
async function* expandInputs(
  pending: (PrepareInput | undefined)[],
  limits: Limits,
): AsyncGenerator<UploadEvent, { entries: Entry[]; classes: string[] }> {
  const entries: Entry[] = [];
  let fileCount = 0;
  const inflateBudget = { inflated: 0 };
  for (let i = 0; i < pending.length; i++) {
    const input = pending[i]!;
    pending[i] = undefined;
    const room = limits.filesPerUpload - fileCount;
    let expanded: Entry[];
    if (room <= 0) {
      expanded = [{ name: input.name, reason: `too many files: at most ${limits.filesPerUpload} per upload` }];
    } else if (isZip(input.bytes) || /\.zip$/i.test(input.name)) {
      const { name, bytes } = input;
      expanded = yield* latestReports<UploadEvent, Entry[]>((report) =>
        readZip(name, bytes, limits, room, inflateBudget, (done, total) =>
          report({ type: 'unzipping', file: name, done, total }),
        ),
      );
    } else {
      expanded = [input];
    }
    // Skipped entries count too: a zip of thousands of refused names costs as much to report.
    entries.push(...expanded);
    fileCount += expanded.length;
  }
  const classes = [...new Set(entries.flatMap((e) => (typeof e.label === 'string' ? [e.label] : [])))].sort();
  if (classes.length > MAX_CLASSES)
    throw badRequest(
      'too_many_classes',
      `The upload has ${classes.length} class folders; at most ${MAX_CLASSES} are allowed. Merge some folders; nothing was stored.`,
    );
  const long = classes.find((c) => c.length > MAX_CLASS_NAME);
  if (long !== undefined)
    throw badRequest(
      'class_name_too_long',
      `The class folder name "${long.slice(0, MAX_CLASS_NAME)}…" is longer than ${MAX_CLASS_NAME} characters. Rename it; nothing was stored.`,
    );
  if (classes.length > 0)
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i];
      if (e.label === undefined && !('reason' in e))
        entries[i] = {
          name: e.name,
          reason: 'no class: this upload has class folders, and this file is not inside one',
        };
    }
  return { entries, classes };
}

/**
 * A class whose every image was skipped (or whose folder is empty) would be a class the model can
 * never learn: the upload is refused, naming the folders and why their files were skipped.
 */
function refuseEmptyClasses(classes: string[], accepted: Accepted[], firstSkip: Map<string, Skip>): void {
  const used = new Set(accepted.map((a) => a.label));
  const empty = classes.filter((c) => !used.has(c));
  if (empty.length === 0) return;
  const named = empty
    .slice(0, 3)
    .map((c) => {
      const skip = firstSkip.get(c);
      return `"${c}"${skip ? ` (${skip.name}: ${skip.reason})` : ''}`;
    })
    .join(', ');
  throw badRequest(
    'empty_class',
    `${empty.length === 1 ? 'The class folder' : `${empty.length} class folders, among them`} ${named} ${
      empty.length === 1 ? 'has' : 'have'
    } no usable image. Add images or remove the folder${empty.length === 1 ? '' : 's'}; nothing was stored.`,
  );
}

type Skip = { name: string; reason: string };

interface DecodeJob {
  name: string;
  label?: string | null;
  /** Whether it holds a share of the pixel budget, to give back if the decode is skipped. */
  reserved: boolean;
  result: Promise<Accepted | { reason: string }>;
}

/**
 * 2. Decodes in input order with a sliding window of in-flight jobs (decode.ts bounds them
 * process-wide). Each decode reserves its image's bytes of the upload's pixel budget as it starts; a
 * skipped one gives them back. Takes each entry's bytes out of `entries` as its job starts.
 */
async function* decodeEntries(
  entries: Entry[],
  options: DatasetOptions,
  limits: Limits,
  window: number,
): AsyncGenerator<UploadEvent, { accepted: Accepted[]; skipped: Skip[]; firstSkip: Map<string, Skip> }> {
  const total = entries.length;
  const target = { width: options.width, height: options.height, fit: options.fit, background: options.background };
  const imageBytes = options.width * options.height * 3;
  const overBudget =
    `over the ${formatBytes(limits.decodedBytesPerUpload)} limit on decoded pixels per upload ` +
    `(${Math.floor(limits.decodedBytesPerUpload / imageBytes).toLocaleString('en')} images at ${options.width}×${options.height}): ` +
    'upload fewer images or choose a smaller size';
  let reserved = 0;
  const firstByHash = new Map<string, string>();
  const accepted: Accepted[] = [];
  const skipped: Skip[] = [];
  /** The first file of each class that was skipped: what an empty class's refusal cites. */
  const firstSkip = new Map<string, Skip>();
  const inflight: DecodeJob[] = [];
  let done = 0;

  /** Entry i's job: its decode, or the reason it is skipped. Only the decode keeps the bytes. */
  const start = (i: number): DecodeJob => {
    const entry = entries[i];
    entries[i] = { name: entry.name, reason: '' };
    const { name, label } = entry;
    const skip = (reason: string): DecodeJob => ({
      name,
      label,
      reserved: false,
      result: Promise.resolve({ reason }),
    });
    if ('reason' in entry) return skip(entry.reason);
    const sha256 = createHash('sha256').update(entry.bytes).digest('hex');
    const first = firstByHash.get(sha256);
    if (first !== undefined) return skip(`duplicate of ${first}`);
    if (reserved + imageBytes > limits.decodedBytesPerUpload) return skip(overBudget);
    reserved += imageBytes;
    firstByHash.set(sha256, name);
    const result = decodeToRgb(entry.bytes, target, limits).then(
      (rgb): Accepted => ({ name, sha256, rgb, ...(label !== undefined ? { label } : {}) }),
      (err: unknown) => {
        if (err instanceof SkipFile) return { reason: err.reason };
        throw err;
      },
    );
    result.catch(() => {}); // awaited in order by `settle`; this only silences the early-rejection warning
    return { name, label, reserved: true, result };
  };

  const settle = async function* (job: DecodeJob): AsyncGenerator<UploadEvent> {
    const result = await job.result;
    done++;
    if ('rgb' in result) {
      accepted.push(result);
      yield { type: 'file', name: job.name, status: 'accepted' };
    } else {
      if (job.reserved) reserved -= imageBytes;
      skipped.push({ name: job.name, reason: result.reason });
      if (typeof job.label === 'string' && !firstSkip.has(job.label))
        firstSkip.set(job.label, { name: job.name, reason: result.reason });
      yield { type: 'file', name: job.name, status: 'skipped', reason: result.reason };
    }
    yield { type: 'progress', done, total, file: job.name };
  };

  for (let i = 0; i < entries.length; i++) {
    // Near the budget, decodes in flight may yet be skipped and give their bytes back: wait for them.
    while ('bytes' in entries[i] && reserved + imageBytes > limits.decodedBytesPerUpload && inflight.length > 0)
      yield* settle(inflight.shift()!);
    inflight.push(start(i));
    if (inflight.length >= window) yield* settle(inflight.shift()!);
  }
  while (inflight.length > 0) yield* settle(inflight.shift()!);
  return { accepted, skipped, firstSkip };
}

/** `fitPalette`, letting other requests in every ~50 ms: k-means to 512 colours can take seconds of CPU. */
async function fitPaletteBetweenRequests(images: Uint8Array[], options: FitPaletteOptions): Promise<Uint8Array> {
  const steps = fitPaletteSteps(images, options);
  let paused = performance.now();
  for (let step = steps.next(); ; step = steps.next()) {
    if (step.done) return step.value;
    if (performance.now() - paused > 50) {
      await new Promise((resolve) => setImmediate(resolve));
      paused = performance.now();
    }
  }
}

/**
 * Runs `job`, yielding the latest progress it reports whenever the consumer asks and there is news
 * (reports in between are dropped, not queued), then returns what the job returns.
 */
async function* latestReports<E, T>(job: (report: (event: E) => void) => Promise<T>): AsyncGenerator<E, T> {
  let latest: E | undefined;
  let news: (() => void) | undefined;
  let finished = false;
  const result = job((event) => {
    latest = event;
    news?.();
  });
  const settled = result.then(
    () => void (finished = true),
    () => void (finished = true),
  );
  for (;;) {
    if (latest === undefined && !finished)
      await Promise.race([settled, new Promise<void>((resolve) => (news = resolve))]);
    if (latest !== undefined) {
      const event: E = latest;
      latest = undefined;
      yield event;
    } else if (finished) {
      return result;
    }
  }
}
