/**
 * The one training loop, used by the browser worker and the command line alike: seeded batches
 * from a dataset's token shards, Adam with warm-up and cosine decay, gradient clipping, validation
 * bits/dim at intervals, an exponential moving average of the weights that evaluation and export
 * use, and checkpoints (config + weights + average + optimizer state + step + sampling stream +
 * dataset id) from which a run resumes exactly where it was.
 *
 * A class-conditional model (config.classes > 0) trains on a labelled dataset: each example feeds
 * its class, or "no class" for a seeded share of them (label dropout, as classifier-free guidance
 * needs: Ho & Salimans 2022), so one model samples both ways; validation gives the true class.
 */
import type { TokenArray } from '../pixels/manifest';
import { ReformerLM, bitsPerDim } from '../reformer/model';
import { createRng, rngFromState, type Rng } from '../reformer/random';
import { ARTIFACT_FORMAT, decodeWeightsExactly, ModelFormatError, modelArtifacts } from '../reformer/serialize';
import { mixSeed } from '../reformer/ops';
import * as tf from '../reformer/tf';
import { Adam, DEFAULT_ADAM, learningRate, type ScheduleExtension } from './adam';
import { WeightAverage } from './average';
import type { TrainingData } from './data';

export interface TrainOptions {
  /** Total optimisation steps of the run (the cosine schedule ends here). */
  steps: number;
  batchSize: number;
  learningRate: number;
  warmupSteps: number;
  /** Validation every N steps (and at the end). */
  evalEvery: number;
  /** Validation images used for each evaluation (the first N, so evaluations compare). */
  evalImages: number;
  seed: number;
  /**
   * Decay of the moving average of the weights that validation and export use (average.ts); 0 =
   * none, the last step's weights. Absent in checkpoints from before it existed: none.
   */
  emaDecay?: number;
  /**
   * Class-conditional models: the share of training examples fed "no class" instead of their
   * label, in [0, 1). Absent in checkpoints from before classes existed: DEFAULT_LABEL_DROPOUT.
   */
  labelDropout?: number;
  /** Set when a resume raised `steps`: the schedule decays on from the rate reached there (adam.ts). */
  scheduleExtension?: ScheduleExtension;
}

/** Label dropout when a run's options give none (older checkpoints). */
export const DEFAULT_LABEL_DROPOUT = 0.1;

export const DEFAULT_TRAIN: TrainOptions = {
  steps: 1000,
  batchSize: 4,
  learningRate: 1e-3,
  warmupSteps: 100,
  evalEvery: 100,
  evalImages: 32,
  seed: 1,
  emaDecay: 0.999,
  labelDropout: DEFAULT_LABEL_DROPOUT,
};

export interface StepReport {
  step: number;
  loss: number;
  bitsPerDim: number;
  gradNorm: number;
  learningRate: number;
  ms: number;
}

/**
 * Computes the loss and gradients of some rows of a batch with given weights, elsewhere (another
 * thread): what `Trainer.trainStepParallel` splits a batch across.
 */
export interface GradientHelper {
  gradients(
    weights: Record<string, Float32Array>,
    tokens: Int32Array,
    rows: number,
    stepSeed: number,
    /** Class-conditional models: the class id of each of the rows (model.ts StepOptions). */
    classIds?: Int32Array,
  ): Promise<{ loss: number; grads: Record<string, Float32Array> }>;
}

export class CheckpointMismatchError extends Error {
  override name = 'CheckpointMismatchError';
}

/** The learning rate of (0-based) `step` under a run's options. */
export function learningRateAt(step: number, o: TrainOptions): number {
  return learningRate(step, o.learningRate, o.warmupSteps, o.steps, undefined, o.scheduleExtension);
}

/**
 * A resumed run's options: `changes` over the checkpoint's. A new `steps` past the warm-up
 * reschedules from the step resumed at, going on from the rate reached there to the floor at the
 * new target (adam.ts), so the rate neither jumps up (a longer run) nor down (a shorter one);
 * within the warm-up, which does not depend on the total, the run keeps its schedule. A target
 * behind the steps done is refused.
 */
