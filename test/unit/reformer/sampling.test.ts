import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, rngFromState, type Rng } from '@/lib/reformer/random';
import {
  DEFAULT_SAMPLING,
  sampleFromLogits,
  sampleNext,
  validateSamplingOptions,
  type SamplingOptions,
} from '@/lib/reformer/sampling';

const GREEDY: SamplingOptions = { temperature: 0, topK: 0, topP: 1 };

function rowsOf(seed: number, batch: number): Rng[] {
  const root = createRng(seed);
  return Array.from({ length: batch }, (_, r) => root.fork(r));
}

function randomLogits(rng: Rng, batch: number, vocab: number, scale = 4): Float32Array {
  return Float32Array.from({ length: batch * vocab }, () => (rng.nextFloat() - 0.5) * 2 * scale);
}

function argmax(row: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i]! > row[best]!) best = i;
  return best;
}

function softmax(row: number[], temperature = 1): number[] {
  const m = Math.max(...row);
  const e = row.map((x) => Math.exp((x - m) / temperature));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Draw `n` tokens for one row of logits, one call per draw, and return token frequencies. */
function frequencies(row: number[], opts: SamplingOptions, n: number, seed: number): number[] {
  const rng = createRng(seed);
  const counts = new Array<number>(row.length).fill(0);
  const logits = Float32Array.from(row);
  for (let i = 0; i < n; i++) counts[sampleFromLogits(logits, 1, row.length, opts, [rng])[0]!]!++;
  return counts.map((c) => c / n);
}

/**
 * Slow, obviously-correct reference: full sort, filter, inverse CDF in token-id order.
 * Uses the same float64 arithmetic as the fast path so results must agree exactly.
 */
function referenceSample(row: Float32Array, opts: SamplingOptions, u: number): number {
  const vocab = row.length;
  const best = argmax(row);
  if (opts.temperature === 0) return best;
  const max = row[best]!;
  const weight = (i: number) => Math.exp((row[i]! - max) / opts.temperature);
  const ids = Array.from({ length: vocab }, (_, i) => i).sort((a, b) =>
    row[b]! !== row[a]! ? row[b]! - row[a]! : a - b,
  );
  let candidates = opts.topK > 0 ? ids.slice(0, opts.topK) : ids;
  if (opts.epsilon) {
    const all = ids.reduce((s, i) => s + weight(i), 0);
    candidates = candidates.filter((i, rank) => rank === 0 || weight(i) >= opts.epsilon! * all);
  }
  if (opts.topP < 1) {
    const total = candidates.reduce((s, i) => s + weight(i), 0);
    let cumulative = 0;
    const nucleus: number[] = [];
    for (const i of candidates) {
      nucleus.push(i);
      cumulative += weight(i) / total;
      if (cumulative >= opts.topP) break;
    }
    candidates = nucleus;
  }
  const kept = new Set(candidates);
  let total = 0;
  for (let i = 0; i < vocab; i++) if (kept.has(i)) total += weight(i);
  let cumulative = 0;
  for (let i = 0; i < vocab; i++) {
    if (!kept.has(i) || weight(i) === 0) continue;
    cumulative += weight(i);
    if (u * total < cumulative) return i;
  }
  throw new Error('unreachable for u < 1');
}

describe('validateSamplingOptions', () => {
  it('accepts the defaults and typical settings', () => {
    expect(() => validateSamplingOptions(DEFAULT_SAMPLING)).not.toThrow();
    expect(() => validateSamplingOptions({ temperature: 0.7, topK: 40, topP: 0.9 })).not.toThrow();
    expect(() => validateSamplingOptions(GREEDY)).not.toThrow();
  });

  it.each([
    [{ temperature: -1 }, /temperature -1 must be a finite number ≥ 0; .*0 for greedy/],
    [{ temperature: Number.NaN }, /temperature NaN must be/],
    [{ temperature: Infinity }, /temperature Infinity must be/],
    [{ topK: -3 }, /topK -3 must be an integer ≥ 0; use 0 to turn top-k filtering off/],
    [{ topK: 2.5 }, /topK 2.5 must be an integer/],
    [{ topP: 1.5 }, /topP 1\.5 must be in \(0, 1\]; use 1 to turn nucleus sampling off/],
    [{ topP: 0 }, /topP 0 must be in \(0, 1\]/],
    [{ topP: Number.NaN }, /topP NaN must be in/],
    [{ epsilon: -0.1 }, /epsilon -0\.1 must be in \[0, 1\); use 0 to keep every token/],
    [{ epsilon: 1 }, /epsilon 1 must be in \[0, 1\)/],
  ])('rejects %o with a message saying how to fix it', (bad, message) => {
    const opts = { ...DEFAULT_SAMPLING, ...bad };
    expect(() => validateSamplingOptions(opts)).toThrow(message);
    expect(() => sampleFromLogits(new Float32Array(4), 1, 4, opts, [createRng(1)])).toThrow(message);
  });

  it('rejects mismatched shapes, rng counts and forced lengths', () => {
    const logits = new Float32Array(6);
    expect(() => sampleFromLogits(logits, 2, 4, DEFAULT_SAMPLING, rowsOf(1, 2))).toThrow(
      /6 values but batch 2 × vocab 4 = 8/,
    );
    expect(() => sampleFromLogits(logits, 2, 3, DEFAULT_SAMPLING, rowsOf(1, 1))).toThrow(/one rng per row/);
    expect(() => sampleFromLogits(logits, 2, 3, { ...DEFAULT_SAMPLING, forced: [1] }, rowsOf(1, 2))).toThrow(
      /forced has 1 entries for batch 2/,
    );
    expect(() => sampleFromLogits(logits, 2, 3, { ...DEFAULT_SAMPLING, forced: [3, undefined] }, rowsOf(1, 2))).toThrow(
      /forced token 3 for row 0 must be an integer in \[0, 3\)/,
    );
  });

  it('rejects rows with NaN, +Infinity or nothing finite', () => {
    const rng = () => [createRng(1)];
    expect(() => sampleFromLogits(Float32Array.from([0, Number.NaN, 1]), 1, 3, DEFAULT_SAMPLING, rng())).toThrow(
      /row 0 has NaN at token 1/,
    );
    expect(() => sampleFromLogits(Float32Array.from([0, Infinity, 1]), 1, 3, GREEDY, rng())).toThrow(
      /row 0 has Infinity/,
    );
    expect(() => sampleFromLogits(Float32Array.from([-Infinity, -Infinity]), 1, 2, DEFAULT_SAMPLING, rng())).toThrow(
      /-Infinity everywhere/,
    );
  });
});

describe('sampleFromLogits', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const logits = randomLogits(createRng(3), 16, 64, 1);
    const a = sampleFromLogits(logits, 16, 64, DEFAULT_SAMPLING, rowsOf(10, 16));
    expect(sampleFromLogits(logits, 16, 64, DEFAULT_SAMPLING, rowsOf(10, 16))).toEqual(a);
    expect(sampleFromLogits(logits, 16, 64, DEFAULT_SAMPLING, rowsOf(11, 16))).not.toEqual(a);
  });

  it.each([
    ['plain', DEFAULT_SAMPLING],
    ['greedy', GREEDY],
    ['top-k', { temperature: 0.8, topK: 5, topP: 1 }],
    ['top-p', { temperature: 1.2, topK: 0, topP: 0.5 }],
    ['forced', { ...DEFAULT_SAMPLING, forced: [2, undefined, 0] }],
  ])('consumes exactly one nextFloat per row (%s)', (_name, opts) => {
    const rngs = rowsOf(5, 3);
    const expected = rngs.map((r) => {
      const copy = rngFromState(r.state());
      copy.nextFloat();
      return copy.state();
    });
    sampleFromLogits(randomLogits(createRng(1), 3, 10), 3, 10, opts, rngs);
    expect(rngs.map((r) => r.state())).toEqual(expected);
  });

  it('greedy picks the argmax, ties going to the lower token id', () => {
    const logits = randomLogits(createRng(4), 64, 512);
    const tokens = sampleFromLogits(logits, 64, 512, GREEDY, rowsOf(1, 64));
    for (let r = 0; r < 64; r++) expect(tokens[r]).toBe(argmax(logits.subarray(r * 512, (r + 1) * 512)));
    const tied = Float32Array.from([0, 3, 1, 3]);
    expect(sampleFromLogits(tied, 1, 4, GREEDY, [createRng(1)])[0]).toBe(1);
    expect(sampleFromLogits(tied, 1, 4, { temperature: 1, topK: 1, topP: 1 }, [createRng(1)])[0]).toBe(1);
  });

  it('top-k = 1 equals greedy at any temperature', () => {
    const logits = randomLogits(createRng(6), 64, 300);
    const greedy = sampleFromLogits(logits, 64, 300, GREEDY, rowsOf(1, 64));
    for (const temperature of [0.5, 1, 5]) {
      expect(sampleFromLogits(logits, 64, 300, { temperature, topK: 1, topP: 1 }, rowsOf(2, 64))).toEqual(greedy);
    }
  });

  it.each([3, 32, 33, 100])('top-k = %i never returns a token outside the k largest', (k) => {
    const vocab = 256;
    const data = createRng(k);
    for (let trial = 0; trial < 20; trial++) {
      // High temperature flattens the distribution so tokens outside the top k would show up.
      const logits = randomLogits(data, 64, vocab, 0.5);
      const opts = { temperature: 10, topK: k, topP: 1 };
      const tokens = sampleFromLogits(logits, 64, vocab, opts, rowsOf(trial, 64));
      for (let r = 0; r < 64; r++) {
        const row = Array.from(logits.subarray(r * vocab, (r + 1) * vocab));
        const kth = [...row].sort((a, b) => b - a)[k - 1]!;
        expect(row[tokens[r]!]!).toBeGreaterThanOrEqual(kth);
      }
    }
  });

  it('top-k breaks ties at the boundary by lower token id', () => {
    // Tokens 1, 2, 3 tie for second place; top-2 keeps 0 and 1 only.
    const logits = Float32Array.from([5, 1, 1, 1, 0]);
    const seen = new Set(
      frequencies([...logits], { temperature: 100, topK: 2, topP: 1 }, 2000, 1).flatMap((f, i) => (f > 0 ? [i] : [])),
    );
    expect(seen).toEqual(new Set([0, 1]));
  });

  it('top-p keeps only the head of a peaked distribution', () => {
    const peaked = [8, 0, 0, 0, 0, 0, 0, 0]; // p(token 0) ≈ 0.998
    expect(frequencies(peaked, { temperature: 1, topK: 0, topP: 0.9 }, 2000, 1)[0]).toBe(1);
    // probabilities 0.5, 0.3, 0.1, 0.1: the nucleus for p = 0.7 is {0, 1}, renormalised to 5/8, 3/8
    const twoHead = [0.5, 0.3, 0.1, 0.1].map(Math.log);
    const f = frequencies(twoHead, { temperature: 1, topK: 0, topP: 0.7 }, 20_000, 2);
    expect(f[2]! + f[3]!).toBe(0);
    expect(f[0]).toBeCloseTo(5 / 8, 1);
    // the boundary token is included: p = 0.85 needs {0, 1, one of the 0.1s (the lower id)}
    const g = frequencies(twoHead, { temperature: 1, topK: 0, topP: 0.85 }, 5000, 3);
    expect(g[2]).toBeGreaterThan(0);
    expect(g[3]).toBe(0);
  });

  it('the ε floor drops unlikely tokens, keeps the rest in proportion, and never empties a row', () => {
    const tail = [0.6, 0.3, 0.0995, 0.0005].map(Math.log);
    const f = frequencies(tail, { temperature: 1, topK: 0, topP: 1, epsilon: 0.001 }, 20_000, 5);
    expect(f[3]).toBe(0);
    expect(f[0]).toBeCloseTo(0.6 / 0.9995, 1);
    expect(f[2]).toBeGreaterThan(0.08);
    // at temperature 2 the same token has probability ≈ 0.014: above the floor again
    expect(frequencies(tail, { temperature: 2, topK: 0, topP: 1, epsilon: 0.001 }, 20_000, 5)[3]).toBeGreaterThan(0);
    const logits = randomLogits(createRng(9), 64, 50);
    const greedy = sampleFromLogits(logits, 64, 50, GREEDY, rowsOf(1, 64));
    expect(
      sampleFromLogits(logits, 64, 50, { temperature: 1, topK: 0, topP: 1, epsilon: 0.999 }, rowsOf(2, 64)),
    ).toEqual(greedy);
  });

  it('always keeps at least one token for a tiny top-p', () => {
    const logits = randomLogits(createRng(8), 64, 50);
    const greedy = sampleFromLogits(logits, 64, 50, GREEDY, rowsOf(1, 64));
    expect(sampleFromLogits(logits, 64, 50, { temperature: 1, topK: 0, topP: 1e-9 }, rowsOf(2, 64))).toEqual(greedy);
  });

  it.each([
    ['temperature 1', { temperature: 1, topK: 0, topP: 1 }, (row: number[]) => softmax(row)],
    ['temperature 0.5', { temperature: 0.5, topK: 0, topP: 1 }, (row: number[]) => softmax(row, 0.5)],
    [
      'top-k 3',
      { temperature: 1, topK: 3, topP: 1 },
      (row: number[]) => {
        // row below is sorted descending, so the top 3 are ids 0..2
        const p = softmax(row.slice(0, 3));
        return row.map((_, i) => p[i] ?? 0);
      },
    ],
  ])('empirical frequencies over 20k draws match the distribution (%s)', (_name, opts, expected) => {
    const row = [2, 1.5, 1, 0.5, 0, -0.5, -1, -3];
    const n = 20_000;
    const f = frequencies(row, opts, n, 99);
    const p = expected(row);
    for (let i = 0; i < row.length; i++) {
      // 5 standard errors of a binomial proportion, plus a floor for p ≈ 0
      const tolerance = 5 * Math.sqrt((p[i]! * (1 - p[i]!)) / n) + 1e-4;
      expect(Math.abs(f[i]! - p[i]!)).toBeLessThan(tolerance);
    }
  });

  it('approaches greedy as the temperature goes to 0, without NaN for tiny temperatures', () => {
    const logits = randomLogits(createRng(12), 64, 128);
    const greedy = sampleFromLogits(logits, 64, 128, GREEDY, rowsOf(1, 64));
    for (const temperature of [1e-3, 1e-30, Number.MIN_VALUE]) {
      expect(sampleFromLogits(logits, 64, 128, { temperature, topK: 0, topP: 1 }, rowsOf(3, 64))).toEqual(greedy);
    }
    // and is visibly not greedy at temperature 1
    expect(sampleFromLogits(logits, 64, 128, DEFAULT_SAMPLING, rowsOf(3, 64))).not.toEqual(greedy);
  });

  it('returns forced tokens and samples the other rows as if nothing were forced', () => {
    const logits = randomLogits(createRng(13), 4, 20);
    const free = sampleFromLogits(logits, 4, 20, DEFAULT_SAMPLING, rowsOf(7, 4));
    const forced = sampleFromLogits(
      logits,
      4,
      20,
      { ...DEFAULT_SAMPLING, forced: [19, undefined, 0, undefined] },
      rowsOf(7, 4),
    );
    expect(Array.from(forced)).toEqual([19, free[1], 0, free[3]]);
  });

  it('ignores masked (-Infinity) tokens', () => {
    const row = [0, -Infinity, 0, -Infinity];
    const f = frequencies(row, DEFAULT_SAMPLING, 2000, 4);
    expect(f[1]! + f[3]!).toBe(0);
    expect(f[0]! + f[2]!).toBe(1);
  });

  it('agrees exactly with the slow reference on random logits and options', () => {
    const data = createRng(2718);
    const settings: SamplingOptions[] = [
      DEFAULT_SAMPLING,
      { temperature: 0.7, topK: 0, topP: 1 },
      { temperature: 1, topK: 5, topP: 1 },
      { temperature: 1.3, topK: 40, topP: 1 },
      { temperature: 0.9, topK: 0, topP: 0.8 },
      { temperature: 0.9, topK: 20, topP: 0.5 },
      { temperature: 2, topK: 64, topP: 0.95 },
      { temperature: 1, topK: 600, topP: 1 },
      { temperature: 1, topK: 0, topP: 1, epsilon: 0.003 },
      { temperature: 0.8, topK: 10, topP: 1, epsilon: 0.01 },
      { temperature: 1.2, topK: 0, topP: 0.9, epsilon: 0.02 },
    ];
    for (const opts of settings) {
      for (const vocab of [2, 17, 512]) {
        const batch = 64;
        // Quantised logits create many ties, the usual source of selection bugs.
        const logits = randomLogits(data, batch, vocab).map((x) => Math.round(x * 4) / 4);
        const rngs = rowsOf(vocab, batch);
        const us = rngs.map((r) => rngFromState(r.state()).nextFloat());
        const tokens = sampleFromLogits(logits, batch, vocab, opts, rngs);
        const effective = { ...opts, topK: opts.topK >= vocab ? 0 : opts.topK };
        for (let r = 0; r < batch; r++) {
          expect(tokens[r]).toBe(referenceSample(logits.subarray(r * vocab, (r + 1) * vocab), effective, us[r]!));
        }
      }
    }
  });
});

