/**
 * The engine's WebAssembly SIMD kernels (simd.wat) on tfjs-backend-wasm.
 *
 * tfjs-wasm sends every batched or transposed MatMul to a scalar triple loop, and computes Exp with
 * scalar `std::exp`: a training step's attention ([chunks, C, 2C] products and their softmax) is
 * made of exactly those, so both dominated a step on WASM. These
 * kernels read and write the backend's own heap, so no tensor is copied: the module is instantiated
 * against the backend's WebAssembly.Memory and its functions are registered as kernels of the `wasm`
 * backend, so tfjs tracks, profiles and frees their outputs like any other.
 *
 * `fusedChunkAttention` goes further: LSH attention's scores, softmax and weighted sum in one pass
 * per row, forward and backward, so neither the [chunks, C, 2C] scores nor their exponentials are
 * ever stored, and masked slots are skipped.
 *
 * They run when the backend is `wasm`, its memory is not shared (the threaded build is not used)
 * and the engine has WebAssembly SIMD; everywhere else `productNT` and `exp` are tfjs's own ops,
 * and attention.ts takes its plain path.
 */
import * as tf from '../tf';
import { installWasmSlice } from './slice';
import { WASM_BASE64 } from './simd.wasm';

interface Kernels {
  productNT(batch: number, n: number, m: number, k: number, a: number, b: number, c: number): void;
  exp(size: number, x: number, y: number): void;
  log(x: number): number;
  transpose(batch: number, n: number, m: number, x: number, y: number): void;
  attend(
    rows: number,
    chunk: number,
    seqLen: number,
    d: number,
    scale: number,
    q: number,
    k: number,
    v: number,
    buckets: number,
    out: number,
    scratch: number,
  ): void;
  attendGrad(
    rows: number,
    chunk: number,
    seqLen: number,
    d: number,
    scale: number,
    q: number,
    k: number,
    v: number,
    buckets: number,
    y: number,
    dy: number,
    dq: number,
    dk: number,
    dv: number,
    scratch: number,
  ): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm the kernels use. */
interface WasmBackend {
  wasm: { asm?: { memory?: unknown } };
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: 'float32'): tf.TensorInfo;
  disposeData(dataId: object): void;
}

const instances = new WeakMap<object, Kernels | null>();

function decode(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** The kernels bound to this backend's memory, or null where they cannot run. */
function kernelsOf(backend: WasmBackend): Kernels | null {
  if (instances.has(backend)) return instances.get(backend)!;
  installWasmSlice(); // by now the backend's own kernels are registered
  let kernels: Kernels | null = null;
  const memory = backend.wasm?.asm?.memory;
  if (
    memory instanceof WebAssembly.Memory &&
    !(typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer)
  ) {
    try {
      // A 1 KB module: synchronous compilation is allowed on any thread.
      kernels = new WebAssembly.Instance(new WebAssembly.Module(decode(WASM_BASE64)), { env: { memory } })
        .exports as unknown as Kernels;
    } catch {
      kernels = null; // no WebAssembly SIMD in this engine
    }
  }
  instances.set(backend, kernels);
  return kernels;
}

function currentKernels(...tensors: tf.Tensor[]): Kernels | null {
  if (tf.getBackend() !== 'wasm' || tensors.some((t) => t.dtype !== 'float32')) return null;
  return kernelsOf(tf.backend() as unknown as WasmBackend);
}

/** Whether the kernels run on the current backend (it is `wasm`, with SIMD and unshared memory). */
export function simdKernelsActive(): boolean {
  return tf.getBackend() === 'wasm' && kernelsOf(tf.backend() as unknown as WasmBackend) !== null;
}

installWasmSlice(); // when this module loads after tfjs-backend-wasm; else at the first kernelsOf

const PRODUCT_NT = 'ReformerProductNT';
const EXP = 'ReformerExp';
const ATTEND = 'ReformerAttend';
const ATTEND_GRAD = 'ReformerAttendGrad';
const TRANSPOSE = 'ReformerTranspose';

/** attend's attributes: windows of `chunk` slots back, sorted sequences of `seqLen` slots, scores scaled by `scale`. */
type AttendAttrs = { chunk: number; seqLen: number; scale: number };

function register<A extends object = object>(
  kernelName: string,
  run: (backend: WasmBackend, kernels: Kernels, inputs: tf.TensorInfo[], attrs: A) => tf.TensorInfo | tf.TensorInfo[],
) {
  if (tf.getKernel(kernelName, 'wasm')) return;
  tf.registerKernel({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const wasm = backend as unknown as WasmBackend;
      return run(wasm, kernelsOf(wasm)!, Object.values(inputs) as tf.TensorInfo[], attrs as unknown as A);
    },
  });
}

