/**
 * An exponential moving average of the weights (Polyak averaging, as in PixelCNN++ and TensorFlow's
 * ExponentialMovingAverage): the model is evaluated and published with the average, which is less
 * noisy than the last step's weights when batches are small.
 *
 * The decay ramps up with the number of updates n, d = min(decay, (1 + n) / (10 + n)), so the
 * average follows roughly the last tenth of a short run instead of remembering its random start.
 */
import * as tf from '../reformer/tf';

export class WeightAverage {
  /** Updates folded in so far. */
  updates: number;
  readonly averages = new Map<string, tf.Variable>();

  /** Starts from the current weights, or from `saved` (tensors named `ema/<name>`) after `updates` updates. */
  constructor(
    private readonly variables: Map<string, tf.Variable>,
    readonly decay: number,
    saved?: { updates: number; tensors: tf.NamedTensorMap },
  ) {
    if (!(decay > 0 && decay < 1)) throw new Error(`weight-average decay ${decay} must be in (0, 1), e.g. 0.999`);
    // Checked before any variable is made, so a refused checkpoint leaves none behind.
    const missing = saved && [...variables.keys()].find((name) => !saved.tensors[`ema/${name}`]);
    if (missing) throw new Error(`checkpoint has no weight average for "${missing}"`);
    for (const [name, w] of variables) this.averages.set(name, tf.variable(saved?.tensors[`ema/${name}`] ?? w, false));
    this.updates = saved?.updates ?? 0;
  }

  /** The decay the next update uses. */
  private currentDecay(): number {
    return Math.min(this.decay, (1 + this.updates) / (10 + this.updates));
  }

  /** Folds the current weights in: a ← d·a + (1 − d)·w. */
  update(): void {
    const d = this.currentDecay();
    for (const [name, w] of this.variables) {
      const a = this.averages.get(name)!;
      tf.tidy(() => a.assign(tf.add(tf.mul(a, d), tf.mul(w, 1 - d))));
    }
    this.updates += 1;
  }

  /** Runs `fn` with the averages in the model's variables, then puts the trained weights back (also when `fn` throws). */
  swapped<T>(fn: () => T): T {
    const trained = new Map<string, tf.Tensor>();
    for (const [name, w] of this.variables) {
      trained.set(name, tf.clone(w));
      w.assign(this.averages.get(name)!);
    }
    try {
      return fn();
    } finally {
      for (const [name, w] of this.variables) w.assign(trained.get(name)!);
      tf.dispose([...trained.values()]);
    }
  }

  /** The averages as named tensors (`ema/<name>`), for checkpoints. */
  stateTensors(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, t] of this.averages) out[`ema/${name}`] = t;
    return out;
  }

  dispose(): void {
    tf.dispose([...this.averages.values()]);
  }
}
