/**
 * Adam (Kingma & Ba 2015) with decoupled weight decay (Loshchilov & Hutter 2019), global-norm
 * gradient clipping, and state keyed by the model's local weight names so a checkpoint restores
 * it in any process (tf.train's optimizers key state by registered variable names, which differ
 * between processes).
 */
import * as tf from '../reformer/tf';

export interface AdamOptions {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
  /** Clip the global gradient norm to this value; 0 disables. */
  clipNorm: number;
}

export const DEFAULT_ADAM: AdamOptions = { beta1: 0.9, beta2: 0.98, epsilon: 1e-9, weightDecay: 0.01, clipNorm: 1 };

export class Adam {
  /** Completed updates. */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(
    private readonly variables: Map<string, tf.Variable>,
    readonly options: AdamOptions = DEFAULT_ADAM,
  ) {
    for (const [name, w] of variables) {
      this.m.set(name, zerosVariable(w));
      this.v.set(name, zerosVariable(w));
    }
  }

  /**
   * One update with learning rate `lr`. `grads` are keyed by local weight name; they are disposed.
   * Returns the global gradient norm before clipping.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number): number {
    const { beta1, beta2, epsilon, weightDecay, clipNorm } = this.options;
    const normT = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
    const norm = normT.dataSync()[0];
    normT.dispose();
    if (!Number.isFinite(norm)) {
      tf.dispose([...grads.values()]);
      throw new Error(`gradient norm is ${norm}: training diverged; lower the learning rate`);
    }
    const scale = clipNorm > 0 && norm > clipNorm ? clipNorm / norm : 1;
    this.step += 1;
    const c1 = 1 - beta1 ** this.step;
    const c2 = 1 - beta2 ** this.step;
    for (const [name, w] of this.variables) {
      const g = grads.get(name);
      if (!g) throw new Error(`no gradient for "${name}"`);
      const m = this.m.get(name)!;
      const v = this.v.get(name)!;
      tf.tidy(() => {
        const gs = tf.mul(g, scale);
        const mNew = tf.add(tf.mul(m, beta1), tf.mul(gs, 1 - beta1));
        const vNew = tf.add(tf.mul(v, beta2), tf.mul(tf.square(gs), 1 - beta2));
        m.assign(mNew);
        v.assign(vNew);
        const update = tf.div(tf.div(mNew, c1), tf.add(tf.sqrt(tf.div(vNew, c2)), epsilon));
        const decay = w.rank >= 2 && weightDecay > 0 ? tf.mul(w, weightDecay) : tf.zerosLike(w);
        w.assign(tf.sub(w, tf.mul(tf.add(update, decay), lr)));
      });
      g.dispose();
    }
    return norm;
  }

  /** State as named tensors (`adam/m/<name>`, `adam/v/<name>`), for checkpoints. */
  stateTensors(): tf.NamedTensorMap {
    const out: tf.NamedTensorMap = {};
    for (const [name, t] of this.m) out[`adam/m/${name}`] = t;
    for (const [name, t] of this.v) out[`adam/v/${name}`] = t;
    return out;
  }

  /** Restores state saved by `stateTensors`. */
  restore(step: number, tensors: tf.NamedTensorMap): void {
    for (const [name, m] of this.m) {
      const sm = tensors[`adam/m/${name}`];
      const sv = tensors[`adam/v/${name}`];
      if (!sm || !sv) throw new Error(`checkpoint has no optimizer state for "${name}"`);
      m.assign(sm);
      this.v.get(name)!.assign(sv);
    }
    this.step = step;
  }

  dispose(): void {
    tf.dispose([...this.m.values(), ...this.v.values()]);
  }
}

/** Where a resumed run's target changed: from `step` it decays from `learningRate` (the rate it had reached) to the floor. */
export interface ScheduleExtension {
  step: number;
  learningRate: number;
}

/**
 * Linear warm-up to `peak` over `warmup` steps, then cosine decay to `peak·floor` at `total`. A run
 * resumed with another total keeps going from the rate it had reached (`extended`), decaying by a
 * cosine from there to the same floor at the new total, instead of re-stretching the first cosine
 * over the new total, which would raise the rate of a run that had already annealed (or drop it
 * at once for a shorter one). (Steps before
 * `extended.step` are the run's past: they are never asked for again.)
 */
export function learningRate(
  step: number,
  peak: number,
  warmup: number,
  total: number,
  floor = 0.1,
  extended?: ScheduleExtension,
): number {
  const cosine = (from: number, start: number) => {
    const progress = Math.min(1, (step - start) / Math.max(1, total - start));
    return peak * floor + (from - peak * floor) * 0.5 * (1 + Math.cos(Math.PI * progress));
  };
  if (extended && step >= extended.step) return cosine(extended.learningRate, extended.step);
  if (step < warmup) return (peak * (step + 1)) / warmup;
  return cosine(peak, warmup);
}

/** A non-trainable variable of zeros shaped like `w`; the zeros tensor it copies is released. */
function zerosVariable(w: tf.Tensor): tf.Variable {
  const zeros = tf.zerosLike(w);
  const v = tf.variable(zeros, false);
  zeros.dispose();
  return v;
}
