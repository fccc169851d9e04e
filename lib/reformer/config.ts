/**
 * ReformerConfig: the one typed description of a Reformer LM (Kitaev, Kaiser, Levskaya, ICLR 2020),
 * with a default for every field and a validation that says how to fix a bad value.
 */

export type AttentionKind = 'lsh' | 'local' | 'full';

export interface ReformerConfig {
  /** Number of distinct tokens (256 for `rgb`, K for a K-colour palette). A start token is added internally. */
  vocabSize: number;
  /** Tokens per sequence (one image), e.g. 3·32·32 = 3072 for `rgb` 32×32. */
  seqLength: number;
  /** Width of the residual stream; each reversible half carries dModel. */
  dModel: number;
  /** Attention heads; dModel must be divisible by nHeads. */
  nHeads: number;
  /** Hidden width of the feed-forward layers. */
  dFF: number;
  /** One attention kind per layer; the stack's depth is this array's length. */
  layers: AttentionKind[];
  /** LSH/local chunk length C: each query sees at most C earlier keys per hash round. */
  chunkLength: number;
  /** Hash rounds for LSH layers (paper §2, multi-round LSH). */
  nHashes: number;
  /**
   * Buckets per hash round: even, or 1 to put every position in one bucket; or factors [f1, f2, …]
   * (each even) for f1·f2·… buckets hashed at the cost of f1 + f2 + … (trax's factorised hashing):
   * a round's bucket is f1's bucket + f1 × f2's bucket + …. 'auto' ≈ 2·L/C, factorised from
   * AUTO_FACTORISE_BUCKETS up, where one argmax over all buckets would cost more than attention.
   */
  nBuckets: number | number[] | 'auto';
  /** Axial position embedding shape: its product must be ≥ seqLength, e.g. [32, 32, 3] (height, width, channel). */
  axialShape: number[];
  /**
   * Pixel-neighbour embeddings (embeddings.ts): offsets [dy, dx] or [dy, dx, dc] on the axialShape
   * grid, each strictly before the target in row-major order, e.g. [-1, 0, 0] = the same channel of
   * the pixel above. Each adds a learned embedding of the token found there (or of "none" off the
   * image) to the input, so the nearest pixels reach every layer whatever the hashes. [] = none.
   */
  neighbours: number[][];
  /** Positions per feed-forward chunk (paper §3, chunking); bounds the dFF-wide activations. */
  ffChunkLength: number;
  /** Reversible residual layers (paper §3): training memory independent of depth. */
  reversible: boolean;
  /** Dropout rate on attention and feed-forward outputs during training. */
  dropout: number;
  /**
   * Classes the model is conditioned on (embeddings.ts, class embedding): 0 = unconditional. With
   * N > 0 each sequence takes a class id in [0, N], where N itself means "no class".
   */
  classes: number;
  /** Seed for weight initialisation and the inference-time hash rotations. */
  seed: number;
}

export const DEFAULT_CONFIG: Readonly<ReformerConfig> = Object.freeze({
  vocabSize: 256,
  seqLength: 3072,
  dModel: 256,
  nHeads: 4,
  dFF: 1024,
  layers: ['lsh', 'lsh', 'lsh', 'lsh', 'lsh', 'lsh'] as AttentionKind[],
  chunkLength: 64,
  nHashes: 4,
  nBuckets: 'auto' as const,
  axialShape: [32, 32, 3],
  neighbours: [] as number[][],
  ffChunkLength: 1024,
  reversible: true,
  dropout: 0,
  classes: 0,
  seed: 1,
});

/** The most classes a model may take: class ids travel as Int32 but the table grows by dModel a class. */
export const MAX_MODEL_CLASSES = 65535;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/**
 * A config with every default filled in and `nBuckets` resolved: the bucket count per round, and
 * `bucketFactors` whose product it is ([nBuckets] when not factorised).
 */
export type ResolvedConfig = Omit<ReformerConfig, 'nBuckets'> & {
  nBuckets: number;
  bucketFactors: number[];
  dHead: number;
};

/**
 * 'auto' factorises from this many buckets up. A round's single argmax over NB buckets costs NB/2
 * multiply-adds per dimension and position, against attention's 4·C: at 65,536 tokens and C = 64
 * (2,048 buckets) hashing is 4× attention's work; [32, 64] makes it 48 instead of 1,024.
 */
export const AUTO_FACTORISE_BUCKETS = 512;

/** 'auto' buckets for L positions in chunks of C: ≈ 2·L/C, as two even factors near its square root when large. */
function autoBuckets(seqLength: number, chunkLength: number): number[] {
  const target = Math.max(2, 2 * Math.ceil(seqLength / chunkLength));
  if (target < AUTO_FACTORISE_BUCKETS) return [target];
  const f1 = 2 ** Math.floor(Math.log2(Math.sqrt(target)));
  return [f1, 2 * Math.ceil(target / (2 * f1))];
}

/** Config (the form models are saved in) of a resolved config: the inverse of resolveConfig. */
export function unresolveConfig(c: ResolvedConfig): ReformerConfig {
  const { dHead: _dHead, bucketFactors, ...rest } = c;
  return { ...rest, nBuckets: bucketFactors.length > 1 ? [...bucketFactors] : c.nBuckets };
}