export function resumedOptions(saved: TrainOptions, step: number, changes: Partial<TrainOptions> = {}): TrainOptions {
  const options = { ...saved, ...changes };
  if (options.steps < step)
    throw new CheckpointMismatchError(
      `the checkpoint is at step ${step}; a target of ${options.steps} steps is already behind it`,
    );
  if (options.steps !== saved.steps && step >= saved.warmupSteps)
    options.scheduleExtension = { step, learningRate: learningRateAt(step, saved) };
  return options;
}

function imageCount(tokens: TokenArray, seqLength: number): number {
  return Math.floor(tokens.length / seqLength);
}

/**
 * Bits/dim of `model` over the first `images` images of `tokens` (one of `data`'s splits; all of
 * it when there are fewer), `batchSize` images per forward pass; `onBatch(done, of)` after each.
 * A class-conditional model is given `labels` (each image's class in that split), or "no class".
 */
export function imagesBitsPerDim(
  model: ReformerLM,
  data: Pick<TrainingData, 'seqLength' | 'dimsPerToken'>,
  tokens: TokenArray,
  images: number,
  batchSize: number,
  onBatch?: (done: number, of: number) => void,
  labels?: Int32Array,
): number {
  const { seqLength } = data;
  const n = Math.min(images, imageCount(tokens, seqLength));
  if (n === 0) throw new Error('no images to evaluate');
  const B = Math.max(1, batchSize);
  let total = 0;
  for (let s = 0; s < n; s += B) {
    const count = Math.min(B, n - s);
    const batch = tf.tensor2d(
      Int32Array.from(tokens.subarray(s * seqLength, (s + count) * seqLength)),
      [count, seqLength],
      'int32',
    );
    total += model.evaluate(batch, labels?.slice(s, s + count)) * count;
    batch.dispose();
    onBatch?.(s + count, n);
  }
  return bitsPerDim(total / n, data.dimsPerToken);
}

/** A checkpoint's training state besides the model's weights. */
interface ResumeState {
  step: number;
  rngState: number[];
  optimizer: tf.NamedTensorMap;
  /** Absent when the checkpoint has no average (made without one, or before averages existed). */
  average?: { updates: number; tensors: tf.NamedTensorMap };
}

interface CheckpointMeta {
  step: number;
  datasetId: string;
  rngState: number[];
  options: TrainOptions;
  /** Updates folded into the `ema/` tensors. */
  emaUpdates?: number;
}

export class Trainer {
  readonly optimizer: Adam;
  /** The moving average of the weights, when options.emaDecay > 0. */
  readonly average?: WeightAverage;
  private rng: Rng;

  constructor(
    readonly model: ReformerLM,
    readonly data: TrainingData,
    readonly options: TrainOptions,
    resume?: ResumeState,
  ) {
    const c = model.config;
    if (c.seqLength !== data.seqLength)
      throw new CheckpointMismatchError(
        `the model takes ${c.seqLength} tokens per image but dataset ${data.datasetId} has ${data.seqLength}`,
      );
    if (c.vocabSize !== data.vocabSize)
      throw new CheckpointMismatchError(
        `the model's vocabulary is ${c.vocabSize} but dataset ${data.datasetId} has ${data.vocabSize}`,
      );
    if (imageCount(data.train, data.seqLength) === 0)
      throw new Error(`dataset ${data.datasetId} has no training images`);
    if (c.classes > 0 && !data.labels)
      throw new CheckpointMismatchError(
        `the model is class-conditional (${c.classes} classes) but dataset ${data.datasetId} has no labels; train it on a labelled dataset`,
      );
    if (c.classes > 0 && data.labels!.classes.length !== c.classes)
      throw new CheckpointMismatchError(
        `the model knows ${c.classes} classes but dataset ${data.datasetId} has ${data.labels!.classes.length}`,
      );
    const dropout = options.labelDropout ?? DEFAULT_LABEL_DROPOUT;
    if (!(dropout >= 0 && dropout < 1))
      throw new Error(`labelDropout ${dropout} must be in [0, 1): the share of examples trained with "no class"`);
    this.optimizer = new Adam(model.variables, DEFAULT_ADAM);
    this.rng = createRng(options.seed);
    try {
      if (resume) {
        this.optimizer.restore(resume.step, resume.optimizer);
        this.rng = rngFromState(resume.rngState);
      }
      if (options.emaDecay) {
        // A checkpoint without an average starts one from its weights.
        this.average = new WeightAverage(model.variables, options.emaDecay, resume?.average);
      }
    } catch (err) {
      this.optimizer.dispose(); // a refused checkpoint leaves no optimizer state behind
      throw err;
    }
  }

