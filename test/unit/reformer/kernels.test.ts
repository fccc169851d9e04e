import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { compileWat, KERNELS_DIR, wasmModuleSource } from '@/lib/node/wasm-kernels';
import { heapGatherRows, heapScatterAddRows, writtenTensor } from '@/lib/reformer/kernels/heap';
import {
  canUseSimdAttention,
  canUseSimdExp,
  canUseSimdProductNT,
  exp,
  fusedChunkAttention,
  productNT,
  simdLn,
  transposeLastTwo,
} from '@/lib/reformer/kernels/simd';
import { installWasmSlice } from '@/lib/reformer/kernels/slice';
import { windowBias } from '@/lib/reformer/attention';
import { embeddingLookup, gatherRows } from '@/lib/reformer/ops';
import * as tf from '@/lib/reformer/tf';

beforeAll(async () => {
  await tf.setBackend('wasm');
  await tf.ready();
});

afterAll(async () => {
  await tf.setBackend('cpu');
});

test('the committed kernel bytes are what simd.wat compiles to (run `npm run build:kernels`)', async () => {
  const bytes = await compileWat('simd.wat', readFileSync(path.join(KERNELS_DIR, 'simd.wat'), 'utf8'));
  expect(readFileSync(path.join(KERNELS_DIR, 'simd.wasm.ts'), 'utf8')).toBe(wasmModuleSource('simd.wat', bytes));
});

describe('productNT', () => {
  test.each([
    [768, 32, 64, 32],
    [6, 32, 32, 64],
    [3, 5, 8, 12], // rows not a multiple of anything
    [2, 1, 4, 4],
  ])('A·Bᵀ for [%i, %i, k] · [·, %i, %i] in the SIMD kernel equals tf.matMul', (batch, n, m, k) => {
    const a = tf.randomNormal([batch, n, k], 0, 1, 'float32', 1) as tf.Tensor3D;
    const b = tf.randomNormal([batch, m, k], 0, 1, 'float32', 2) as tf.Tensor3D;
    expect(canUseSimdProductNT(a, b)).toBe(true);
    const want = tf.matMul(a, b, false, true);
    const got = productNT(a, b);
    expect(got.shape).toEqual([batch, n, m]);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-4 * Math.sqrt(k));
    tf.dispose([a, b, want, got]);
  });

  test('shapes the kernel does not take fall back to tf.matMul with the same result', () => {
    const a = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 3) as tf.Tensor3D;
    const b = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 4) as tf.Tensor3D;
    expect(canUseSimdProductNT(a, b)).toBe(false);
    expect(productNT(a, b).arraySync()).toEqual(tf.matMul(a, b, false, true).arraySync());
  });

  test('does not leak: the output is a tracked tensor', () => {
    const a = tf.ones([4, 8, 8]) as tf.Tensor3D;
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      productNT(a, a);
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(productNT(a, a).dataSync()[0]).toBe(8);
  });
});

test.each([
  [[8, 12]],
  [[3, 4, 8]],
  [[2, 2, 16, 4]],
  [[5, 4]], // rows no multiple of 4: tfjs's Transpose
  [[4, 6]],
])('transposeLastTwo of %j swaps the last two axes as tf.transpose does', async (shape) => {
  const x = tf.tensor(
    Array.from({ length: tf.util.sizeFromShape(shape) }, (_, i) => i * 0.5 - 3),
    shape,
  );
  const r = shape.length;
  const inKernel = shape.slice(-2).every((n) => n % 4 === 0);
  const { kernelNames } = await tf.profile(() => transposeLastTwo(x));
  expect(kernelNames).toEqual([inKernel ? 'ReformerTranspose' : 'Transpose']);
  const before = tf.memory().numTensors;
  const got = transposeLastTwo(x);
  expect(tf.memory().numTensors).toBe(before + 1);
  expect(got.arraySync()).toEqual(
    tf.transpose(x, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]).arraySync(),
  );
});

