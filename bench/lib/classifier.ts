/**
 * The fidelity benchmark's judge: a small convolutional image classifier (2×2 space-to-depth, then
 * three 3×3 conv + ReLU + 2×2 max-pool stages, a dense feature layer, a linear read-out), trained with Adam on a labelled
 * dataset's training split. Its penultimate layer is the feature space of the Fréchet distance, as
 * Inception's pool layer is FID's.
 *
 * Written with tfjs-core ops, not tfjs-layers: the WASM backend has no kernel for a convolution's
 * filter gradient, so a convolution here is an explicit im2col (nine shifted slices side by side)
 * times a matrix, whose gradients WASM has. Seeded initialisation and batch order: the same data
 * and settings give the same weights on the same backend.
 */
import { mulberry32, shuffledIndices } from '../../lib/pixels/prng';
import * as tf from '../../lib/reformer/tf';

export interface ClassifierSettings {
  /** Input side: every image is brought to side×side RGB first (resize.ts). */
  side: number;
  /** Output channels of the three conv stages. */
  channels: [number, number, number];
  /** Width of the feature (penultimate) layer. */
  features: number;
  epochs: number;
  batch: number;
  learningRate: number;
  seed: number;
  /**
   * Each epoch shows each training image, with probability ½ (seeded), as it looks at this side
   * (reduced by area, enlarged by nearest neighbour), so that a low-resolution model's samples are
   * not foreign to the classifier; 0 = never.
   */
  lowResolutionSide: number;
}

export const DEFAULT_CLASSIFIER: ClassifierSettings = {
  side: 32,
  channels: [16, 32, 64],
  features: 64,
  epochs: 5,
  batch: 32,
  learningRate: 1e-3,
  seed: 21,
  lowResolutionSide: 16,
};

type Weights = Record<string, tf.Variable>;

/** The classifier's weight shapes, by name. */
function weightShapes(s: ClassifierSettings, classes: number): Record<string, number[]> {
  const [c1, c2, c3] = s.channels;
  const flat = (s.side / 16) ** 2 * c3;
  return {
    'conv1.w': [9 * 12, c1],
    'conv1.b': [c1],
    'conv2.w': [9 * c1, c2],
    'conv2.b': [c2],
    'conv3.w': [9 * c2, c3],
    'conv3.b': [c3],
    'features.w': [flat, s.features],
    'features.b': [s.features],
    'out.w': [s.features, classes],
    'out.b': [classes],
  };
}

/** A 3×3 'same' convolution + bias + ReLU as im2col × matrix. x: [B, H, W, C] → [B, H, W, Cout]. */
function conv3x3(x: tf.Tensor4D, w: tf.Tensor, b: tf.Tensor): tf.Tensor4D {
  const [B, H, W, C] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const shifted: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++)
    for (let dx = 0; dx < 3; dx++) shifted.push(tf.slice(padded, [0, dy, dx, 0], [B, H, W, C]));
  const patches = tf.concat(shifted, 3).reshape([B * H * W, 9 * C]); // [B·H·W, 9C], (dy, dx, c) order
  const out = tf.relu(tf.add(tf.matMul(patches, w as tf.Tensor2D), b)); // [B·H·W, Cout]
  return out.reshape([B, H, W, w.shape[1]!]);
}

/** Logits [B, classes] and features [B, features] of images x: [B, side, side, 3] in [−1, 1]. */
function forward(weights: Weights, x: tf.Tensor4D): { logits: tf.Tensor2D; features: tf.Tensor2D } {
  const [B, side] = x.shape;
  // Space-to-depth: each 2×2 block's 12 values side by side, a quarter of the positions to convolve.
  let h = x
    .reshape([B, side / 2, 2, side / 2, 2, 3])
    .transpose([0, 1, 3, 2, 4, 5])
    .reshape([B, side / 2, side / 2, 12]) as tf.Tensor4D;
  for (const stage of ['conv1', 'conv2', 'conv3'])
    h = tf.maxPool(conv3x3(h, weights[`${stage}.w`]!, weights[`${stage}.b`]!), 2, 2, 'valid');
  const flat = h.reshape([B, -1]) as tf.Tensor2D; // [B, (side/16)²·c3]
  const features = tf.relu(tf.add(tf.matMul(flat, weights['features.w'] as tf.Tensor2D), weights['features.b']!));
  const logits = tf.add(tf.matMul(features as tf.Tensor2D, weights['out.w'] as tf.Tensor2D), weights['out.b']!);
  return { logits: logits as tf.Tensor2D, features: features as tf.Tensor2D };
}

/**
 * Rows `rows` of images [n · side · side · 3] bytes → a [rows, side, side, 3] tensor in [−1, 1];
 * row i is taken from `alternative` where `useAlternative[i]` is 1.
 */
function imageBatch(
  images: Uint8Array,
  side: number,
  rows: ArrayLike<number>,
  useAlternative?: Uint8Array,
  alternative?: Uint8Array,
): tf.Tensor4D {
  const per = side * side * 3;
  const values = new Float32Array(rows.length * per);
  for (let r = 0; r < rows.length; r++) {
    const from = rows[r] * per;
    const source = alternative && useAlternative?.[rows[r]] ? alternative : images;
    for (let k = 0; k < per; k++) values[r * per + k] = source[from + k] / 127.5 - 1;
  }
  return tf.tensor4d(values, [rows.length, side, side, 3]);
}

export interface Classification {
  /** Predicted class per image. */
  predicted: Int32Array;
  /** Feature vectors, [n · features]. */
  features: Float32Array;
}

