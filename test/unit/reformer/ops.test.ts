import { beforeAll, describe, expect, test } from 'vitest';
import { columnSums, dense, layerNorm } from '@/lib/reformer/ops';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ops with written-out gradients', () => {
  const x = () => tf.randomNormal([2, 5, 12], 1, 3, 'float32', 11);
  const dy = tf.randomNormal([2, 5, 12], 0, 1, 'float32', 12);
  const gamma = tf.randomNormal([12], 1, 0.5, 'float32', 13) as tf.Tensor1D;
  const beta = tf.randomNormal([12], 0, 0.5, 'float32', 14) as tf.Tensor1D;

  test('layerNorm: value and gradients equal autodiff of the formula', () => {
    const plain = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, 2, true);
      return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
    };
    const ours = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(t, g as tf.Tensor1D, b as tf.Tensor1D);
    const input = x();
    expect(ours(input, gamma, beta).arraySync()).toEqual(plain(input, gamma, beta).arraySync());
    const want = tf.grads(plain)([input, gamma, beta], dy);
    const got = tf.grads(ours)([input, gamma, beta], dy);
    for (let i = 0; i < 3; i++) expect(maxRelativeError(got[i]!.dataSync(), want[i]!.dataSync())).toBeLessThan(1e-4);
  });

  test('dense with a bias: the bias gradient is the column sums of dy', () => {
    const w = tf.randomNormal([12, 12], 0, 0.3, 'float32', 15) as tf.Tensor2D;
    const input = x();
    const [, , db] = tf.grads((t: tf.Tensor, ww: tf.Tensor, b: tf.Tensor) =>
      dense(t, ww as tf.Tensor2D, b as tf.Tensor1D),
    )([input, w, beta], dy);
    expect(maxRelativeError(db!.dataSync(), tf.sum(dy, [0, 1]).dataSync())).toBeLessThan(1e-5);
    expect(columnSums(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2])).arraySync()).toEqual([9, 12]);
  });
});
