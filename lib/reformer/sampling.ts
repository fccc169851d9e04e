/**
 * Next-token sampling from logits: temperature, a probability floor ε (Hewitt et al. 2022,
 * "Truncation Sampling as Language Model Desmoothing"), top-k (Fan et al. 2018) and nucleus /
 * top-p (Holtzman et al. 2020, "The Curious Case of Neural Text Degeneration", §3.1), then
 * inverse-CDF.
 *
 * Runs in plain JavaScript float64 on the CPU after downloading the logits, so a seed and identical
 * logits give identical tokens whichever backend (cpu, wasm, webgpu) computed them.
 */
import type { Tensor2D } from '@tensorflow/tfjs-core';
import type { Rng } from './random';

/**
 * The settings a person chooses: what the studio sends, a share recipe records and a model card
 * recommends (its zod schema, for what crosses the wire, is lib/models/sampling.ts).
 */
export interface SamplingSettings {
  /** Divides the logits; must be ≥ 0. 0 means greedy argmax (ties → lower token id). Default 1. */
  temperature: number;
  /** Keep only the k highest logits (ties → lower token id). Integer ≥ 0; 0 = off. Values ≥ vocab act as off. Default 0. */
  topK: number;
  /** Keep the smallest set of most probable tokens whose probability sums to ≥ topP. In (0, 1]; 1 = off. Default 1. */
  topP: number;
  /**
   * Drop every token whose probability (at this temperature) is below epsilon; the most probable
   * token always stays. In [0, 1); 0 = off, the default (also when absent, as in older recipes).
   * A small floor such as 0.001 cuts the long tail of unlikely shades that puts stray pixels into
   * samples, while keeping every plausible choice.
   */
  epsilon?: number;
}

/** How to turn logits into a token. Validate with `validateSamplingOptions`. */
export interface SamplingOptions extends SamplingSettings {
  /**
   * Per batch row, a token to return instead of sampling (e.g. known pixels when completing an
   * image); `undefined` samples that row. Length must equal the batch. A forced row still consumes
   * its one draw so the row's stream stays aligned with unforced runs.
   */
  forced?: readonly (number | undefined)[];
}

/** Plain sampling from the model's distribution. */
export const DEFAULT_SAMPLING: Readonly<SamplingOptions> = Object.freeze({
  temperature: 1,
  topK: 0,
  topP: 1,
  epsilon: 0,
});

/** Above this k, a full sort of the row beats insertion into the running top-k list. */
const INSERTION_TOP_K_LIMIT = 32;

/** Throws an Error that says how to fix the first invalid field of `o`. */
export function validateSamplingOptions(o: SamplingOptions): void {
  const { temperature, topK, topP, epsilon = 0 } = o;
  if (typeof temperature !== 'number' || !Number.isFinite(temperature) || temperature < 0) {
    throw new Error(
      `temperature ${temperature} must be a finite number ≥ 0; use 1 for the model's own ` +
        'distribution, a smaller value for safer samples, or 0 for greedy argmax',
    );
  }
  if (typeof topK !== 'number' || !Number.isInteger(topK) || topK < 0) {
    throw new Error(`topK ${topK} must be an integer ≥ 0; use 0 to turn top-k filtering off`);
  }
  if (typeof topP !== 'number' || !(topP > 0 && topP <= 1)) {
    throw new Error(`topP ${topP} must be in (0, 1]; use 1 to turn nucleus sampling off`);
  }
  if (typeof epsilon !== 'number' || !(epsilon >= 0 && epsilon < 1)) {
    throw new Error(`epsilon ${epsilon} must be in [0, 1); use 0 to keep every token, or a small floor such as 0.001`);
  }
  if (o.forced !== undefined && !Array.isArray(o.forced)) {
    throw new Error('forced must be an array with one token id or undefined per batch row');
  }
}

/**
 * Sample one token per row.
 *
 * @param logits row-major `[batch, vocab]` scores (unnormalised log-probabilities).
 * @param rngs one stream per row; each row draws exactly one `nextFloat()` per call, even when
 *   greedy or forced, so a row's stream stays aligned whatever the options.
 * @returns `[batch]` token ids.
 * @throws if shapes disagree, options are invalid, or a row has NaN / +Infinity / only -Infinity.
 */
