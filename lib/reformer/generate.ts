/**
 * Seeded generation: drives a ReformerDecoder one position at a time for a batch of sequences and
 * streams the sampled tokens. Row b samples from `createRng(seed).fork(firstImage + b)`, so a seed,
 * a model and options give the same tokens on the same backend, and image i of a seed can be drawn
 * alone. Completion forces known tokens at the start. Class-conditional models draw a class, with
 * classifier-free guidance if asked (guidance.ts).
 */
import { ReformerDecoder } from './decode';
import { conditionedBatch, guidedLogits, type ConditioningOptions } from './guidance';
import type { ReformerLM } from './model';
import { createRng } from './random';
import { sampleFromLogits, validateSamplingOptions, type SamplingOptions, DEFAULT_SAMPLING } from './sampling';

export interface GenerateOptions extends ConditioningOptions {
  /** Sequences generated together. */
  batch: number;
  /** Seed of the sampling streams (unsigned 32-bit). */
  seed: number;
  /** Row b is image `firstImage + b` of the seed (its stream); default 0. */
  firstImage?: number;
  sampling?: SamplingOptions;
  /** Tokens to keep, per row (image completion): position t < prefix[b].length is forced. */
  prefix?: ArrayLike<number>[];
  /** Stop early (fewer than seqLength tokens). */
  length?: number;
  signal?: AbortSignal;
}

export interface GeneratedStep {
  /** Position of these tokens in the sequence. */
  position: number;
  /** One token per row. */
  tokens: Int32Array;
}

export class GenerationCancelled extends Error {
  override name = 'GenerationCancelled';
  constructor() {
    super('generation was cancelled');
  }
}

/** Streams tokens position by position; the decoder is freed when the loop ends, however it ends. */
export async function* generate(model: ReformerLM, opts: GenerateOptions): AsyncGenerator<GeneratedStep> {
  const sampling = opts.sampling ?? DEFAULT_SAMPLING;
  validateSamplingOptions(sampling);
  const length = opts.length ?? model.config.seqLength;
  if (!Number.isInteger(length) || length < 1 || length > model.config.seqLength) {
    throw new Error(`length ${length} must be between 1 and the model's seqLength ${model.config.seqLength}`);
  }
  if (opts.prefix && opts.prefix.length !== opts.batch)
    throw new Error(`prefix needs one row per sequence (${opts.batch})`);
  const root = createRng(opts.seed);
  const first = opts.firstImage ?? 0;
  if (!Number.isInteger(first) || first < 0) throw new Error(`firstImage ${first} must be a whole number ≥ 0`);
  const rngs = Array.from({ length: opts.batch }, (_, b) => root.fork(first + b));
  const B = opts.batch;
  const V = model.config.vocabSize;
  const { classIds, guided, guidance } = conditionedBatch(model.config, opts, B);
  // Guided: rows [0, B) decode with the class, rows [B, 2B) with "no class", both fed the same tokens.
  const decoder = new ReformerDecoder(model, guided ? 2 * B : B, classIds);
  const next = (logits: Float32Array) => (guided ? guidedLogits(logits, B, V, guidance) : logits);
  try {
    let logits = next(await decoder.step());
    for (let t = 0; t < length; t++) {
      if (opts.signal?.aborted) throw new GenerationCancelled();
      const forced = opts.prefix?.map((row) => (t < row.length ? row[t] : undefined));
      const tokens = sampleFromLogits(logits, B, V, { ...sampling, forced }, rngs);
      yield { position: t, tokens };
      if (t + 1 < length) {
        const fed = guided ? Int32Array.from([...tokens, ...tokens]) : tokens;
        logits = next(await decoder.step(fed));
      }
    }
  } finally {
    decoder.dispose();
  }
}
