import '@tensorflow/tfjs-backend-wasm';
import { afterAll, expect, test } from 'vitest';
import { canUseSimdProductNT } from '@/lib/reformer/kernels/simd';
import { batchMatMulNT, matMul2d } from '@/lib/reformer/matmul';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError } from './helpers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

// On wasm the products and transposes run in the SIMD kernels (shapes multiples of 4); on cpu in tfjs's ops.
test.each(['cpu', 'wasm'])(
  'on %s, matMul2d and batchMatMulNT give the values and gradients of tf.matMul under autodiff',
  async (backend) => {
    await tf.setBackend(backend);
    await tf.ready();
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = tf.randomNormal([12, 8], 0, 1, 'float32', 1) as tf.Tensor2D;
      const w = tf.randomNormal([8, 16], 0, 1, 'float32', 2) as tf.Tensor2D;
      const dy2 = tf.randomNormal([12, 16], 0, 1, 'float32', 3);
      const ours2 = tf.grads((x: tf.Tensor, y: tf.Tensor) => matMul2d(x as tf.Tensor2D, y as tf.Tensor2D))([a, w], dy2);
      const ref2 = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor2D, y as tf.Tensor2D))([a, w], dy2);
      expect(maxRelativeError(matMul2d(a, w).dataSync(), tf.matMul(a, w).dataSync())).toBeLessThan(1e-6);
      ours2.forEach((g, i) => expect(maxRelativeError(g.dataSync(), ref2[i]!.dataSync())).toBeLessThan(1e-5));

      const q = tf.randomNormal([3, 8, 12], 0, 1, 'float32', 4) as tf.Tensor3D;
      const k = tf.randomNormal([3, 16, 12], 0, 1, 'float32', 5) as tf.Tensor3D;
      const dy3 = tf.randomNormal([3, 8, 16], 0, 1, 'float32', 6);
      expect(canUseSimdProductNT(q, k)).toBe(backend === 'wasm'); // the comparison is of the fast path there
      const nt = (x: tf.Tensor, y: tf.Tensor) => batchMatMulNT(x as tf.Tensor3D, y as tf.Tensor3D);
      const refNt = (x: tf.Tensor, y: tf.Tensor) => tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, false, true);
      expect(maxRelativeError(nt(q, k).dataSync(), refNt(q, k).dataSync())).toBeLessThan(1e-5);
      const ours3 = tf.grads(nt)([q, k], dy3);
      const ref3 = tf.grads(refNt)([q, k], dy3);
      ours3.forEach((g, i) => expect(maxRelativeError(g.dataSync(), ref3[i]!.dataSync())).toBeLessThan(1e-5));
    });
    expect(tf.memory().numTensors).toBe(before);
  },
);
