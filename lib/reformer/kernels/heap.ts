/**
 * Tensors written straight into tfjs-backend-wasm's heap, for the engine's row gathers and
 * attention masks.
 *
 * Done in JS the usual way, a gather reads x out of the heap (`dataSync`, a copy of all of x),
 * copies rows into a new array, and `tf.tensor` copies that into the heap again; a mask is a new
 * array copied in. Two fresh allocations of the output's size each time, and a page is slow the
 * first time it is touched, so gathers and masks were a large share of a training step. Here the output is made on the heap and written in
 * place, rows copied from a view of the input: one copy, no new memory once the heap has grown.
 * Off `wasm` (and for other dtypes) the callers keep their portable paths.
 */
import * as tf from '../tf';

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

const GATHER_ROWS = 'ReformerGatherRows';
const SCATTER_ADD_ROWS = 'ReformerScatterAddRows';
const WRITE = 'ReformerWrite';

function register(config: tf.KernelConfig): void {
  if (!tf.getKernel(config.kernelName, 'wasm')) tf.registerKernel(config);
}

/** A wasm kernel of one float32 input `x` and attributes A. */
function registerOnHeap<A>(
  kernelName: string,
  run: (wasm: WasmBackend, x: tf.TensorInfo, attrs: A) => tf.TensorInfo,
): void {
  register({
    kernelName,
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) =>
      run(backend as unknown as WasmBackend, (inputs as { x: tf.TensorInfo }).x, attrs as unknown as A),
  });
}

/** Refuses an index outside [0, rows): it would read or write whatever lies next to the tensor on the heap. */
function checkRows(what: string, index: Int32Array, rows: number, of: string): void {
  for (let i = 0; i < index.length; i++) {
    if (!(index[i]! >= 0 && index[i]! < rows)) throw new RangeError(`${what}: row ${index[i]} of ${of}`);
  }
}

registerOnHeap<{ index: Int32Array }>(GATHER_ROWS, (wasm, x, { index }) => {
  const [M, D] = x.shape as [number, number];
  checkRows('gatherRows', index, M, `a [${M}, ${D}] tensor`);
  const out = wasm.makeOutput([index.length, D], 'float32');
  // Views taken after makeOutput: growing the heap replaces its buffer. Rows move within the
  // heap's one buffer by copyWithin, which allocates nothing (a subarray per row did, and cost
  // more than the copy at 32 floats a row).
  const src = wasm.typedArrayFromHeap(x) as Float32Array;
  const dst = wasm.typedArrayFromHeap(out) as Float32Array;
  const heap = new Float32Array(src.buffer);
  const [s0, d0] = [src.byteOffset / 4, dst.byteOffset / 4];
  for (let i = 0; i < index.length; i++) {
    const from = s0 + index[i]! * D;
    heap.copyWithin(d0 + i * D, from, from + D);
  }
  return out;
});

registerOnHeap<{ index: Int32Array; rows: number }>(SCATTER_ADD_ROWS, (wasm, x, { index, rows }) => {
  const [N, D] = x.shape as [number, number];
  if (index.length !== N) throw new RangeError(`scatterAddRows: ${index.length} rows named for a [${N}, ${D}] tensor`);
  checkRows('scatterAddRows', index, rows, String(rows));
  const out = wasm.makeOutput([rows, D], 'float32');
  const src = wasm.typedArrayFromHeap(x) as Float32Array;
  const dst = wasm.typedArrayFromHeap(out) as Float32Array;
  dst.fill(0);
  for (let i = 0; i < N; i++) {
    const to = index[i]! * D;
    const from = i * D;
    for (let d = 0; d < D; d++) dst[to + d] += src[from + d]!;
  }
  return out;
});

register({
  kernelName: WRITE,
  backendName: 'wasm',
  kernelFunc: ({ backend, attrs }) => {
    const wasm = backend as unknown as WasmBackend;
    const { shape, write } = attrs as unknown as { shape: number[]; write: (out: Float32Array) => void };
    const out = wasm.makeOutput(shape, 'float32');
    write(wasm.typedArrayFromHeap(out) as Float32Array);
    return out;
  },
});

/** Whether these float32 tensors are on the wasm heap, where heapGatherRows runs. */
export const onHeap = (...tensors: tf.Tensor[]) =>
  tf.getBackend() === 'wasm' && tensors.every((t) => t.dtype === 'float32');

/** x[index] along axis 0 for x [M, D] on the wasm heap, or null off `wasm`. No gradient. */
export function heapGatherRows(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D | null {
  if (!onHeap(x)) return null;
  return tf.engine().runKernel(GATHER_ROWS, { x }, { index } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * y [rows, D] with y[index[i]] += x[i] for x [N, D] on the wasm heap (rows no index names are 0),
 * or null off `wasm`: the gradient of a row gather, in order, one pass. No gradient.
 */
export function heapScatterAddRows(x: tf.Tensor2D, index: Int32Array, rows: number): tf.Tensor2D | null {
  if (!onHeap(x)) return null;
  return tf.engine().runKernel(SCATTER_ADD_ROWS, { x }, { index, rows } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/**
 * A float32 tensor of `shape` whose values `write` puts into the array it is given (zeros at
 * first on a fresh tensor is not promised: write every element). On wasm the array is the tensor's
 * own heap memory; elsewhere a new array that becomes the tensor. No gradient.
 */
export function writtenTensor<R extends tf.Rank>(shape: number[], write: (out: Float32Array) => void): tf.Tensor<R> {
  if (tf.getBackend() === 'wasm')
    return tf.engine().runKernel(WRITE, {}, { shape, write } as unknown as tf.NamedAttrMap) as tf.Tensor<R>;
  const out = new Float32Array(tf.util.sizeFromShape(shape));
  write(out);
  return tf.tensor(out, shape as tf.ShapeMap[R], 'float32') as tf.Tensor<R>;
}