const offset = (backend: WasmBackend, t: tf.TensorInfo) => backend.dataIdMap.get(t.dataId)!.memoryOffset;

register(PRODUCT_NT, (backend, kernels, [a, b]) => {
  const [batch, n, k] = a.shape;
  const m = b.shape[1];
  const out = backend.makeOutput([batch, n, m], 'float32');
  kernels.productNT(batch, n, m, k, offset(backend, a), offset(backend, b), offset(backend, out));
  return out;
});

register(EXP, (backend, kernels, [x]) => {
  const out = backend.makeOutput(x.shape, 'float32');
  kernels.exp(tf.util.sizeFromShape(x.shape), offset(backend, x), offset(backend, out));
  return out;
});

register<AttendAttrs>(ATTEND, (backend, kernels, [q, k, v, buckets], { chunk, seqLen, scale }) => {
  const [rows, d] = q.shape;
  const out = backend.makeOutput([rows, d + 1], 'float32');
  const scratch = backend.makeOutput([chunk + 8], 'float32');
  const at = (t: tf.TensorInfo) => offset(backend, t);
  kernels.attend(rows, chunk, seqLen, d, scale, at(q), at(k), at(v), at(buckets), at(out), at(scratch));
  backend.disposeData(scratch.dataId);
  return out;
});

register<AttendAttrs>(ATTEND_GRAD, (backend, kernels, [q, k, v, buckets, y, dy], { chunk, seqLen, scale }) => {
  const [rows, d] = q.shape;
  const grads = [0, 1, 2].map(() => backend.makeOutput([rows, d], 'float32'));
  const scratch = backend.makeOutput([chunk + 8], 'float32');
  const at = (t: tf.TensorInfo) => offset(backend, t);
  kernels.attendGrad(
    rows,
    chunk,
    seqLen,
    d,
    scale,
    at(q),
    at(k),
    at(v),
    at(buckets),
    at(y),
    at(dy),
    at(grads[0]!),
    at(grads[1]!),
    at(grads[2]!),
    at(scratch),
  );
  backend.disposeData(scratch.dataId);
  return grads;
});

/** Whether the fused chunk attention of rows of this width runs here. */
export function canUseSimdAttention(q: tf.Tensor): boolean {
  const d = q.shape[q.shape.length - 1]!;
  return q.size > 0 && d % 4 === 0 && currentKernels(q) !== null;
}

/**
 * Chunked attention in one pass per row, with no score tensor: q, k, v [N, D] are sorted slots,
 * sequences of `seqLen` of them, and `buckets` [N] their hash buckets. Each slot attends to the
 * earlier slots of its bucket's run at most `chunk` back, with scores q·k/√D, and to itself at
 * −1e5 (alone only when there is nothing else): attention.ts's window of the chunk before and its
 * own, with every slot its windowBias masks skipped rather than computed. → [N, D + 1]: the
 * softmax-weighted values, then the scores' log-sum-exp. Differentiable in q, k and v; the
 * backward pass recomputes the scores row by row. Only where canUseSimdAttention says so.
 */