export function sampleFromLogits(
  logits: Float32Array,
  batch: number,
  vocab: number,
  opts: SamplingOptions,
  rngs: readonly Rng[],
): Int32Array {
  validateSamplingOptions(opts);
  if (!Number.isInteger(batch) || batch < 1 || !Number.isInteger(vocab) || vocab < 1) {
    throw new Error(`batch ${batch} and vocab ${vocab} must be positive integers`);
  }
  if (logits.length !== batch * vocab) {
    throw new Error(
      `logits has ${logits.length} values but batch ${batch} × vocab ${vocab} = ${batch * vocab}; ` +
        'pass the [batch, vocab] logits of the last position only',
    );
  }
  if (rngs.length !== batch) {
    throw new Error(`got ${rngs.length} rngs for batch ${batch}; pass one rng per row (e.g. root.fork(row))`);
  }
  const forced = opts.forced;
  if (forced !== undefined && forced.length !== batch) {
    throw new Error(`forced has ${forced.length} entries for batch ${batch}; use undefined for rows to sample`);
  }

  const { temperature, topP, epsilon = 0 } = opts;
  const topK = opts.topK > 0 && opts.topK < vocab ? opts.topK : 0;
  const out = new Int32Array(batch);
  // Scratch reused across rows: candidate ids (sorted by logit, descending) and the kept mask.
  const order = new Int32Array(vocab);
  const kept = new Uint8Array(vocab);

  for (let r = 0; r < batch; r++) {
    const u = rngs[r]!.nextFloat(); // drawn first so every path consumes exactly one
    const force = forced?.[r];
    if (force !== undefined) {
      if (!Number.isInteger(force) || force < 0 || force >= vocab) {
        throw new Error(`forced token ${force} for row ${r} must be an integer in [0, ${vocab})`);
      }
      out[r] = force;
      continue;
    }
    const base = r * vocab;
    const best = checkedArgmax(logits, base, vocab, r);
    if (temperature === 0) {
      out[r] = best;
      continue;
    }
    const maxLogit = logits[base + best]!;

    // 1. Candidate set after top-k; `order[0..n)` is sorted by logit descending when filtering.
    let n: number;
    if (topK > 0) {
      n = topKIndices(logits, base, vocab, topK, order);
    } else if (topP < 1 || epsilon > 0) {
      n = sortAllIndices(logits, base, vocab, order);
    } else {
      n = vocab; // no filtering: every token, no ordering needed
    }

    // 2. The floor: tokens at or above ε of the whole distribution form a prefix of `order`.
    if (epsilon > 0) {
      let total = 0;
      for (let i = 0; i < vocab; i++) total += weight(logits[base + i]!, maxLogit, temperature);
      let keep = 1; // the most probable token stays whatever ε is
      while (keep < n && weight(logits[base + order[keep]!]!, maxLogit, temperature) >= epsilon * total) keep++;
      n = keep;
    }

    // 3. Top-p over the softmax of the remaining candidates, at this temperature.
    if (topP < 1) {
      let total = 0;
      for (let i = 0; i < n; i++) total += weight(logits[base + order[i]!]!, maxLogit, temperature);
      let cumulative = 0;
      let keep = n; // rounding can leave the sum a hair below topP: then keep everything
      for (let i = 0; i < n; i++) {
        cumulative += weight(logits[base + order[i]!]!, maxLogit, temperature) / total;
        if (cumulative >= topP) {
          keep = i + 1;
          break;
        }
      }
      n = keep;
    }

    // 4. Inverse CDF in token-id order over the kept set, so the token drawn for a given u
    //    depends only on which tokens were kept, not on how they were selected.
    let drawn: number;
    if (n === vocab) {
      drawn = inverseCdf(logits, base, vocab, null, maxLogit, temperature, u, best);
    } else {
      kept.fill(0);
      for (let i = 0; i < n; i++) kept[order[i]!] = 1;
      drawn = inverseCdf(logits, base, vocab, kept, maxLogit, temperature, u, best);
    }
    out[r] = drawn;
  }
  return out;
}

