/**
 * Matrix products whose forward and backward passes both stay on the backends' fast paths.
 *
 * tfjs-backend-wasm hands a MatMul to XNNPACK only when neither operand is transposed and the batch
 * is 1; any transpose flag or batch falls to a naive triple loop (its backward passes always set a
 * transpose flag, so tfjs's own gradients of a dense layer run far slower than its forward). Here
 * the gradients transpose explicitly (a memory-bound kernel) and multiply without flags. Batched
 * products (attention's [chunks, C, 2C]) are all in the A·Bᵀ layout, which on WASM runs in our own
 * SIMD kernel (kernels/simd.ts).
 */
import { productNT, transposeLastTwo } from './kernels/simd';
import * as tf from './tf';

type Grad2 = { value: tf.Tensor; gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[] };

function customGrad2(
  f: (a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => Grad2,
): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    a: tf.Tensor,
    b: tf.Tensor,
  ) => tf.Tensor;
}

/** a [n, k] · b [k, m] → [n, m], gradients without transpose flags. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  const f = customGrad2((x, w, save) => {
    save([x, w]);
    return {
      value: tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D),
      gradFunc: (dy, [xs, ws]) => [
        tf.matMul(dy as tf.Tensor2D, transposeLastTwo(ws) as tf.Tensor2D),
        tf.matMul(transposeLastTwo(xs) as tf.Tensor2D, dy as tf.Tensor2D),
      ],
    };
  });
  return f(a, b) as tf.Tensor2D;
}

/** a [b, n, k] · bᵀ for b [b, m, k] → [b, n, m], forward and backward on the fast path. */
export function batchMatMulNT(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const f = customGrad2((x, y, save) => {
    save([x, y]);
    return {
      value: productNT(x as tf.Tensor3D, y as tf.Tensor3D),
      gradFunc: (dy, [xs, ys]) => [
        productNT(dy as tf.Tensor3D, transposeLastTwo(ys) as tf.Tensor3D), // dA = dC·B
        productNT(transposeLastTwo(dy) as tf.Tensor3D, transposeLastTwo(xs) as tf.Tensor3D), // dB = dCᵀ·A
      ],
    };
  });
  return f(a, b) as tf.Tensor3D;
}
