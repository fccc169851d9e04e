/**
 * Small tensor building blocks shared by the layers, each with a gradient every backend can run.
 * WASM has no gradient for `gather` (UnsortedSegmentSum is not registered there), so row
 * permutations and embedding lookups carry their own gradients: the inverse permutation, and rows
 * added into their ids' rows (on the wasm heap; a one-hot matmul elsewhere). Dense biases and layer
 * norms carry theirs too, to keep sums over rows off tfjs-wasm's transposing Sum.
 */
import { heapGatherRows, heapScatterAddRows, onHeap } from './kernels/heap';
import { exp } from './kernels/simd';
import { matMul2d } from './matmul';
import * as tf from './tf';

type GradResult = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor };

/** tf.customGrad for one tensor input, typed for what we pass it. */
function customGrad(f: (x: tf.Tensor, save: tf.GradSaveFunc) => GradResult): (x: tf.Tensor) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as (x: tf.Tensor) => tf.Tensor;
}

/** x·W (+ b) over the last axis: x [..., dIn], w [dIn, dOut], b [dOut] → [..., dOut]. */
export function dense(x: tf.Tensor, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor {
  const dIn = x.shape[x.shape.length - 1];
  const flat = x.reshape([-1, dIn]) as tf.Tensor2D;
  const product = matMul2d(flat, w);
  const y = b ? addBias(product, b) : product;
  return y.reshape([...x.shape.slice(0, -1), w.shape[1]]);
}

/**
 * Σ over the rows of x [n, m] → [m], as the product ones [1, n] · x. tfjs-wasm sums over any axis
 * but the last by transposing x first; a product with no transpose flag runs in XNNPACK.
 */
export function columnSums(x: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.matMul(tf.ones([1, x.shape[0]]), x).reshape([x.shape[1]]) as tf.Tensor1D);
}