/** Fills defaults, validates, and resolves derived values. Throws ConfigError with a fix. Resolving a ResolvedConfig again gives it back. */
export function resolveConfig(input: Partial<ReformerConfig> | ResolvedConfig): ResolvedConfig {
  const partial: Partial<ReformerConfig> = 'bucketFactors' in input ? unresolveConfig(input) : input;
  const c: ReformerConfig = {
    ...DEFAULT_CONFIG,
    ...partial,
    layers: [...(partial.layers ?? DEFAULT_CONFIG.layers)],
    neighbours: (partial.neighbours ?? DEFAULT_CONFIG.neighbours).map((o) => [...o]),
  };
  const positiveInt = (name: keyof ReformerConfig, v: number) => {
    if (!Number.isInteger(v) || v <= 0) throw new ConfigError(`${name} ${v} must be a positive integer`);
  };
  positiveInt('vocabSize', c.vocabSize);
  positiveInt('seqLength', c.seqLength);
  positiveInt('dModel', c.dModel);
  positiveInt('nHeads', c.nHeads);
  positiveInt('dFF', c.dFF);
  positiveInt('chunkLength', c.chunkLength);
  positiveInt('nHashes', c.nHashes);
  positiveInt('ffChunkLength', c.ffChunkLength);
  if (c.vocabSize > 65535)
    throw new ConfigError(`vocabSize ${c.vocabSize} is above 65535; tokens are stored as Uint16`);
  if (c.dModel % c.nHeads !== 0) {
    throw new ConfigError(
      `dModel ${c.dModel} must be divisible by nHeads ${c.nHeads}; try dModel ${c.nHeads * Math.ceil(c.dModel / c.nHeads)}`,
    );
  }
  if (c.layers.length === 0) throw new ConfigError('layers must list at least one attention kind, e.g. ["lsh", "lsh"]');
  for (const k of c.layers) {
    if (k !== 'lsh' && k !== 'local' && k !== 'full')
      throw new ConfigError(`layer kind "${k}" must be one of lsh, local, full`);
  }
  if (c.axialShape.length === 0 || c.axialShape.some((n) => !Number.isInteger(n) || n <= 0)) {
    throw new ConfigError(
      `axialShape ${JSON.stringify(c.axialShape)} must be positive integers, e.g. [height, width, channels]`,
    );
  }
  const axialProduct = c.axialShape.reduce((a, b) => a * b, 1);
  if (axialProduct < c.seqLength) {
    throw new ConfigError(
      `axialShape ${JSON.stringify(c.axialShape)} covers ${axialProduct} positions but seqLength is ${c.seqLength}; make its product ≥ ${c.seqLength}`,
    );
  }
  for (const o of c.neighbours) {
    const shape = c.axialShape;
    const valid = o.length === shape.length && o.every(Number.isInteger) && o.some((v) => v !== 0);
    const linear = o.reduce((acc, v, k) => acc * shape[k] + v, 0); // offset in row-major order (axis extents bound |v|)
    if (!valid || o.some((v, k) => Math.abs(v) >= shape[k]) || linear >= 0) {
      throw new ConfigError(
        `neighbour offset ${JSON.stringify(o)} must give one integer per axis of axialShape ${JSON.stringify(shape)} and point to an earlier position, e.g. [-1, 0${shape.length === 3 ? ', 0' : ''}] for the pixel above`,
      );
    }
  }
  if (c.axialShape.length > c.dModel)
    throw new ConfigError(`axialShape has more axes than dModel ${c.dModel} has dimensions`);
  if (!(c.dropout >= 0 && c.dropout < 1)) throw new ConfigError(`dropout ${c.dropout} must be in [0, 1)`);
  if (!Number.isInteger(c.classes) || c.classes < 0 || c.classes > MAX_MODEL_CLASSES)
    throw new ConfigError(
      `classes ${c.classes} must be a whole number in [0, ${MAX_MODEL_CLASSES}]: the number of classes the model is conditioned on, or 0 for an unconditional model`,
    );
  if (!Number.isInteger(c.seed)) throw new ConfigError(`seed ${c.seed} must be an integer`);

  const bucketFactors =
    c.nBuckets === 'auto'
      ? autoBuckets(c.seqLength, c.chunkLength)
      : Array.isArray(c.nBuckets)
        ? [...c.nBuckets]
        : [c.nBuckets];
  if (bucketFactors.length === 0) throw new ConfigError('nBuckets [] must list at least one factor, e.g. [32, 64]');
  for (const f of bucketFactors) {
    const alone = bucketFactors.length === 1;
    const valid = Number.isInteger(f) && ((f >= 2 && f % 2 === 0) || (alone && f === 1));
    if (!valid) {
      const what = alone
        ? `nBuckets ${f} must be 1 or an even integer`
        : `nBuckets factor ${f} must be an even integer`;
      throw new ConfigError(
        `${what} (argmax over [xR; −xR] yields an even count); try ${Math.max(2, 2 * Math.ceil(f / 2))}`,
      );
    }
  }
  const nBuckets = bucketFactors.reduce((a, b) => a * b, 1);
  return { ...c, nBuckets, bucketFactors, dHead: c.dModel / c.nHeads };
}

/** Splits dModel across the axial embedding's axes: equal parts, the remainder to the first axes. */
export function axialDims(dModel: number, axes: number): number[] {
  const base = Math.floor(dModel / axes);
  return Array.from({ length: axes }, (_, i) => base + (i < dModel % axes ? 1 : 0));
}
