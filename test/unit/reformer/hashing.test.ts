import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, expect, test } from 'vitest';
import {
  hashBuckets,
  hashBucketsAsync,
  hashingMemory,
  hashRotations,
  identityPlan,
  sortByBucket,
} from '@/lib/reformer/hashing';
import * as tf from '@/lib/reformer/tf';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('hashing in row blocks gives the same buckets as hashing all rows at once', () => {
  const qk = tf.randomNormal([300, 8], 0, 1, 'float32', 5) as tf.Tensor2D;
  const rot = hashRotations(8, 3, [16], 9);
  const whole = hashBuckets(qk, rot, 3, [16]);
  const saved = hashingMemory.blockBytes;
  hashingMemory.blockBytes = 4 * 3 * 16 * 7; // 7 rows per block
  try {
    expect(Array.from(hashBuckets(qk, rot, 3, [16]))).toEqual(Array.from(whole));
  } finally {
    hashingMemory.blockBytes = saved;
  }
  expect(new Set(whole).size).toBeGreaterThan(8); // many buckets used: the comparison is not vacuous
  tf.dispose([qk, rot]);
});

test("factorised hashing: a round's bucket is the first factor's bucket + f1 × the second's, each hashed on its own columns", () => {
  const qk = tf.randomNormal([200, 8], 0, 1, 'float32', 6) as tf.Tensor2D;
  const rot = hashRotations(8, 2, [4, 6], 3); // per round: 2 columns for f1 = 4, then 3 for f2 = 6
  expect(rot.shape).toEqual([8, 2 * 5]);
  const buckets = hashBuckets(qk, rot, 2, [4, 6]);
  const columns = (round: number, from: number, n: number) => rot.slice([0, round * 5 + from], [8, n]) as tf.Tensor2D;
  for (let r = 0; r < 2; r++) {
    const a = hashBuckets(qk, columns(r, 0, 2), 1, [4]);
    const b = hashBuckets(qk, columns(r, 2, 3), 1, [6]);
    const combined = Array.from(a, (x, i) => x + 4 * b[i]);
    expect(Array.from(buckets.subarray(r * 200, (r + 1) * 200))).toEqual(combined);
  }
  expect(new Set(buckets).size).toBeGreaterThan(16); // most of the 24 buckets are used
  expect(Math.max(...buckets)).toBeLessThan(24);
  tf.dispose([qk, rot]);
});

test('hashBucketsAsync (no synchronous read) gives the buckets hashBuckets gives', async () => {
  const qk = tf.randomNormal([120, 8], 0, 1, 'float32', 7) as tf.Tensor2D;
  const rot = hashRotations(8, 2, [4, 6], 5);
  const before = tf.memory().numTensors;
  const got = await hashBucketsAsync(qk, rot, 2, [4, 6]);
  expect(tf.memory().numTensors).toBe(before);
  expect(Array.from(got)).toEqual(Array.from(hashBuckets(qk, rot, 2, [4, 6])));
  expect(Array.from(await hashBucketsAsync(qk, undefined, 2, [1]))).toEqual(new Array(240).fill(0));
  tf.dispose([qk, rot]);
});

test('the counting sort orders each round and group by (bucket, position), as a stable comparison sort does', () => {
  const [R, G, L, nBuckets] = [2, 3, 50, 6];
  const buckets = Int32Array.from({ length: R * G * L }, (_, i) => (i * 7 + ((i * i) >> 4)) % nBuckets);
  const plan = sortByBucket(buckets, R, G, L, nBuckets);
  expect([plan.rounds, plan.groups, plan.length]).toEqual([R, G, L]);
  for (let base = 0; base < R * G * L; base += L) {
    const want = Array.from({ length: L }, (_, p) => p)
      .sort((a, b) => buckets[base + a]! - buckets[base + b]! || a - b)
      .map((p) => base + p);
    expect(Array.from(plan.perm.subarray(base, base + L))).toEqual(want);
  }
  for (let s = 0; s < R * G * L; s++) {
    expect(plan.inverse[plan.perm[s]!]).toBe(s);
    expect(plan.sortedBuckets[s]).toBe(buckets[plan.perm[s]!]);
  }
  expect(new Set(buckets).size).toBe(nBuckets); // every bucket used: the sort has work to do
});

test('the identity plan is the sort of a single bucket', () => {
  const sorted = sortByBucket(new Int32Array(3 * 10), 1, 3, 10, 1);
  const identity = identityPlan(3, 10);
  expect(Array.from(identity.perm)).toEqual(Array.from(sorted.perm));
  expect(Array.from(identity.inverse)).toEqual(Array.from(sorted.inverse));
  expect(Array.from(identity.sortedBuckets)).toEqual(Array.from(sorted.sortedBuckets));
});
