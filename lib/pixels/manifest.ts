/**
 * The dataset format, written down once. The server writes it (lib/server/datasets), the
 * browser reads it (lib/runtime, app/): both import these schemas.
 *
 * Bytes on disk / over HTTP
 * - A dataset is one manifest (this schema, served as JSON by GET /api/datasets/:id) plus shards
 *   (GET /api/datasets/:id/shards/:file).
 * - Every image is prepared to exactly width×height×3 sRGB bytes and tokenized to a fixed-length
 *   sequence of `seqLength` tokens:
 *     rgb:     seqLength = 3·H·W, token = channel value, raster order R,G,B of pixel 0, pixel 1, …;
 *              vocabSize = 256.
 *     palette: seqLength = H·W, token = index of the nearest of K palette colours (raster order);
 *              vocabSize = K; the palette is K×3 bytes, stored here as a flat array [r0,g0,b0,r1,…].
 * - A shard is the image sequences of one split concatenated, no header, no padding:
 *     Uint8 tokens when vocabSize ≤ 256 (bytesPerToken 1),
 *     Uint16 little-endian when vocabSize > 256 (bytesPerToken 2).
 *   Shard byte length = images × seqLength × bytesPerToken. Shards are immutable; `sha256` is the
 *   hash of the shard bytes (served as its ETag).
 * - Images are split train/validation by a seeded shuffle (`seed`); `splits.*.sources[i]` is the
 *   index into `source.files` of the i-th image of that split (in shard order).
 * - `source.files` lists the accepted input files with the sha256 of their original bytes.
 * - Optional classes: `classes` names them (at most MAX_CLASSES); `splits.*.labels[i]` is the class
 *   index of the i-th image of that split, parallel to `sources`. Unlabelled datasets have neither.
 */
import { z } from 'zod';
import { MAX_PALETTE_SIZE, MIN_PALETTE_SIZE, paletteTokensToRgb } from './palette';
import { tokensToRgb } from './rgb';

export const FORMAT = 'reformer-studio/dataset@1';
export const MIN_SIDE = 8;
export const MAX_SIDE = 256;
export const TOKENIZATIONS = ['rgb', 'palette'] as const;
export type Tokenization = (typeof TOKENIZATIONS)[number];

const side = z.number().int().min(MIN_SIDE).max(MAX_SIDE);
const hexColour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'background must be a colour like #ffffff');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** Dataset ids: lowercase letters, digits, `-`; safe in URLs and file paths. */
export const DatasetIdSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'not a dataset id');
/** Shard file names: `<split>-<nnn>.bin`. */
export const ShardFileSchema = z.string().regex(/^(train|validation)-\d{3}\.bin$/, 'not a shard name');

/** What the user chooses when uploading (the `options` form field, as JSON). */
export const DatasetOptionsSchema = z
  .object({
    name: z.string().trim().min(1, 'name is required').max(100),
    width: side.default(32),
    height: side.default(32),
    fit: z.enum(['cover', 'contain']).default('cover'),
    background: hexColour.default('#ffffff'),
    tokenization: z.enum(TOKENIZATIONS).default('rgb'),
    paletteSize: z.number().int().min(MIN_PALETTE_SIZE).max(MAX_PALETTE_SIZE).default(256),
    validationFraction: z.number().min(0).max(0.5).default(0.05),
    seed: z.number().int().min(0).max(0xffffffff).default(0),
  })
  .strict();
export type DatasetOptionsInput = z.input<typeof DatasetOptionsSchema>;
export type DatasetOptions = z.output<typeof DatasetOptionsSchema>;

export const ShardSchema = z.object({
  file: ShardFileSchema,
  images: z.number().int().min(1),
  bytes: z.number().int().min(1),
  sha256,
});
export type Shard = z.infer<typeof ShardSchema>;

/** The most classes a dataset may name: labels fit a byte, with one value left for "no class". */
export const MAX_CLASSES = 255;

const SplitSchema = z.object({
  shards: z.array(ShardSchema),
  sources: z.array(z.number().int().min(0)),
  labels: z.array(z.number().int().min(0)).optional(),
});

export const CountsSchema = z.object({
  train: z.number().int().min(0),
  validation: z.number().int().min(0),
  accepted: z.number().int().min(0),
  skipped: z.number().int().min(0),
});

