import { afterEach, beforeAll, expect, test } from 'vitest';
import { attendRounds } from '@/lib/reformer/attention';
import { sortByBucket } from '@/lib/reformer/hashing';
import { piecesVjp, type VjpFn } from '@/lib/reformer/piece-gradients';
import { attentionMemory, attentionPieces } from '@/lib/reformer/pieces';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const savedBudget = attentionMemory.pieceScoreBytes;
afterEach(() => {
  attentionMemory.pieceScoreBytes = savedBudget;
});

const vjp: VjpFn = (fn, xs, dy) => tf.valueAndGrads((..._xs: tf.Tensor[]) => fn())(xs, dy);

const [R, G, L, D, C] = [2, 4, 32, 8, 8];
const chunkScores = C * 2 * C * 4; // one chunk's [C, 2C] scores in bytes

test.each([
  ['one piece a round', Infinity, R],
  ['one group a piece', (L / C) * chunkScores, R * G],
  ['runs of 2 chunks', 3 * chunkScores, R * G * 2],
  ['runs of 1 chunk', 1, R * G * (L / C)],
])('%s: the gradients piece by piece equal one tape over the whole attention', (_label, budget, count) => {
  const qk = tf.randomNormal([G, L, D], 0, 1, 'float32', 61) as tf.Tensor3D;
  const v = tf.randomNormal([G, L, D], 0, 1, 'float32', 62) as tf.Tensor3D;
  const dOut = tf.randomNormal([R, G, L, D], 0, 1, 'float32', 63) as tf.Tensor4D;
  const dLse = tf.randomNormal([R, G, L, 1], 0, 1, 'float32', 64) as tf.Tensor4D;
  const buckets = Int32Array.from({ length: R * G * L }, (_, i) => (i * 5 + (i >> 2)) % 4);
  const plan = sortByBucket(buckets, R, G, L, 4);
  const [wantQk, wantV] = tf.grads((q: tf.Tensor, vv: tf.Tensor) => {
    const { out, lse } = attendRounds(q as tf.Tensor3D, vv as tf.Tensor3D, plan, C);
    return tf.concat([out, lse], 3); // [R, G, L, D + 1]
  })([qk, v], tf.concat([dOut, dLse], 3));

  attentionMemory.pieceScoreBytes = budget;
  expect(attentionPieces(plan, C)).toHaveLength(count);
  const before = tf.memory().numTensors;
  const { dqk, dv } = piecesVjp(qk, v, dOut, dLse, plan, C, vjp);
  expect(tf.memory().numTensors).toBe(before + 2); // only the two gradients
  expect(dqk.shape).toEqual([G, L, D]);
  expect(maxRelativeError(dqk.dataSync(), wantQk!.dataSync())).toBeLessThan(1e-5);
  expect(maxRelativeError(dv.dataSync(), wantV!.dataSync())).toBeLessThan(1e-5);
  expect(Math.max(...dqk.dataSync().map(Math.abs))).toBeGreaterThan(0);
  tf.dispose([qk, v, dOut, dLse, wantQk!, wantV!, dqk, dv]);
});