  /** Completed steps. */
  get step(): number {
    return this.optimizer.step;
  }

  /** Whether the model takes a class (and the batches carry class ids). */
  get conditional(): boolean {
    return this.model.config.classes > 0;
  }

  /**
   * Images [batch, seqLength] drawn uniformly (with replacement) from the training split, and for
   * a class-conditional model their class ids [batch]: each image's label, or "no class" with
   * probability labelDropout. The dropout draws come from a stream of their own, seeded by the
   * step, so which images are drawn does not depend on it and a resumed run drops the same labels.
   */
  private batch(step: number): { tokens: Int32Array; classIds?: Int32Array } {
    const { seqLength, train, labels } = this.data;
    const n = imageCount(train, seqLength);
    const B = this.options.batchSize;
    const out = new Int32Array(B * seqLength);
    const classIds = this.conditional ? new Int32Array(B) : undefined;
    const dropout = this.options.labelDropout ?? DEFAULT_LABEL_DROPOUT;
    const drops = createRng(mixSeed(this.options.seed, 3000, step));
    for (let b = 0; b < B; b++) {
      const i = this.rng.nextUint32() % n;
      out.set(train.subarray(i * seqLength, (i + 1) * seqLength), b * seqLength);
      if (classIds) classIds[b] = drops.nextFloat() < dropout ? this.model.noClass : labels!.train[i];
    }
    return { tokens: out, classIds };
  }

  /** Loss and gradients (by local variable name) of `rows` images on this thread. */
  private gradients(
    tokens: Int32Array,
    rows: number,
    stepSeed: number,
    classIds?: Int32Array,
  ): { loss: number; grads: Map<string, tf.Tensor> } {
    const batch = tf.tensor2d(tokens, [rows, this.data.seqLength], 'int32');
    const { loss, grads } = this.model.computeGradients(batch, { stepSeed, classIds });
    batch.dispose();
    const byLocalName = new Map<string, tf.Tensor>();
    for (const [name, v] of this.model.variables) byLocalName.set(name, grads[v.name]);
    return { loss, grads: byLocalName };
  }

  private update(step: number, loss: number, grads: Map<string, tf.Tensor>, started: number): StepReport {
    const o = this.options;
    const lr = learningRateAt(step, o);
    const gradNorm = this.optimizer.apply(grads, lr);
    this.average?.update();
    return {
      step: step + 1,
      loss,
      bitsPerDim: bitsPerDim(loss, this.data.dimsPerToken),
      gradNorm,
      learningRate: lr,
      ms: performance.now() - started,
    };
  }

  /** One optimisation step. */
  trainStep(): StepReport {
    const started = performance.now();
    const step = this.step;
    const { tokens, classIds } = this.batch(step);
    const { loss, grads } = this.gradients(tokens, this.options.batchSize, mixSeed(this.options.seed, step), classIds);
    return this.update(step, loss, grads, started);
  }