export class ImageClassifier {
  private constructor(
    readonly settings: ClassifierSettings,
    readonly classes: number,
    private readonly weights: Weights,
  ) {}

  /** Seeded He-normal weights, zero biases. */
  static initial(settings: ClassifierSettings, classes: number): ImageClassifier {
    if (settings.side % 16 !== 0) throw new Error(`classifier side ${settings.side} must be a multiple of 16`);
    const weights: Weights = {};
    let i = 0;
    for (const [name, shape] of Object.entries(weightShapes(settings, classes))) {
      weights[name] = tf.variable(
        shape.length === 1
          ? tf.zeros(shape)
          : tf.randomNormal(shape, 0, Math.sqrt(2 / shape[0]!), 'float32', settings.seed * 1000 + i++),
        true,
      );
    }
    return new ImageClassifier(settings, classes, weights);
  }

  /** A classifier from saved weights (`save`'s output). */
  static fromSaved(settings: ClassifierSettings, classes: number, bytes: Uint8Array): ImageClassifier {
    const shapes = weightShapes(settings, classes);
    const total = Object.values(shapes).reduce((n, s) => n + s.reduce((a, b) => a * b, 1), 0);
    if (bytes.byteLength !== total * 4)
      throw new Error(`saved classifier has ${bytes.byteLength} bytes, its settings need ${total * 4}`);
    const all = new Float32Array(bytes.slice().buffer);
    const weights: Weights = {};
    let offset = 0;
    for (const [name, shape] of Object.entries(shapes)) {
      const size = shape.reduce((a, b) => a * b, 1);
      weights[name] = tf.variable(tf.tensor(all.subarray(offset, offset + size), shape), false);
      offset += size;
    }
    return new ImageClassifier(settings, classes, weights);
  }

  /** All weights, in a fixed order, as little-endian float32 bytes. */
  save(): Uint8Array {
    const parts = Object.keys(weightShapes(this.settings, this.classes)).map((name) => this.weights[name]!.dataSync());
    const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return new Uint8Array(out.buffer);
  }

  /**
   * Trains on `images` (n × side × side × 3 bytes) with `labels` in [0, classes), each class
   * weighted by n / (classes · its count) so that a rare class counts as much as a common one.
   * `lowResolution` holds the same images as they look at `lowResolutionSide` (see the settings).
   */
  train(
    images: Uint8Array,
    labels: Int32Array,
    lowResolution?: Uint8Array,
    onEpoch?: (epoch: number, loss: number) => void,
  ): void {
    const { side, batch, epochs, learningRate, seed } = this.settings;
    const n = labels.length;
    const counts = new Float64Array(this.classes);
    for (const l of labels) counts[l]++;
    const classWeight = Float32Array.from(counts, (c) => (c ? n / (this.classes * c) : 0));
    const optimizer = tf.train.adam(learningRate);
    const vars = Object.values(this.weights);
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(n, seed + epoch);
      const coin = mulberry32(seed * 7919 + epoch);
      const low = Uint8Array.from({ length: n }, () => (lowResolution && coin() < 0.5 ? 1 : 0));
      let lossSum = 0;
      for (let s = 0; s < n; s += batch) {
        const rows = order.subarray(s, Math.min(n, s + batch));
        const rowLabels = Int32Array.from(rows, (r) => labels[r]);
        const loss = tf.tidy(() => {
          const x = imageBatch(images, side, rows, low, lowResolution);
          const target = tf.oneHot(tf.tensor1d(rowLabels, 'int32'), this.classes);
          const w = tf.tensor1d(Float32Array.from(rowLabels, (l) => classWeight[l]));
          return optimizer.minimize(
            () => {
              const logp = tf.logSoftmax(forward(this.weights, x).logits);
              return tf.mean(tf.mul(tf.neg(tf.sum(tf.mul(target, logp), 1)), w)) as tf.Scalar;
            },
            true,
            vars,
          )!;
        });
        lossSum += loss.dataSync()[0]! * rows.length;
        loss.dispose();
      }
      onEpoch?.(epoch + 1, lossSum / n);
    }
    optimizer.dispose();
  }

  /** Predicted classes and features of n images (n × side × side × 3 bytes), `batch` at a time. */
  classify(images: Uint8Array, batch = 64): Classification {
    const { side, features: dim } = this.settings;
    const n = images.length / (side * side * 3);
    if (!Number.isInteger(n)) throw new Error(`${images.length} bytes are not whole ${side}×${side} RGB images`);
    const predicted = new Int32Array(n);
    const features = new Float32Array(n * dim);
    for (let s = 0; s < n; s += batch) {
      const rows = Int32Array.from({ length: Math.min(batch, n - s) }, (_, i) => s + i);
      const [arg, feats] = tf.tidy(() => {
        const out = forward(this.weights, imageBatch(images, side, rows));
        return [tf.argMax(out.logits, 1), out.features];
      });
      predicted.set(arg.dataSync() as Int32Array, s);
      features.set(feats.dataSync() as Float32Array, s * dim);
      tf.dispose([arg, feats]);
    }
    return { predicted, features };
  }

  dispose(): void {
    tf.dispose(Object.values(this.weights));
  }
}

/** Share of `predicted` equal to `expected` (a class id per image). */
export function accuracy(predicted: Int32Array, expected: ArrayLike<number>): number {
  if (predicted.length === 0) return 0;
  let right = 0;
  for (let i = 0; i < predicted.length; i++) if (predicted[i] === expected[i]) right++;
  return right / predicted.length;
}
