import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { compileWat, KERNELS_DIR, wasmModuleSource } from '@/lib/reformer/kernels/build';
import { heapGatherRows, writtenTensor } from '@/lib/reformer/kernels/heap';
import { exp, productNT, simdExp, simdProductNT } from '@/lib/reformer/kernels/simd';
import { installWasmSlice } from '@/lib/reformer/kernels/slice';
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
    expect(simdProductNT(a, b)).toBe(true);
    const want = tf.matMul(a, b, false, true);
    const got = productNT(a, b);
    expect(got.shape).toEqual([batch, n, m]);
    expect(tf.max(tf.abs(tf.sub(got, want))).dataSync()[0]).toBeLessThan(1e-4 * Math.sqrt(k));
    tf.dispose([a, b, want, got]);
  });

  test('shapes the kernel does not take fall back to tf.matMul with the same result', () => {
    const a = tf.randomNormal([2, 3, 5], 0, 1, 'float32', 3) as tf.Tensor3D;
    const b = tf.randomNormal([2, 6, 5], 0, 1, 'float32', 4) as tf.Tensor3D;
    expect(simdProductNT(a, b)).toBe(false);
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

describe('exp', () => {
  test('is within 1 ulp of exp over the float range, flushes subnormals to 0, keeps ±∞ and NaN', () => {
    const n = 1 << 20;
    const xs = new Float32Array(n + 3); // not a multiple of 4: the tail path runs too
    for (let i = 0; i < xs.length; i++) xs[i] = -100 + (190 * i) / xs.length;
    xs.set([NaN, -Infinity, Infinity, 0, 89, -88, 88.72283, -87.33654], 0);
    const x = tf.tensor1d(xs);
    expect(simdExp(x)).toBe(true);
    const y = exp(x).dataSync();
    expect([...y.subarray(0, 6)]).toEqual([NaN, 0, Infinity, 1, Infinity, 0]);
    let worstUlp = 0;
    for (let i = 6; i < xs.length; i++) {
      const want = Math.exp(xs[i]);
      if (want < 2 ** -126) expect(y[i]).toBe(0);
      else if (Math.fround(want) === Infinity) expect(y[i]).toBe(Infinity);
      else worstUlp = Math.max(worstUlp, Math.abs(y[i] - want) / (2 ** (Math.floor(Math.log2(want)) - 23)));
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
      expect(simdExp(x)).toBe(false);
      expect([...exp(x).dataSync()]).toEqual([...tf.exp(x).dataSync()]);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});

describe('Slice and SplitV on wasm', () => {
  test('replace tfjs-wasm’s kernels and give what the cpu backend gives, for every rank, dtype and shape of slice', async () => {
    installWasmSlice();
    expect(tf.getKernel('Slice', 'wasm')!.kernelFunc.toString()).not.toContain('readSync');
    const cases: [number[], number[], number[]][] = [
      [[10], [3], [4]],
      [[6, 7], [1, 2], [3, -1]], // strided rows, size −1 = to the end
      [[4, 5, 6], [1, 0, 0], [2, 5, 6]], // contiguous
      [[4, 5, 6], [0, 1, 2], [4, 3, 2]], // short runs
      [[2, 3, 4, 40], [1, 1, 0, 3], [1, 2, 4, 20]], // long runs
      [[2, 3, 2, 2, 5], [0, 1, 0, 1, 1], [2, 2, 2, 1, 3]], // rank 5
      [[3, 4], [1, 1], [0, 2]], // empty
    ];
    const run = async (backend: string) => {
      await tf.setBackend(backend);
      const out: unknown[] = [];
      for (const [shape, begin, size] of cases) {
        for (const dtype of ['float32', 'int32', 'bool'] as const) {
          const n = tf.util.sizeFromShape(shape);
          const values = dtype === 'bool' ? Array.from({ length: n }, (_, i) => i % 3 === 0) : Array.from({ length: n }, (_, i) => i * 1.5);
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

  test('a row outside the tensor is refused, not read from whatever lies next to it on the heap', () => {
    const x = tf.ones([4, 2]) as tf.Tensor2D;
    expect(() => heapGatherRows(x, Int32Array.from([0, 4]))).toThrow(/row 4 of a \[4, 2\] tensor/);
    expect(() => heapGatherRows(x, Int32Array.from([-1]))).toThrow(RangeError);
    x.dispose();
  });

  test('embedding lookups read their ids back only on wasm: elsewhere (WebGPU) a synchronous read is slow and fragile', async () => {
    const lookup = () => {
      const table = tf.tensor2d(Array.from({ length: 12 }, (_, i) => i), [4, 3]);
      const ids = tf.tensor1d([3, 0, 3], 'int32');
      const reads = vi.spyOn(ids, 'dataSync');
      const rows = embeddingLookup(table, ids).arraySync();
      const read = reads.mock.calls.length > 0;
      tf.dispose([table, ids]);
      return { rows, read };
    };
    const onWasm = lookup();
    expect(onWasm).toEqual({ rows: [[9, 10, 11], [0, 1, 2], [9, 10, 11]], read: true });
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
      expect(gatherRows(x, Int32Array.from([2, 0])).arraySync()).toEqual([[5, 6], [1, 2]]);
    } finally {
      await tf.setBackend('wasm');
    }
  });
});