export const DatasetManifestSchema = z
  .object({
    format: z.literal(FORMAT),
    id: DatasetIdSchema,
    name: z.string().min(1),
    builtin: z.boolean(),
    createdAt: z.iso.datetime(),
    source: z.object({
      credit: z.string().optional(),
      files: z.array(z.object({ name: z.string(), sha256 })),
    }),
    width: side,
    height: side,
    channels: z.literal(3),
    fit: z.enum(['cover', 'contain']),
    background: hexColour,
    tokenization: z.enum(TOKENIZATIONS),
    paletteSize: z.number().int().min(MIN_PALETTE_SIZE).max(MAX_PALETTE_SIZE).optional(),
    palette: z.array(z.number().int().min(0).max(255)).optional(),
    vocabSize: z.number().int().min(2).max(65536),
    seqLength: z.number().int().min(1),
    bytesPerToken: z.union([z.literal(1), z.literal(2)]),
    seed: z.number().int(),
    validationFraction: z.number().min(0).max(0.5),
    counts: CountsSchema,
    splits: z.object({ train: SplitSchema, validation: SplitSchema }),
    skipped: z.array(z.object({ name: z.string(), reason: z.string() })),
    classes: z.array(z.string().min(1)).max(MAX_CLASSES).optional(),
  })
  .superRefine((m, ctx) => {
    const fail = (message: string) => ctx.addIssue({ code: 'custom', message });
    const pixels = m.width * m.height;
    if (m.tokenization === 'rgb') {
      if (m.vocabSize !== 256) fail(`rgb vocabSize must be 256, got ${m.vocabSize}`);
      if (m.seqLength !== 3 * pixels) fail(`rgb seqLength must be 3·W·H = ${3 * pixels}, got ${m.seqLength}`);
      if (m.palette !== undefined) fail('rgb datasets have no palette');
    } else {
      if (m.paletteSize === undefined || m.palette === undefined) fail('palette datasets need paletteSize and palette');
      else {
        if (m.palette.length !== 3 * m.paletteSize)
          fail(`palette must have ${3 * m.paletteSize} entries (K×3), got ${m.palette.length}`);
        if (m.vocabSize !== m.paletteSize) fail(`palette vocabSize must equal paletteSize ${m.paletteSize}`);
      }
      if (m.seqLength !== pixels) fail(`palette seqLength must be W·H = ${pixels}, got ${m.seqLength}`);
    }
    if (m.bytesPerToken !== (m.vocabSize > 256 ? 2 : 1))
      fail(`bytesPerToken must be ${m.vocabSize > 256 ? 2 : 1} for vocab ${m.vocabSize}`);
    for (const split of ['train', 'validation'] as const) {
      const { shards, sources } = m.splits[split];
      const images = shards.reduce((n, s) => n + s.images, 0);
      if (images !== m.counts[split])
        fail(`${split} shards hold ${images} images but counts.${split} is ${m.counts[split]}`);
      if (sources.length !== images) fail(`${split}.sources has ${sources.length} entries for ${images} images`);
      for (const s of shards) {
        if (!s.file.startsWith(`${split}-`)) fail(`shard ${s.file} listed under ${split}`);
        if (s.bytes !== s.images * m.seqLength * m.bytesPerToken)
          fail(`shard ${s.file} has ${s.bytes} bytes, expected images×seqLength×bytesPerToken`);
      }
      if (sources.some((i) => i >= m.source.files.length)) fail(`${split}.sources points past source.files`);
      const labels = m.splits[split].labels;
      if (labels !== undefined) {
        if (m.classes === undefined) fail(`${split}.labels needs classes to name them`);
        if (labels.length !== sources.length)
          fail(`${split}.labels has ${labels.length} entries for ${sources.length} images`);
        if (labels.some((l) => l >= (m.classes?.length ?? 0))) fail(`${split}.labels names a class past classes`);
      }
    }
    if (m.counts.train + m.counts.validation !== m.counts.accepted)
      fail('counts.train + counts.validation must equal counts.accepted');
  });
export type DatasetManifest = z.infer<typeof DatasetManifestSchema>;

/** Each image's class index in `split` (shard order), or undefined for an unlabelled dataset. */
export function imageLabels(
  manifest: Pick<DatasetManifest, 'classes' | 'splits'>,
  split: 'train' | 'validation',
): Int32Array | undefined {
  const labels = manifest.splits[split].labels;
  return manifest.classes && labels ? Int32Array.from(labels) : undefined;
}

/** The list/summary view of a dataset (GET /api/datasets, and the upload's `done` event). */
export const DatasetSummarySchema = z.object({
  id: DatasetIdSchema,
  name: z.string(),
  builtin: z.boolean(),
  width: side,
  height: side,
  tokenization: z.enum(TOKENIZATIONS),
  paletteSize: z.number().int().optional(),
  seqLength: z.number().int(),
  vocabSize: z.number().int(),
  counts: CountsSchema,
  createdAt: z.string(),
  previewUrl: z.string(),
});
export type DatasetSummary = z.infer<typeof DatasetSummarySchema>;

