import { beforeAll, describe, expect, test } from 'vitest';
import { chunkedAttention, fullAttention } from '@/lib/reformer/attention';
import { attentionBlock } from '@/lib/reformer/blocks';
import { identityPlan, sortByBucket } from '@/lib/reformer/hashing';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, NEIGHBOURS, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('attention', () => {
  test('LSH equals full causal attention when every position shares one bucket and one window', () => {
    const model = new ReformerLM(tinyConfig({ nBuckets: 1, chunkLength: 64, nHashes: 3, layers: ['lsh'] }));
    const x = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 3) as tf.Tensor3D;
    const w = model.layers[0].attention;
    const lsh = attentionBlock(x, w, 'lsh', model.config, undefined, {});
    const full = attentionBlock(x, w, 'full', model.config, undefined, {});
    expect(maxRelativeError(lsh.dataSync(), full.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, lsh, full]);
    model.dispose();
  });

  test('LSH with real hashing differs from full attention (the test above is not vacuous)', () => {
    const model = new ReformerLM(tinyConfig({ layers: ['lsh'] }));
    const x = tf.randomNormal([1, 48, 16], 0, 1, 'float32', 4) as tf.Tensor3D;
    const w = model.layers[0].attention;
    const lsh = attentionBlock(x, w, 'lsh', model.config, model.rotations(0), {});
    const full = attentionBlock(x, w, 'full', model.config, undefined, {});
    expect(maxRelativeError(lsh.dataSync(), full.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x, lsh, full]);
    model.dispose();
  });

  test.each([
    ['lsh', {}],
    ['local', {}],
    ['full', {}],
    ['lsh', { neighbours: NEIGHBOURS }],
  ] as const)('%s %j is causal: changing token t never changes logits before t', (kind, over) => {
    const model = new ReformerLM(tinyConfig({ layers: [kind, kind], ...over }));
    const tokens = randomTokens(1, 48, 16, 5);
    const data = tokens.arraySync()[0];
    const before = model.forward(tokens);
    for (const t of [5, 20, 40]) {
      const changed = [...data];
      changed[t] = (changed[t] + 7) % 16;
      const other = tf.tensor2d([changed], [1, 48], 'int32');
      const after = model.forward(other);
      // logits[s] predict token s from tokens < s: positions ≤ t must not move.
      const a = before.slice([0, 0, 0], [1, t + 1, 16]);
      const b = after.slice([0, 0, 0], [1, t + 1, 16]);
      expect(maxRelativeError(a.dataSync(), b.dataSync())).toBe(0);
      const later = after.slice([0, t + 1, 0], [1, 48 - t - 1, 16]);
      const laterBefore = before.slice([0, t + 1, 0], [1, 48 - t - 1, 16]);
      expect(maxRelativeError(later.dataSync(), laterBefore.dataSync())).toBeGreaterThan(0);
      tf.dispose([other, after, a, b, later, laterBefore]);
    }
    tf.dispose([tokens, before]);
    model.dispose();
  });
});

describe('chunked attention against the full reference', () => {
  const [G, L, D] = [3, 32, 8];
  const qk = tf.randomNormal([G, L, D], 0, 1, 'float32', 51) as tf.Tensor3D;
  const v = tf.randomNormal([G, L, D], 0, 1, 'float32', 52) as tf.Tensor3D;

  /** Position t of group g attending to `keys` (earlier positions, in order) and itself, by the full reference. */
  function attendTo(g: number, keys: number[], t: number): Float32Array {
    return tf.tidy(() => {
      const index = tf.tensor1d([...keys, t], 'int32');
      const rows = (x: tf.Tensor3D) => tf.gather(x.slice([g, 0, 0], [1, L, D]), index, 1) as tf.Tensor3D; // [1, n, D]
      const out = fullAttention(rows(qk), rows(v)); // [1, n, D]: the last row is t's
      return out.slice([0, keys.length, 0], [1, 1, D]).dataSync() as Float32Array;
    });
  }

  test('one chunk over the whole sequence and one bucket is full causal attention, in one round or three', () => {
    const full = fullAttention(qk, v);
    const one = chunkedAttention(qk, v, identityPlan(G, L), L);
    const three = chunkedAttention(qk, v, sortByBucket(new Int32Array(3 * G * L), 3, G, L, 1), L);
    expect(maxRelativeError(one.dataSync(), full.dataSync())).toBeLessThan(1e-5);
    expect(maxRelativeError(three.dataSync(), full.dataSync())).toBeLessThan(1e-5);
    tf.dispose([full, one, three]);
  });

  test('local attention is a sliding window: each position attends to the C before it and itself', () => {
    const C = 8;
    const local = chunkedAttention(qk, v, identityPlan(G, L), C).dataSync();
    for (let g = 0; g < G; g++) {
      for (let t = 0; t < L; t++) {
        const keys = Array.from({ length: Math.min(C, t) }, (_, i) => t - Math.min(C, t) + i);
        const got = local.subarray((g * L + t) * D, (g * L + t + 1) * D);
        expect(maxRelativeError(got, attendTo(g, keys, t)), `group ${g}, position ${t}`).toBeLessThan(1e-5);
      }
    }
    const full = fullAttention(qk, v);
    expect(maxRelativeError(local, full.dataSync())).toBeGreaterThan(1e-3); // the window does cut something
    full.dispose();
  });

  test('LSH attention (one round): each position attends to the ≤ C most recent earlier positions of its bucket and itself', () => {
    const [C, nBuckets] = [4, 3];
    const buckets = Int32Array.from({ length: G * L }, (_, i) => (i * 7 + ((i * i) >> 3)) % nBuckets);
    const lsh = chunkedAttention(qk, v, sortByBucket(buckets, 1, G, L, nBuckets), C).dataSync();
    for (let g = 0; g < G; g++) {
      for (let t = 0; t < L; t++) {
        const same = Array.from({ length: t }, (_, p) => p).filter((p) => buckets[g * L + p] === buckets[g * L + t]);
        const got = lsh.subarray((g * L + t) * D, (g * L + t + 1) * D);
        expect(maxRelativeError(got, attendTo(g, same.slice(-C), t)), `group ${g}, position ${t}`).toBeLessThan(1e-5);
      }
    }
  });

  test('leaves no tensors behind', () => {
    const plan = sortByBucket(
      Int32Array.from({ length: 2 * G * L }, (_, i) => i % 4),
      2,
      G,
      L,
      4,
    );
    const before = tf.memory().numTensors;
    tf.dispose([chunkedAttention(qk, v, plan, 8), fullAttention(qk, v)]);
    expect(tf.memory().numTensors).toBe(before);
  });
});