/**
 * Downloads `[batch, vocab]` float32 logits and samples one token per row with
 * `sampleFromLogits`. Does not dispose `logits`.
 */
export async function sampleNext(logits: Tensor2D, opts: SamplingOptions, rngs: readonly Rng[]): Promise<Int32Array> {
  if (logits.rank !== 2) {
    throw new Error(`sampleNext expects [batch, vocab] logits, got shape [${logits.shape.join(', ')}]`);
  }
  if (logits.dtype !== 'float32') {
    throw new Error(`sampleNext expects float32 logits, got ${logits.dtype}; cast them first`);
  }
  const [batch, vocab] = logits.shape;
  const values = (await logits.data()) as Float32Array;
  return sampleFromLogits(values, batch, vocab, opts, rngs);
}

/** exp((logit − max) / T): the unnormalised softmax weight; max-subtraction keeps it in (0, 1]. */
function weight(logit: number, maxLogit: number, temperature: number): number {
  return Math.exp((logit - maxLogit) / temperature);
}

/** Index of the largest logit (ties → lower index); rejects rows no distribution can come from. */
function checkedArgmax(logits: Float32Array, base: number, vocab: number, row: number): number {
  let best = 0;
  let bestValue = -Infinity;
  for (let i = 0; i < vocab; i++) {
    const v = logits[base + i]!;
    if (Number.isNaN(v) || v === Infinity) {
      throw new Error(
        `logits row ${row} has ${v} at token ${i}: the model produced non-finite values ` +
          '(diverged training or overflow); reload a good checkpoint or lower the learning rate',
      );
    }
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  if (bestValue === -Infinity) {
    throw new Error(`logits row ${row} is -Infinity everywhere: every token is masked, nothing can be sampled`);
  }
  return best;
}

/**
 * Writes the k largest logits' ids into `order[0..k)`, sorted descending (ties → lower id), by
 * insertion for small k and a full sort otherwise. Returns k.
 */
function topKIndices(logits: Float32Array, base: number, vocab: number, k: number, order: Int32Array): number {
  if (k > INSERTION_TOP_K_LIMIT) {
    sortAllIndices(logits, base, vocab, order);
    return k;
  }
  let size = 0;
  for (let i = 0; i < vocab; i++) {
    const v = logits[base + i]!;
    // Strictly greater: an equal logit seen later has a higher id and loses the tie.
    if (size === k && !(v > logits[base + order[k - 1]!]!)) continue;
    let j = size < k ? size++ : k - 1;
    while (j > 0 && v > logits[base + order[j - 1]!]!) {
      order[j] = order[j - 1]!;
      j--;
    }
    order[j] = i;
  }
  return k;
}

/** Writes all ids into `order`, sorted by logit descending (ties → lower id). Returns vocab. */
function sortAllIndices(logits: Float32Array, base: number, vocab: number, order: Int32Array): number {
  for (let i = 0; i < vocab; i++) order[i] = i;
  order.sort((a, b) => logits[base + b]! - logits[base + a]! || a - b);
  return vocab;
}

/**
 * The kept token whose cumulative weight (in id order) first exceeds u × total. `kept` null
 * means every token. `fallback` (the argmax) covers float rounding at the top end.
 */
function inverseCdf(
  logits: Float32Array,
  base: number,
  vocab: number,
  kept: Uint8Array | null,
  maxLogit: number,
  temperature: number,
  u: number,
  fallback: number,
): number {
  let total = 0;
  for (let i = 0; i < vocab; i++) {
    if (kept === null || kept[i] === 1) total += weight(logits[base + i]!, maxLogit, temperature);
  }
  const target = u * total;
  let cumulative = 0;
  let last = fallback;
  for (let i = 0; i < vocab; i++) {
    if (kept !== null && kept[i] !== 1) continue;
    const w = weight(logits[base + i]!, maxLogit, temperature);
    if (w === 0) continue; // underflowed to probability 0: never drawn
    cumulative += w;
    last = i;
    if (target < cumulative) return i;
  }
  return last;
}