/** One NDJSON line of the POST /api/datasets response stream. */
export const UploadEventSchema = z.union([
  /** First, when other preparations are running: its place in line (1: next). */
  z.object({ type: z.literal('queued'), position: z.number().int() }),
  /** While a zip is expanded: its entries read so far, of the count its directory declares. */
  z.object({ type: z.literal('unzipping'), file: z.string(), done: z.number().int(), total: z.number().int() }),
  z.object({ type: z.literal('progress'), done: z.number().int(), total: z.number().int(), file: z.string() }),
  z.object({ type: z.literal('file'), name: z.string(), status: z.literal('accepted') }),
  /** After the files are read: `palette` images mapped to colour indices so far. */
  z.object({ type: z.literal('tokenizing'), done: z.number().int(), total: z.number().int() }),
  /** Last: accepted images written into shards so far. */
  z.object({ type: z.literal('writing'), done: z.number().int(), total: z.number().int() }),
  z.object({ type: z.literal('file'), name: z.string(), status: z.literal('skipped'), reason: z.string() }),
  z.object({ type: z.literal('done'), dataset: DatasetSummarySchema }),
  z.object({ type: z.literal('error'), code: z.string(), message: z.string() }),
]);
export type UploadEvent = z.infer<typeof UploadEventSchema>;

export function datasetUrl(id: string): string {
  return `/api/datasets/${encodeURIComponent(id)}`;
}
/**
 * A shard's URL, versioned by its hash: the server caches shards for a year, and a dataset that is
 * prepared again under the same id (a built-in, after its preparation changed) gets new URLs.
 */
export function shardUrl(id: string, shard: Pick<Shard, 'file' | 'sha256'>): string {
  return `${datasetUrl(id)}/shards/${encodeURIComponent(shard.file)}?v=${shard.sha256.slice(0, 16)}`;
}
/** The preview's URL, versioned by when the dataset was prepared, for the same reason. */
export function previewUrl(id: string, createdAt: string): string {
  return `${datasetUrl(id)}/preview.png?v=${Date.parse(createdAt).toString(36)}`;
}

export function toSummary(m: DatasetManifest): DatasetSummary {
  return {
    id: m.id,
    name: m.name,
    builtin: m.builtin,
    width: m.width,
    height: m.height,
    tokenization: m.tokenization,
    ...(m.paletteSize !== undefined ? { paletteSize: m.paletteSize } : {}),
    seqLength: m.seqLength,
    vocabSize: m.vocabSize,
    counts: m.counts,
    createdAt: m.createdAt,
    previewUrl: previewUrl(m.id, m.createdAt),
  };
}

export type TokenArray = Uint8Array | Uint16Array;

export interface ShardReader {
  /** All tokens of the shard, [images · seqLength]. */
  tokens: TokenArray;
  images: number;
  /** Tokens of the i-th image of the shard, [seqLength] (a view, not a copy). */
  imageAt(i: number): TokenArray;
}

/** Shard bytes → typed tokens. Validates the length; decodes Uint16 as little-endian on any host. */
export function readShard(manifest: DatasetManifest, bytes: Uint8Array): ShardReader {
  const perImage = manifest.seqLength * manifest.bytesPerToken;
  if (bytes.byteLength === 0 || bytes.byteLength % perImage !== 0) {
    throw new RangeError(`shard of ${bytes.byteLength} bytes is not a whole number of ${perImage}-byte images`);
  }
  const images = bytes.byteLength / perImage;
  let tokens: TokenArray;
  if (manifest.bytesPerToken === 1) {
    tokens = bytes;
  } else {
    tokens = new Uint16Array(bytes.byteLength / 2);
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < tokens.length; i++) tokens[i] = view.getUint16(2 * i, true);
  }
  const seq = manifest.seqLength;
  return {
    tokens,
    images,
    imageAt(i) {
      if (!Number.isInteger(i) || i < 0 || i >= images) throw new RangeError(`image ${i} is outside 0..${images - 1}`);
      return tokens.subarray(i * seq, (i + 1) * seq);
    },
  };
}

/** A split's shards (in order) as one token array, typed for the manifest's token width. */
export function concatTokens(manifest: Pick<DatasetManifest, 'bytesPerToken'>, parts: TokenArray[]): TokenArray {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const out = manifest.bytesPerToken === 1 ? new Uint8Array(total) : new Uint16Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Typed tokens → shard bytes (Uint16 written little-endian). The inverse of `readShard`. */
export function tokensToShardBytes(tokens: TokenArray, bytesPerToken: 1 | 2): Uint8Array {
  if (bytesPerToken === 1) {
    if (!(tokens instanceof Uint8Array)) throw new TypeError('bytesPerToken 1 needs Uint8Array tokens');
    return tokens;
  }
  const bytes = new Uint8Array(tokens.length * 2);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < tokens.length; i++) view.setUint16(2 * i, tokens[i], true);
  return bytes;
}

/** One image's tokens → interleaved RGB bytes [H·W·3], exactly what the model sees. */
export function tokensToImage(
  manifest: Pick<DatasetManifest, 'tokenization' | 'palette'>,
  tokens: ArrayLike<number>,
): Uint8Array {
  if (manifest.tokenization === 'rgb') return tokensToRgb(tokens);
  if (!manifest.palette) throw new Error('palette dataset without a palette');
  return paletteTokensToRgb(tokens, Uint8Array.from(manifest.palette));
}