describe('sampleNext', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('equals sampleFromLogits on the downloaded values and leaks no tensors', async () => {
    const values = randomLogits(createRng(21), 8, 40);
    const logits = tf.tensor2d(values, [8, 40]);
    const opts = { temperature: 0.9, topK: 10, topP: 0.9 };
    const before = tf.memory().numTensors;
    const tokens = await sampleNext(logits, opts, rowsOf(5, 8));
    expect(tf.memory().numTensors).toBe(before);
    expect(logits.isDisposed).toBe(false);
    expect(tokens).toEqual(sampleFromLogits(values, 8, 40, opts, rowsOf(5, 8)));
    logits.dispose();
  });

  it('rejects int32 logits and wrong ranks', async () => {
    const ints = tf.tensor2d([[1, 2]], [1, 2], 'int32');
    await expect(sampleNext(ints, DEFAULT_SAMPLING, rowsOf(1, 1))).rejects.toThrow(/float32 logits, got int32/);
    ints.dispose();
    const flat = tf.tensor1d([1, 2]);
    await expect(sampleNext(flat as unknown as tf.Tensor2D, DEFAULT_SAMPLING, rowsOf(1, 1))).rejects.toThrow(
      /\[batch, vocab\]/,
    );
    flat.dispose();
  });
});
