/**
 * Slice and SplitV for tfjs-backend-wasm without reading the whole input out of the heap.
 *
 * tfjs-wasm's Slice starts with `backend.readSync(x)`, a copy of all of x into JS, whatever the
 * size of the slice, and its SplitV slices once per part: cutting a small slice out of a large
 * tensor costs the whole tensor, and at long lengths Slice was a large share of an attention
 * layer's time. These read the input
 * through a view of the heap and copy only what the output holds (contiguous runs with
 * TypedArray.set, short ones element by element). Strings go to tfjs's own kernels.
 *
 * `installWasmSlice` replaces the two registered kernels of the `wasm` backend, once.
 */
import * as tf from '../tf';

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): tf.TypedArray;
}

type SliceAttrs = { begin: number | number[]; size?: number | number[] };

function slice(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  const total = tf.util.sizeFromShape(size);
  if (total === 0) return out;
  // Views taken after makeOutput: growing the heap replaces its buffer.
  const src = backend.typedArrayFromHeap(x);
  const dst = backend.typedArrayFromHeap(out);
  const strides = tf.util.computeStrides(x.shape);
  if (tf.slice_util.isSliceContinous(x.shape, begin, size)) {
    const start = tf.slice_util.computeFlatOffset(begin, strides);
    dst.set(src.subarray(start, start + total));
    return out;
  }
  const rank = size.length;
  const run = size[rank - 1];
  const index = new Array<number>(rank - 1).fill(0); // over the outer axes of the output
  for (let o = 0; o < total; o += run) {
    let from = begin[rank - 1];
    for (let a = 0; a < rank - 1; a++) from += (begin[a] + index[a]) * strides[a];
    if (run >= 16) dst.set(src.subarray(from, from + run), o);
    else for (let k = 0; k < run; k++) dst[o + k] = src[from + k];
    for (let a = rank - 2; a >= 0; a--) {
      if (++index[a] < size[a]) break;
      index[a] = 0;
    }
  }
  return out;
}

const INSTALLED = Symbol('reformer.wasmSlice');

/** Replaces the wasm backend's Slice and SplitV kernels (no-op before it is registered, or twice). */
export function installWasmSlice(): void {
  const sliceKernel = tf.getKernel('Slice', 'wasm');
  const splitKernel = tf.getKernel('SplitV', 'wasm');
  if (!sliceKernel || !splitKernel || (sliceKernel as unknown as Record<symbol, boolean>)[INSTALLED]) return;
  tf.unregisterKernel('Slice', 'wasm');
  tf.registerKernel({
    ...sliceKernel,
    [INSTALLED]: true,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return sliceKernel.kernelFunc(args);
      const { begin, size } = args.attrs as unknown as SliceAttrs;
      const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
      return slice(args.backend as unknown as WasmBackend, x, b, s);
    },
  } as tf.KernelConfig);
  tf.unregisterKernel('SplitV', 'wasm');
  tf.registerKernel({
    ...splitKernel,
    kernelFunc: (args) => {
      const { x } = args.inputs as { x: tf.TensorInfo };
      if (x.dtype === 'string') return splitKernel.kernelFunc(args);
      const { numOrSizeSplits, axis } = args.attrs as unknown as { numOrSizeSplits: number | number[]; axis: number };
      const a = tf.util.parseAxisParam(axis, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, a);
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((part) => {
        const size = [...x.shape];
        size[a] = part;
        const piece = slice(args.backend as unknown as WasmBackend, x, [...begin], size);
        begin[a] += part;
        return piece;
      });
    },
  });
}