export function fusedChunkAttention(
  q: tf.Tensor2D,
  k: tf.Tensor2D,
  v: tf.Tensor2D,
  buckets: Int32Array,
  chunk: number,
  seqLen: number,
): tf.Tensor2D {
  const [rows, d] = q.shape;
  if (rows % seqLen !== 0 || buckets.length !== rows)
    throw new Error(
      `fusedChunkAttention: ${rows} rows do not fit sequences of ${seqLen} and ${buckets.length} buckets`,
    );
  const attrs: AttendAttrs = { chunk, seqLen, scale: 1 / Math.sqrt(d) };
  const f = tf.customGrad(((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
    const b = tf.tensor1d(buckets, 'int32');
    const value = tf
      .engine()
      .runKernel(ATTEND, { q: qi, k: ki, v: vi, buckets: b }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    save([qi, ki, vi, b, value]);
    return {
      value,
      gradFunc: (dy: tf.Tensor, [qs, ks, vs, bs, y]: tf.Tensor[]) =>
        tf
          .engine()
          .runKernel(
            ATTEND_GRAD,
            { q: qs, k: ks, v: vs, buckets: bs, y, dy },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[],
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(q, k, v) as tf.Tensor2D;
}

/**
 * The natural logarithm ln x as the kernels compute it (the fused attention's log-sum-exp), for its
 * unit test; null where they do not run.
 */
export function simdLn(x: number): number | null {
  const probe = tf.scalar(0);
  const kernels = currentKernels(probe);
  probe.dispose();
  return kernels ? kernels.log(x) : null;
}

register(TRANSPOSE, (backend, kernels, [x]) => {
  const [n, m] = x.shape.slice(-2);
  const batch = tf.util.sizeFromShape(x.shape.slice(0, -2));
  const out = backend.makeOutput([...x.shape.slice(0, -2), m!, n!], 'float32');
  kernels.transpose(batch, n!, m!, offset(backend, x), offset(backend, out));
  return out;
});

/**
 * x [..., n, m] → [..., m, n], no gradient. In the SIMD kernel (4 × 4 blocks) when n and m are
 * multiples of 4; tfjs-wasm's Transpose moves one element at a time.
 */
export function transposeLastTwo<T extends tf.Tensor>(x: T): T {
  const r = x.rank;
  const [n, m] = x.shape.slice(-2);
  if (r >= 2 && x.size > 0 && n! % 4 === 0 && m! % 4 === 0 && currentKernels(x) !== null)
    return tf.engine().runKernel(TRANSPOSE, { x }) as T;
  return tf.transpose(x, [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2]) as T;
}

/** Whether `productNT` of these operands runs in the SIMD kernel on the current backend. */
export function canUseSimdProductNT(a: tf.Tensor3D, b: tf.Tensor3D): boolean {
  const [batch, n, k] = a.shape;
  const m = b.shape[1];
  if (batch === 0 || n === 0 || m === 0 || k === 0 || k % 4 !== 0 || m % 4 !== 0) return false;
  return currentKernels(a, b) !== null;
}

/** x [b, n, k] · yᵀ for y [b, m, k] → [b, n, m], no gradient. */
export function productNT(x: tf.Tensor3D, y: tf.Tensor3D): tf.Tensor3D {
  if (x.shape[0] !== y.shape[0] || x.shape[2] !== y.shape[2])
    throw new Error(`productNT: shapes [${x.shape}] and [${y.shape}] do not match`);
  if (canUseSimdProductNT(x, y)) return tf.engine().runKernel(PRODUCT_NT, { a: x, b: y }) as tf.Tensor3D;
  return tf.matMul(x, y, false, true);
}

/** Whether `exp` of this tensor runs in the SIMD kernel on the current backend. */
export function canUseSimdExp(x: tf.Tensor): boolean {
  return x.size > 0 && currentKernels(x) !== null;
}

/** eˣ, differentiable (d eˣ = eˣ dx); the SIMD kernel flushes results below 2⁻¹²⁶ to 0. */
export function exp<T extends tf.Tensor>(x: T): T {
  if (!canUseSimdExp(x)) return tf.exp(x);
  const f = tf.customGrad(((input: tf.Tensor, save: tf.GradSaveFunc) => {
    const value = tf.engine().runKernel(EXP, { x: input }) as tf.Tensor;
    save([value]);
    return { value, gradFunc: (dy: tf.Tensor, [y]: tf.Tensor[]) => tf.mul(dy, y) };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(x) as T;
}