  /**
   * One optimisation step with the batch split between this thread and `helpers` (data
   * parallelism: each computes the gradients of its rows on the same weights and the same hash
   * rotations, and the mean of their gradients weighted by rows is the batch's). Without dropout
   * it is the same step as `trainStep` up to float rounding, on the same batches in the same order;
   * with dropout, the masks differ.
   */
  async trainStepParallel(helpers: GradientHelper[]): Promise<StepReport> {
    const started = performance.now();
    const step = this.step;
    const stepSeed = mixSeed(this.options.seed, step);
    const { seqLength } = this.data;
    const B = this.options.batchSize;
    const { tokens, classIds } = this.batch(step);
    const parts = Math.min(B, helpers.length + 1);
    const rowsOf = (p: number) => Math.floor((B * (p + 1)) / parts) - Math.floor((B * p) / parts);
    const firstRow = (p: number) => Math.floor((B * p) / parts);
    let weights: Record<string, Float32Array> | undefined;
    if (parts > 1) {
      weights = {};
      for (const [name, v] of this.model.variables) weights[name] = v.dataSync() as Float32Array;
    }
    const remote = helpers.slice(0, parts - 1).map((h, i) => {
      const p = i + 1;
      return h.gradients(
        weights!,
        tokens.slice(firstRow(p) * seqLength, (firstRow(p) + rowsOf(p)) * seqLength),
        rowsOf(p),
        stepSeed,
        classIds?.slice(firstRow(p), firstRow(p) + rowsOf(p)),
      );
    });
    const local = this.gradients(
      tokens.subarray(0, rowsOf(0) * seqLength),
      rowsOf(0),
      stepSeed,
      classIds?.slice(0, rowsOf(0)),
    );
    let results: Awaited<ReturnType<GradientHelper['gradients']>>[];
    try {
      results = await Promise.all(remote);
    } catch (e) {
      tf.dispose([...local.grads.values()]); // a helper failed: the step is abandoned, not half-applied
      throw e;
    }
    let loss = (local.loss * rowsOf(0)) / B;
    const grads = new Map<string, tf.Tensor>();
    for (const [name, g] of local.grads) {
      grads.set(
        name,
        tf.tidy(() => {
          let sum = tf.mul(g, rowsOf(0) / B);
          results.forEach((r, i) => {
            sum = tf.add(sum, tf.mul(tf.tensor(r.grads[name], g.shape), rowsOf(i + 1) / B));
          });
          return sum;
        }),
      );
      g.dispose();
    }
    results.forEach((r, i) => {
      loss += (r.loss * rowsOf(i + 1)) / B;
    });
    return this.update(step, loss, grads, started);
  }

  /**
   * Validation bits/dim over the first `evalImages` validation images (or training images if none),
   * of the weights export uses: the moving average if there is one, else the trained weights.
   */
  evaluate(): number {
    return this.average ? this.average.swapped(() => this.evaluateTrained()) : this.evaluateTrained();
  }

  /**
   * Copies of the weights to publish (see `evaluate`), under the model's local names; the caller
   * disposes them. Copies, so training may go on while they are read.
   */
  exportWeights(): tf.NamedTensorMap {
    return Object.fromEntries(
      [...(this.average?.averages ?? this.model.variables)].map(([name, w]) => [name, tf.clone(w)]),
    );
  }

  /** The model's artifacts (serialize.ts) with the weights to publish. */
  async exportArtifacts(metadata: Record<string, unknown> = {}): Promise<tf.io.ModelArtifacts> {
    const weights = this.exportWeights();
    try {
      return await modelArtifacts(this.model, metadata, weights);
    } finally {
      tf.dispose(Object.values(weights));
    }
  }

  /** `evaluate` of the last step's weights, whether or not there is an average; with the true classes. */
  evaluateTrained(): number {
    const split = this.evaluationSplit;
    return imagesBitsPerDim(
      this.model,
      this.data,
      this.evaluationSource(),
      this.options.evalImages,
      this.options.batchSize,
      undefined,
      this.conditional ? this.data.labels![split] : undefined,
    );
  }

  /** How many images `evaluate` covers: what a card records beside the figure. */
  get evaluationImages(): number {
    return Math.min(this.options.evalImages, imageCount(this.evaluationSource(), this.data.seqLength));
  }

  /**
   * The split `evaluate` measures: validation, or the training images when the dataset has none
   * (a handful of images split at the default fraction). A figure on training images is not a
   * validation figure, and cards and labels must not call it one.
   */
  get evaluationSplit(): 'validation' | 'train' {
    return imageCount(this.data.validation, this.data.seqLength) > 0 ? 'validation' : 'train';
  }