/** x [n, m] + b [m]; b's gradient is the column sums of dy (tfjs's own would sum over axis 0). */
function addBias(x: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const f = tf.customGrad(((xi: tf.Tensor, bi: tf.Tensor) => ({
    value: tf.add(xi, bi),
    gradFunc: (dy: tf.Tensor) => [dy, columnSums(dy as tf.Tensor2D)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, b) as tf.Tensor2D;
}

/**
 * Layer normalisation over the last axis, with its gradient written out: per row, with x̂ the
 * normalised x and r = 1/σ, dx = r·(g − mean(g) − x̂·mean(g·x̂)) for g = dy·γ; dγ and dβ are column
 * sums (columnSums). Autodiff of the forward formula took some twenty kernels, several of them
 * sums over rows that tfjs-wasm transposes for.
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps = 1e-5): tf.Tensor {
  const d = x.shape[x.shape.length - 1]!;
  const f = tf.customGrad(((xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
    const flat = xi.reshape([-1, d]);
    const { mean, variance } = tf.moments(flat, 1, true);
    const r = tf.rsqrt(tf.add(variance, eps));
    const xHat = tf.mul(tf.sub(flat, mean), r);
    save([xHat, r, g]);
    return {
      value: tf.add(tf.mul(xHat, g), b).reshape(xi.shape),
      gradFunc: (dy: tf.Tensor, [xh, rs, gs]: tf.Tensor[]) => {
        const dyFlat = dy.reshape([-1, d]) as tf.Tensor2D;
        const gx = tf.mul(dyFlat, gs!);
        const dx = tf.mul(
          tf.sub(tf.sub(gx, tf.mean(gx, 1, true)), tf.mul(xh!, tf.mean(tf.mul(gx, xh!), 1, true))),
          rs!,
        );
        return [dx.reshape(dy.shape), columnSums(tf.mul(dyFlat, xh!) as tf.Tensor2D), columnSums(dyFlat)];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x, gamma, beta);
}

/**
 * GELU, tanh approximation (Hendrycks & Gimpel), written as x·σ(2z): ½(1 + tanh z) = σ(2z), with
 * 2z = x·(a + b·x²). Same function; on WASM, Sigmoid and Mul run in XNNPACK while Pow and Tanh are
 * scalar loops.
 */
export function gelu<T extends tf.Tensor>(x: T): T {
  const a = 2 * Math.sqrt(2 / Math.PI);
  return tf.mul(x, tf.sigmoid(tf.mul(x, tf.add(tf.mul(tf.square(x), a * 0.044715), a))));
}

/**
 * y[i] = x[index[i]] where `index` holds `copies` permutations of the rows of x [M, D] back to
 * back (y is [copies·M, D]). The gradient gathers dy by `inverse` (index's inverse as a
 * permutation of copies·M slots) and sums the copies: no scatter kernel needed.
 */
export function permuteRows(x: tf.Tensor2D, index: Int32Array, inverse: Int32Array, copies = 1): tf.Tensor2D {
  const [M, D] = x.shape;
  const f = customGrad((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const inverseT = tf.tensor1d(inverse, 'int32');
    save([inverseT]);
    return {
      value: gatherRows(input as tf.Tensor2D, index),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const back = gatherRows(dy as tf.Tensor2D, saved[0].dataSync() as Int32Array); // [copies·M, D] in tiled original order
        return copies === 1 ? back : tf.sum(back.reshape([copies, M, D]), 0);
      },
    };
  });
  return f(x) as tf.Tensor2D;
}

/**
 * log Σ exp(x) over the last axis, keeping it: [..., n] → [..., 1]. Its gradient is the softmax;
 * tfjs's own goes through the gradient of `max`, a broadcast comparison that is slow on WASM. Its
 * exponentials run in the SIMD kernel where there is one (kernels/simd.ts).
 */
export function logSumExpLast(x: tf.Tensor): tf.Tensor {
  const f = customGrad((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const max = tf.max(input, -1, true);
    const value = tf.add(tf.log(tf.sum(exp(tf.sub(input, max)), -1, true)), max);
    save([input, value]);
    return { value, gradFunc: (dy: tf.Tensor, [xs, lse]: tf.Tensor[]) => tf.mul(dy, exp(tf.sub(xs, lse))) };
  });
  return f(x);
}

/**
 * x[index] along axis 0, x [M, D] → [index.length, D], no gradient. WASM's Gather kernel is much
 * slower than copying rows: there the rows go from heap to heap (kernels/heap.ts); the CPU backend
 * copies them in JS; the GPU backends run their Gather.
 */
export function gatherRows(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  const rows = heapGatherRows(x, index);
  if (rows) return rows;
  if (tf.getBackend() !== 'cpu') return tf.tidy(() => tf.gather(x, tf.tensor1d(index, 'int32'), 0) as tf.Tensor2D);
  const D = x.shape[1];
  const src = x.dataSync() as Float32Array;
  const out = new Float32Array(index.length * D);
  for (let i = 0; i < index.length; i++) out.set(src.subarray(index[i] * D, (index[i] + 1) * D), i * D);
  return tf.tensor2d(out, [index.length, D]);
}

/** The inverse of a permutation. */
export function invertPermutation(perm: Int32Array): Int32Array {
  const inv = new Int32Array(perm.length);
  for (let i = 0; i < perm.length; i++) inv[perm[i]] = i;
  return inv;
}

/**
 * Embedding lookup: table [V, D], ids [N] → [N, D]. Gradient: dy's rows added into their ids' rows,
 * on the wasm heap in one pass; elsewhere oneHot(ids)ᵀ · dy, a matmul that runs on every backend
 * (WASM has no gradient for Gather). On WASM that matmul spends most of its time transposing the
 * [N, V] one-hot element by element, hence the heap path there.
 */
export function embeddingLookup(table: tf.Tensor2D, ids: tf.Tensor1D): tf.Tensor2D {
  const vocab = table.shape[0];
  const f = customGrad((t: tf.Tensor, save: tf.GradSaveFunc) => {
    save([ids]);
    // WASM's Gather kernel is much slower than copying rows on the heap (the ids are small).
    // Only there are the ids read back: on WebGPU a synchronous read is slow and fragile.
    const value =
      onHeap(t) && ids.dtype === 'int32'
        ? heapGatherRows(t as tf.Tensor2D, ids.dataSync() as Int32Array)!
        : tf.gather(t, ids, 0);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const onWasm = onHeap(dy) && saved[0]!.dtype === 'int32';
        if (onWasm) return heapScatterAddRows(dy as tf.Tensor2D, saved[0]!.dataSync() as Int32Array, vocab)!;
        // Transposed explicitly: a transpose flag sends WASM's MatMul to its scalar loop (matmul.ts).
        const oneHotT = tf
          .oneHot(saved[0] as tf.Tensor1D, vocab)
          .toFloat()
          .transpose() as tf.Tensor2D;
        return tf.matMul(oneHotT, dy as tf.Tensor2D);
      },
    };
  });
  return f(table) as tf.Tensor2D;
}

/** Dropout whose mask is a pure function of `seed`, so a recompute replays it exactly. */
export function seededDropout(x: tf.Tensor, rate: number, seed: number | undefined): tf.Tensor {
  if (rate <= 0 || seed === undefined) return x;
  return tf.dropout(x, rate, undefined, seed);
}

/** Mixes integers into a 31-bit seed (deterministic, order-sensitive). */
export function mixSeed(...parts: number[]): number {
  let h = 0x811c9dc5;
  for (const p of parts) {
    h ^= p | 0;
    h = Math.imul(h, 0x01000193);
    h ^= h >>> 15;
  }
  return (h >>> 0) % 2147483647;
}
