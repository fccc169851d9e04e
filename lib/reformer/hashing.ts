/**
 * Angular LSH (paper §2, "Hashing attention"): bucket = argmax over [xR; −xR] for a random
 * rotation R per hash round, then a stable sort of positions by (bucket, position). With bucket
 * factors [f1, f2, …] (config.ts) each round hashes once per factor, with R's columns split
 * f1/2, f2/2, …, and combines the argmaxes as f1's + f1 × f2's + …: f1·f2 buckets for f1 + f2
 * columns (trax's factorised hashing).
 *
 * No backend has a sort kernel, and `topk` on a combined (bucket·L + position) key is exact only
 * below 2^24 in float32 (65,536 positions × 2,048 buckets is 2^27). Bucket ids are small integers,
 * so a counting sort on the CPU is exact, stable and O(L): that is what runs here.
 */
import * as tf from './tf';

/** Rotation columns per round: Σ f/2 over the bucket factors (1 when there is a single bucket). */
export function rotationColumns(factors: number[]): number {
  return Math.max(
    1,
    factors.reduce((sum, f) => sum + f / 2, 0),
  );
}

/** Seeded random rotations for all rounds: [dHead, nHashes · rotationColumns(factors)]. */
export function hashRotations(dHead: number, nHashes: number, factors: number[], seed: number): tf.Tensor2D {
  return tf.randomNormal([dHead, nHashes * rotationColumns(factors)], 0, 1, 'float32', seed) as tf.Tensor2D;
}

const single = (factors: number[]) => factors.reduce((a, b) => a * b, 1) === 1;

/**
 * Hash buckets of every row of `qk` [rows, dHead] for every round, for bucket factors `factors`.
 * Returns Int32Array [rounds, rows] (round-major). A single bucket ([1]) puts every row in bucket 0.
 */
export function hashBuckets(
  qk: tf.Tensor2D,
  rotations: tf.Tensor2D | undefined,
  nHashes: number,
  factors: number[],
): Int32Array {
  const rows = qk.shape[0];
  if (single(factors) || !rotations) return new Int32Array(nHashes * rows);
  const rowMajor = bucketTensor(qk, rotations, nHashes, factors);
  const data = rowMajor.dataSync() as Int32Array;
  rowMajor.dispose();
  return roundMajor(data, rows, nHashes);
}

/** hashBuckets without a synchronous read (WebGPU's readSync is slow and, in Chromium, fragile). */
export async function hashBucketsAsync(
  qk: tf.Tensor2D,
  rotations: tf.Tensor2D | undefined,
  nHashes: number,
  factors: number[],
): Promise<Int32Array> {
  const rows = qk.shape[0];
  if (single(factors) || !rotations) return new Int32Array(nHashes * rows);
  const rowMajor = bucketTensor(qk, rotations, nHashes, factors);
  const data = (await rowMajor.data()) as Int32Array;
  rowMajor.dispose();
  return roundMajor(data, rows, nHashes);
}

/**
 * Bytes of rotated projections hashed at once (tests lower it): at 65,536 positions × 4 heads ×
 * 4 rounds × 2,048 buckets the whole [rows, R·NB/2] product would be 4 GiB, the entire WASM heap.
 */
export const hashingMemory = { blockBytes: 64 * 2 ** 20 };

/** argmax over [xR; −xR] per factor: qk [rows, dHead] → buckets [rows, R] (int32, row-major), in row blocks. */
function bucketTensor(qk: tf.Tensor2D, rotations: tf.Tensor2D, nHashes: number, factors: number[]): tf.Tensor2D {
  const [rows, D] = qk.shape;
  const columns = rotationColumns(factors);
  const block = Math.max(1, Math.floor(hashingMemory.blockBytes / (8 * nHashes * columns)));
  const hash = (x: tf.Tensor2D) =>
    tf.tidy(() => {
      const rotated = tf.matMul(x, rotations).reshape([x.shape[0], nHashes, columns]); // [rows, R, Σ f/2]
      const parts =
        factors.length === 1
          ? [rotated]
          : tf.split(
              rotated,
              factors.map((f) => f / 2),
              2,
            );
      let bucket: tf.Tensor | undefined;
      let scale = 1;
      parts.forEach((part, i) => {
        const b = tf.argMax(tf.concat([part, tf.neg(part)], 2), 2); // [rows, R] in [0, f)
        bucket = bucket ? tf.add(bucket, scale === 1 ? b : tf.mul(b, tf.scalar(scale, 'int32'))) : b;
        scale *= factors[i];
      });
      return bucket as tf.Tensor2D;
    });
  if (rows <= block) return hash(qk);
  const parts: tf.Tensor2D[] = [];
  for (let start = 0; start < rows; start += block) {
    const n = Math.min(block, rows - start);
    parts.push(tf.tidy(() => hash(qk.slice([start, 0], [n, D]))));
  }
  const out = tf.concat(parts, 0) as tf.Tensor2D;
  tf.dispose(parts);
  return out;
}

function roundMajor(data: Int32Array, rows: number, nHashes: number): Int32Array {
  const out = new Int32Array(nHashes * rows);
  for (let i = 0; i < rows; i++) for (let r = 0; r < nHashes; r++) out[r * rows + i] = data[i * nHashes + r];
  return out;
}

/**
 * A sort of R copies of [groups, length] rows by bucket. Slot s of the sorted order holds row
 * `perm[s]` of the R-times tiled input (index r·groups·length + g·length + position).
 */
export interface SortPlan {
  rounds: number;
  groups: number;
  length: number;
  /** [R·G·L] sorted slot → tiled row. */
  perm: Int32Array;
  /** [R·G·L] tiled row → sorted slot. */
  inverse: Int32Array;
  /** [R·G·L] bucket of the row in each sorted slot. */
  sortedBuckets: Int32Array;
}

/**
 * Stable counting sort by bucket within each (round, group): positions of equal bucket keep their
 * order, so within a bucket the sorted order is the causal order.
 * buckets: [R, G, L] (round-major, as hashBuckets returns for rows = G·L).
 */
export function sortByBucket(
  buckets: Int32Array,
  rounds: number,
  groups: number,
  length: number,
  nBuckets: number,
): SortPlan {
  const n = rounds * groups * length;
  const perm = new Int32Array(n);
  const inverse = new Int32Array(n);
  const sortedBuckets = new Int32Array(n);
  const counts = new Int32Array(nBuckets + 1);
  for (let base = 0; base < n; base += length) {
    counts.fill(0);
    for (let p = 0; p < length; p++) counts[buckets[base + p] + 1]++;
    for (let b = 0; b < nBuckets; b++) counts[b + 1] += counts[b];
    for (let p = 0; p < length; p++) {
      const b = buckets[base + p];
      const slot = base + counts[b]++;
      perm[slot] = base + p;
      inverse[base + p] = slot;
      sortedBuckets[slot] = b;
    }
  }
  return { rounds, groups, length, perm, inverse, sortedBuckets };
}

/** The identity plan (one round, one bucket): local attention in the original order. */
export function identityPlan(groups: number, length: number): SortPlan {
  const n = groups * length;
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  return { rounds: 1, groups, length, perm, inverse: perm, sortedBuckets: new Int32Array(n) };
}