describe('exp', () => {
  test('is within 1 ulp of exp over the float range, flushes subnormals to 0, keeps ±∞ and NaN', () => {
    const n = 1 << 20;
    const xs = new Float32Array(n + 3); // not a multiple of 4: the tail path runs too
    for (let i = 0; i < xs.length; i++) xs[i] = -100 + (190 * i) / xs.length;
    xs.set([NaN, -Infinity, Infinity, 0, 89, -88, 88.72283, -87.33654], 0);
    const x = tf.tensor1d(xs);
    expect(canUseSimdExp(x)).toBe(true);
    const y = exp(x).dataSync();
    expect([...y.subarray(0, 6)]).toEqual([NaN, 0, Infinity, 1, Infinity, 0]);
    let worstUlp = 0;
    for (let i = 6; i < xs.length; i++) {
      const want = Math.exp(xs[i]);
      if (want < 2 ** -126) expect(y[i]).toBe(0);
      else if (Math.fround(want) === Infinity) expect(y[i]).toBe(Infinity);
      else worstUlp = Math.max(worstUlp, Math.abs(y[i] - want) / 2 ** (Math.floor(Math.log2(want)) - 23));
    }
    expect(worstUlp).toBeLessThanOrEqual(1);
  });

  test('differentiates as eˣ', () => {
    const g = tf.grad((t: tf.Tensor) => tf.sum(exp(t)))(tf.tensor1d([0, 1, -2]));
    expect([...g.dataSync()]).toEqual([1, Math.fround(Math.E), expect.closeTo(Math.exp(-2), 7)]);
  });

  test('is tfjs’s own exp on other backends', async () => {
    await tf.setBackend('cpu');
    try {
      const x = tf.tensor1d([0, 1]);
      expect(canUseSimdExp(x)).toBe(false);
      expect([...exp(x).dataSync()]).toEqual([...tf.exp(x).dataSync()]);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

describe('fused chunk attention', () => {
  /** Sequences of nC chunks of C sorted slots in runs of random buckets, and the window bias that masks them. */
  function inputs(S: number, nC: number, C: number, D: number) {
    const N = S * nC * C;
    const buckets = new Int32Array(N);
    let seed = 5;
    const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let r = 1; r < N; r++) buckets[r] = r % (nC * C) === 0 ? 0 : buckets[r - 1]! + (rnd() < 0.08 ? 1 : 0);
    return {
      N,
      buckets,
      q: tf.randomNormal([N, D], 0, 1, 'float32', 1) as tf.Tensor2D,
      k: tf.randomNormal([N, D], 0, 1, 'float32', 2) as tf.Tensor2D,
      v: tf.randomNormal([N, D], 0, 1, 'float32', 3) as tf.Tensor2D,
      bias: windowBias(buckets, nC * C, C),
      weights: tf.randomNormal([N, D + 1], 0, 1, 'float32', 4),
    };
  }

  /** The same attention in plain tf ops over the whole window (the chunk before, zeros before the first, and its own), masked by windowBias. */
  function reference(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, bias: tf.Tensor, S: number, nC: number, C: number) {
    const D = q.shape[1]!;
    const window = (x: tf.Tensor) => {
      const x4 = x.reshape([S, nC, C, D]);
      const before = tf.concat([tf.zeros([S, 1, C, D]), x4.slice([0, 0, 0, 0], [S, nC - 1, C, D])], 1);
      return tf.concat([before, x4], 2).reshape([S * nC, 2 * C, D]);
    };
    const scores = tf.add(tf.matMul(tf.mul(q, 1 / Math.sqrt(D)).reshape([S * nC, C, D]), window(k), false, true), bias);
    const lse = tf.logSumExp(scores, -1, true);
    const out = tf.matMul(tf.exp(tf.sub(scores, lse)), window(v));
    return tf.concat([out.reshape([S * nC * C, D]), lse.reshape([S * nC * C, 1])], 1);
  }

  test.each([
    [2, 3, 8, 16],
    [1, 2, 64, 64], // the base preset's chunk and head size
    [2, 3, 6, 8], // a chunk that is no multiple of 4
    [3, 1, 4, 4], // one chunk per sequence: nothing before any of them
  ])(
    '%i sequences of %i chunks of %i slots, D %i: values and gradients equal plain tf ops masked by windowBias',
    async (S, nC, C, D) => {
      const x = inputs(S, nC, C, D);
      expect(canUseSimdAttention(x.q)).toBe(true);
      const loss =
        (f: (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) => tf.Tensor) => (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
          tf.sum(tf.mul(f(q, k, v), x.weights));
      const fused = (q: tf.Tensor, k: tf.Tensor, v: tf.Tensor) =>
        fusedChunkAttention(q as tf.Tensor2D, k as tf.Tensor2D, v as tf.Tensor2D, x.buckets, C, nC * C);
      const got = [fused(x.q, x.k, x.v), ...tf.grads(loss(fused))([x.q, x.k, x.v])].map((t) => t.dataSync());
      await tf.setBackend('cpu'); // the reference on another backend, in tfjs's own kernels
      try {
        const [q, k, v, bias, weights] = [x.q, x.k, x.v, x.bias, x.weights].map((t) =>
          tf.tensor(t.dataSync(), t.shape),
        );
        const ref = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
          tf.sum(tf.mul(reference(a, b, c, bias!, S, nC, C), weights!));
        const want = [reference(q!, k!, v!, bias!, S, nC, C), ...tf.grads(ref)([q!, k!, v!])].map((t) => t.dataSync());
        for (let i = 0; i < 4; i++) {
          expect(got[i]!.length).toBe(want[i]!.length);
          expect(maxAbsDiff(got[i]!, want[i]!)).toBeLessThan(2e-6 * Math.sqrt(D));
        }
      } finally {
        await tf.setBackend('wasm');
      }
    },
  );

  test('a slot alone in its bucket attends to itself and returns its own value', () => {
    const C = 4;
    const q = tf.randomNormal([2 * C, 4], 0, 1, 'float32', 7) as tf.Tensor2D;
    const v = tf.randomNormal([2 * C, 4], 0, 1, 'float32', 8) as tf.Tensor2D;
    const out = fusedChunkAttention(
      q,
      q,
      v,
      Int32Array.from({ length: 2 * C }, (_, i) => i),
      C,
      2 * C,
    ).arraySync();
    const values = v.arraySync();
    for (let r = 0; r < 2 * C; r++) expect(out[r]!.slice(0, 4)).toEqual(values[r]!.map((x) => expect.closeTo(x, 6)));
  });

  test('frees its scratch and keeps only its output', () => {
    const x = inputs(1, 2, 8, 8);
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    const out = fusedChunkAttention(x.q, x.k, x.v, x.buckets, 8, 16);
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(tf.memory().numBytes).toBe(bytes + x.N * 9 * 4);
    out.dispose();
  });

  test('the log-sum-exp’s ln is within 1 ulp of Math.log over the sums it takes (1 to chunk + 1)', () => {
    let worstUlp = 0;
    for (let x = 1; x < 1024; x *= 1.000731) {
      const f = Math.fround(x);
      const want = Math.log(f);
      const ulp = want === 0 ? 2 ** -149 : 2 ** (Math.floor(Math.log2(Math.abs(want))) - 23);
      worstUlp = Math.max(worstUlp, Math.abs(simdLn(f)! - want) / ulp);
    }
    expect(worstUlp).toBeLessThanOrEqual(1);
  });

  test('rows whose width is no multiple of 4, and other backends, keep the plain path', async () => {
    expect(canUseSimdAttention(tf.zeros([8, 6]))).toBe(false);
    await tf.setBackend('cpu');
    try {
      expect(canUseSimdAttention(tf.zeros([8, 8]))).toBe(false);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('Slice and SplitV on wasm', () => {
  test('replace tfjs-wasm’s kernels and give what the cpu backend gives, for every rank, dtype and shape of slice', async () => {
    installWasmSlice();
    expect(tf.getKernel('Slice', 'wasm')!.kernelFunc.toString()).not.toContain('readSync');
    const cases: [number[], number[], number[]][] = [
      [[10], [3], [4]],
      [
        [6, 7],
        [1, 2],
        [3, -1],
      ], // strided rows, size −1 = to the end
      [
        [4, 5, 6],
        [1, 0, 0],
        [2, 5, 6],
      ], // contiguous
      [
        [4, 5, 6],
        [0, 1, 2],
        [4, 3, 2],
      ], // short runs
      [
        [2, 3, 4, 40],
        [1, 1, 0, 3],
        [1, 2, 4, 20],
      ], // long runs
      [
        [2, 3, 2, 2, 5],
        [0, 1, 0, 1, 1],
        [2, 2, 2, 1, 3],
      ], // rank 5
      [
        [3, 4],
        [1, 1],
        [0, 2],
      ], // empty
    ];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const out: unknown[] = [];
      for (const [shape, begin, size] of cases) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          const n = tf.util.sizeFromShape(shape);
          const values =
            dtype === 'bool'
              ? Array.from({ length: n }, (_, i) => i % 3 === 0)
              : Array.from({ length: n }, (_, i) => i * 1.5);
          const x = tf.tensor(values, shape, dtype);
          out.push(x.slice(begin, size).arraySync());
        }
        const x = tf.range(0, tf.util.sizeFromShape(shape)).reshape(shape);
        const axis = shape.length - 1;
        out.push(tf.split(x, [1, shape[axis] - 1], axis).map((t) => t.arraySync()));
      }
      return out;
    };
    const cpu = await run('cpu');
    expect(await run('wasm')).toEqual(cpu);
  });
});

describe('tensors written on the wasm heap', () => {
  test.each([
    [40, 33, [5, 0, 39, 5, 12]], // rows copied whole (D ≥ 16), a row twice
    [9, 1, [8, 0, 3, 3, 7, 1]], // short rows, element by element
    [6, 4, []], // no rows
  ])('gatherRows of [%i, %i] on wasm takes the rows from the heap and equals tf.gather', async (M, D, rows) => {
    const index = Int32Array.from(rows);
    const values = Array.from({ length: M * D }, (_, i) => i * 0.25 - 7);
    const x = tf.tensor2d(values, [M, D]);
    const before = tf.memory().numTensors;
    const got = heapGatherRows(x, index)!;
    expect(got).not.toBeNull();
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(got.shape).toEqual([rows.length, D]);
    expect(Array.from(got.dataSync())).toEqual(rows.flatMap((r) => values.slice(r * D, (r + 1) * D)));
    expect(gatherRows(x, index).arraySync()).toEqual(got.arraySync());
    tf.dispose([x, got]);
  });

  test('scatter-adding rows sums each row into its id, and an embedding’s gradient on wasm equals the one-hot product on cpu', async () => {
    const dy = tf.tensor2d(
      Array.from({ length: 5 * 3 }, (_, i) => i - 4),
      [5, 3],
    );
    const ids = Int32Array.from([2, 0, 2, 3, 2]);
    expect(heapScatterAddRows(dy, ids, 4)!.arraySync()).toEqual([
      [-1, 0, 1],
      [0, 0, 0],
      [-4 + 2 + 8, -3 + 3 + 9, -2 + 4 + 10],
      [5, 6, 7],
    ]);
    expect(() => heapScatterAddRows(dy, Int32Array.from([0, 1, 2, 3, 4]), 4)).toThrow(/row 4 of 4/);
    const grad = () => {
      const table = tf.tensor2d(
        Array.from({ length: 6 * 4 }, (_, i) => Math.sin(i)),
        [6, 4],
      );
      const tokens = tf.tensor1d([5, 1, 1, 0, 5, 5, 2], 'int32');
      const w = tf.tensor2d(
        Array.from({ length: 7 * 4 }, (_, i) => Math.cos(i)),
        [7, 4],
      );
      return tf
        .grad((t: tf.Tensor) => tf.sum(tf.mul(embeddingLookup(t as tf.Tensor2D, tokens), w)))(table)
        .arraySync();
    };
    const onWasm = grad();
    await tf.setBackend('cpu');
    try {
      const onCpu = grad() as number[][];
      expect(onWasm).toEqual(onCpu.map((row) => row.map((x) => expect.closeTo(x, 6))));
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test('a row outside the tensor is refused, not read from whatever lies next to it on the heap', () => {
    const x = tf.ones([4, 2]) as tf.Tensor2D;
    expect(() => heapGatherRows(x, Int32Array.from([0, 4]))).toThrow(/row 4 of a \[4, 2\] tensor/);
    expect(() => heapGatherRows(x, Int32Array.from([-1]))).toThrow(RangeError);
    x.dispose();
  });

  test('embedding lookups read their ids back only on wasm: elsewhere (WebGPU) a synchronous read is slow and fragile', async () => {
    const lookup = () => {
      const table = tf.tensor2d(
        Array.from({ length: 12 }, (_, i) => i),
        [4, 3],
      );
      const ids = tf.tensor1d([3, 0, 3], 'int32');
      const reads = vi.spyOn(ids, 'dataSync');
      const rows = embeddingLookup(table, ids).arraySync();
      const read = reads.mock.calls.length > 0;
      tf.dispose([table, ids]);
      return { rows, read };
    };
    const onWasm = lookup();
    expect(onWasm).toEqual({
      rows: [
        [9, 10, 11],
        [0, 1, 2],
        [9, 10, 11],
      ],
      read: true,
    });
    await tf.setBackend('cpu');
    try {
      expect(lookup()).toEqual({ rows: onWasm.rows, read: false });
    } finally {
      await tf.setBackend('wasm');
    }
  });

  test('a written tensor holds what its writer put, on wasm and elsewhere; gathers off wasm take the portable paths', async () => {
    const write = (out: Float32Array) => out.forEach((_, i) => (out[i] = i % 7 === 0 ? -1e9 : i));
    const onWasm = writtenTensor([3, 4, 5], write);
    expect(onWasm.shape).toEqual([3, 4, 5]);
    const want = Array.from({ length: 60 }, (_, i) => (i % 7 === 0 ? -1e9 : i));
    expect(Array.from(onWasm.dataSync())).toEqual(want);
    onWasm.dispose();
    await tf.setBackend('cpu');
    try {
      expect(Array.from(writtenTensor([3, 4, 5], write).dataSync())).toEqual(want);
      const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2]);
      expect(heapGatherRows(x, Int32Array.from([2, 0]))).toBeNull();
      expect(gatherRows(x, Int32Array.from([2, 0])).arraySync()).toEqual([
        [5, 6],
        [1, 2],
      ]);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