  private evaluationSource(): TokenArray {
    return this.evaluationSplit === 'validation' ? this.data.validation : this.data.train;
  }

  /** The card fields for a figure `evaluate` gave: none when it was measured on training images. */
  validationFields(bitsPerDim: number | undefined): { validationBitsPerDim?: number; validationImages?: number } {
    if (bitsPerDim === undefined || this.evaluationSplit !== 'validation') return {};
    return { validationBitsPerDim: bitsPerDim, validationImages: this.evaluationImages };
  }

  /** A checkpoint: model artifacts plus optimizer state and the trainer's position. */
  async checkpoint(extra: Record<string, unknown> = {}): Promise<tf.io.ModelArtifacts> {
    const artifacts = await modelArtifacts(this.model, {
      ...extra,
      checkpoint: {
        step: this.step,
        datasetId: this.data.datasetId,
        rngState: this.rng.state(),
        options: this.options,
        ...(this.average && { emaUpdates: this.average.updates }),
      } satisfies CheckpointMeta,
    });
    const { data, specs } = await tf.io.encodeWeights({
      ...this.optimizer.stateTensors(),
      ...this.average?.stateTensors(),
    });
    artifacts.weightSpecs = [...artifacts.weightSpecs!, ...specs];
    artifacts.weightData = tf.io.concatenateArrayBuffers([artifacts.weightData as ArrayBuffer, data]);
    return artifacts;
  }

  /**
   * Resumes from a checkpoint on `data`. Refuses one that is not a checkpoint, was made on another
   * dataset, or whose weights do not match its config. `options` may extend `steps` or set `emaDecay`.
   */
  static fromCheckpoint(artifacts: tf.io.ModelArtifacts, data: TrainingData, options?: Partial<TrainOptions>): Trainer {
    const meta = artifacts.userDefinedMetadata as { checkpoint?: CheckpointMeta } | undefined;
    const topology = artifacts.modelTopology as { format?: string; config?: object } | undefined;
    if (topology?.format !== ARTIFACT_FORMAT || !topology.config)
      throw new ModelFormatError('not a Reformer Studio checkpoint: model.json has no Reformer config');
    const ck = meta?.checkpoint;
    if (!ck)
      throw new CheckpointMismatchError(
        'this is a model without training state (no optimizer, no step); it cannot be resumed',
      );
    if (ck.datasetId !== data.datasetId)
      throw new CheckpointMismatchError(
        `the checkpoint was trained on dataset "${ck.datasetId}", not "${data.datasetId}"`,
      );
    if (!artifacts.weightSpecs || !artifacts.weightData) throw new ModelFormatError('the checkpoint has no weights');
    const named = decodeWeightsExactly(artifacts.weightData, artifacts.weightSpecs, 'the checkpoint');
    const modelWeights: tf.NamedTensorMap = {};
    const optimizer: tf.NamedTensorMap = {};
    const average: tf.NamedTensorMap = {};
    for (const [k, t] of Object.entries(named))
      (k.startsWith('adam/') ? optimizer : k.startsWith('ema/') ? average : modelWeights)[k] = t;
    const hasAverage = Object.keys(average).length > 0;
    try {
      let model: ReformerLM;
      try {
        model = new ReformerLM(topology.config, modelWeights);
      } catch (e) {
        throw new ModelFormatError(`the checkpoint's weights do not match its config: ${(e as Error).message}`);
      }
      try {
        return new Trainer(model, data, resumedOptions(ck.options, ck.step, options), {
          step: ck.step,
          rngState: ck.rngState,
          optimizer,
          average: hasAverage ? { updates: ck.emaUpdates ?? 0, tensors: average } : undefined,
        });
      } catch (e) {
        model.dispose();
        throw e;
      }
    } finally {
      tf.dispose(Object.values(named));
    }
  }

  dispose(): void {
    this.optimizer.dispose();
    this.average?.dispose();
  }
}

export { DEFAULT_ADAM };
