import { beforeAll, expect, test } from 'vitest';
import { Trainer, CheckpointMismatchError, imagesBitsPerDim, type TrainOptions } from '@/lib/training/trainer';
import type { TrainingData } from '@/lib/training/data';
import { Adam, learningRate } from '@/lib/training/adam';
import { ReformerLM } from '@/lib/reformer/model';
import { ModelFormatError } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { startGradientThreads } from '@/lib/node/threads';
import { tinyConfig } from '../reformer/helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 24 "images" of 48 tokens with structure to learn: smooth ramps with a per-image offset. */
function tinyData(datasetId = 'ramps'): TrainingData {
  const make = (n: number, seed: number) => {
    const out = new Uint8Array(n * 48);
    for (let i = 0; i < n; i++) for (let t = 0; t < 48; t++) out[i * 48 + t] = (i * 5 + seed + Math.floor(t / 3)) % 16;
    return out;
  };
  return { datasetId, seqLength: 48, vocabSize: 16, dimsPerToken: 1, train: make(20, 0), validation: make(4, 2) };
}

const options: TrainOptions = {
  steps: 40,
  batchSize: 4,
  learningRate: 3e-3,
  warmupSteps: 5,
  evalEvery: 20,
  evalImages: 4,
  seed: 3,
};

test('the learning rate warms up linearly, then decays by cosine to its floor', () => {
  expect(learningRate(0, 1, 10, 100)).toBeCloseTo(0.1);
  expect(learningRate(9, 1, 10, 100)).toBeCloseTo(1);
  expect(learningRate(55, 1, 10, 100)).toBeCloseTo(0.55);
  expect(learningRate(100, 1, 10, 100)).toBeCloseTo(0.1);
});

test('a schedule extended at a step goes on from the rate reached there and decays to the same floor', () => {
  const extended = { step: 100, learningRate: learningRate(100, 1, 10, 100) }; // a finished run: at its floor, 0.1
  expect(learningRate(100, 1, 10, 200, 0.1, extended)).toBeCloseTo(0.1);
  expect(learningRate(150, 1, 10, 200, 0.1, extended)).toBeCloseTo(0.1); // it does not rise again
  const midway = { step: 55, learningRate: learningRate(55, 1, 10, 100) }; // 0.55
  expect(learningRate(55, 1, 10, 155, 0.1, midway)).toBeCloseTo(0.55);
  expect(learningRate(105, 1, 10, 155, 0.1, midway)).toBeCloseTo(0.325); // half-way down its own cosine
  expect(learningRate(155, 1, 10, 155, 0.1, midway)).toBeCloseTo(0.1);
});

test('resuming with another target continues the learning rate from where it was; within the warm-up the schedule stands; a target behind the checkpoint is refused', async () => {
  const config = tinyConfig({ layers: ['lsh', 'local'] });
  const first = new Trainer(new ReformerLM(config), tinyData(), { ...options, steps: 8 });
  for (let i = 0; i < 8; i++) first.trainStep();
  const checkpoint = await first.checkpoint();
  first.model.dispose();
  first.dispose();
  const longer = Trainer.fromCheckpoint(checkpoint, tinyData(), { steps: 16 });
  expect(longer.options.scheduleExtension).toEqual({
    step: 8,
    learningRate: expect.closeTo(options.learningRate * 0.1, 9),
  });
  const rates = Array.from({ length: 3 }, () => longer.trainStep().learningRate);
  rates.forEach((lr) => expect(lr).toBeCloseTo(options.learningRate * 0.1, 9)); // was 0.59 of the peak, re-stretched
  // The extension is saved with the run: resuming again keeps it.
  const again = Trainer.fromCheckpoint(await longer.checkpoint(), tinyData());
  expect(again.options.scheduleExtension).toEqual(longer.options.scheduleExtension);
  expect(() => Trainer.fromCheckpoint(checkpoint, tinyData(), { steps: 5 })).toThrow(
    /at step 8; a target of 5 steps is already behind it/,
  );
  // Within the warm-up the schedule stands (the warm-up does not depend on the total).
  const early = new Trainer(new ReformerLM(config), tinyData(), { ...options, steps: 8 });
  early.trainStep();
  const warming = Trainer.fromCheckpoint(await early.checkpoint(), tinyData(), { steps: 16 });
  expect(warming.options.scheduleExtension).toBeUndefined();
  // A shorter target goes on from the rate reached rather than dropping at once.
  const shorter = Trainer.fromCheckpoint(await longer.checkpoint(), tinyData(), { steps: 12 });
  expect(shorter.options.scheduleExtension?.step).toBe(11);
  for (const t of [early, warming, shorter]) {
    t.model.dispose();
    t.dispose();
  }
  for (const t of [longer, again]) {
    t.model.dispose();
    t.dispose();
  }
});

test('loss decreases on a tiny dataset in a few dozen steps', () => {
  const trainer = new Trainer(new ReformerLM(tinyConfig({ layers: ['lsh', 'lsh'] })), tinyData(), options);
  const before = trainer.evaluate();
  const losses: number[] = [];
  for (let i = 0; i < 40; i++) losses.push(trainer.trainStep().loss);
  const after = trainer.evaluate();
  expect(before).toBeGreaterThan(3.5); // ≈ log2(16) = 4 bits at initialisation
  expect(after).toBeLessThan(before - 1);
  expect(losses.slice(-5).reduce((a, b) => a + b) / 5).toBeLessThan(losses.slice(0, 5).reduce((a, b) => a + b) / 5);
  trainer.model.dispose();
  trainer.dispose();
});

test('bits/dim over images is their mean, whatever the batch, and says how far it has got', () => {
  const model = new ReformerLM(tinyConfig({ layers: ['lsh', 'local'] }));
  const data = tinyData();
  const one = (i: number) => imagesBitsPerDim(model, data, data.validation.subarray(i * 48), 1, 1);
  const mean = [0, 1, 2].map(one).reduce((a, b) => a + b) / 3;
  const progress: [number, number][] = [];
  expect(imagesBitsPerDim(model, data, data.validation, 3, 2, (done, of) => progress.push([done, of]))).toBeCloseTo(
    mean,
    5,
  );
  expect(progress).toEqual([
    [2, 3],
    [3, 3],
  ]);
  expect(imagesBitsPerDim(model, data, data.validation, 99, 4)).toBeCloseTo(
    imagesBitsPerDim(model, data, data.validation, 4, 1),
    5,
  ); // capped at the 4 there are
  expect(() => imagesBitsPerDim(model, data, data.validation.subarray(0, 47), 1, 1)).toThrow(/no images/);

  const few = new Trainer(model, data, { ...options, evalImages: 3 });
  const many = new Trainer(model, data, { ...options, evalImages: 50 });
  expect(few.evaluationImages).toBe(3);
  expect(many.evaluationImages).toBe(4);
  expect(few.validationFields(2.5)).toEqual({ validationBitsPerDim: 2.5, validationImages: 3 });
  expect(few.validationFields(undefined)).toEqual({});
  // A dataset without validation images is evaluated on training images, which a card must not call validation.
  const noValidation = new Trainer(model, { ...data, validation: new Uint8Array(0) }, options);
  expect(noValidation.evaluationSplit).toBe('train');
  expect(noValidation.evaluate()).toBeCloseTo(imagesBitsPerDim(model, data, data.train, 4, 4), 5);
  expect(noValidation.validationFields(noValidation.evaluate())).toEqual({});
  expect(few.evaluationSplit).toBe('validation');
  for (const t of [few, many, noValidation]) t.dispose();
  model.dispose();
});

test('checkpoint → resume continues with the same loss trajectory as an uninterrupted run', async () => {
  const config = tinyConfig({ layers: ['lsh', 'local'], dropout: 0.1 });
  const straight = new Trainer(new ReformerLM(config), tinyData(), options);
  const expected = Array.from({ length: 12 }, () => straight.trainStep().loss);

  const first = new Trainer(new ReformerLM(config), tinyData(), options);
  const got = Array.from({ length: 6 }, () => first.trainStep().loss);
  const checkpoint = await first.checkpoint();
  first.model.dispose();
  first.dispose();
  const resumed = Trainer.fromCheckpoint(checkpoint, tinyData());
  expect(resumed.step).toBe(6);
  for (let i = 0; i < 6; i++) got.push(resumed.trainStep().loss);
  expect(got).toHaveLength(12);
  got.forEach((loss, i) => expect(loss, `step ${i}`).toBeCloseTo(expected[i], 5));
  for (const t of [straight, resumed]) {
    t.model.dispose();
    t.dispose();
  }
});

test('a step split across worker threads is the same step as on one thread', async () => {
  const config = tinyConfig({ layers: ['lsh', 'local'] });
  const single = new Trainer(new ReformerLM(config), tinyData(), { ...options, batchSize: 3 });
  const split = new Trainer(new ReformerLM(config), tinyData(), { ...options, batchSize: 3 });
  const threads = await startGradientThreads(2, split.model.config, 'cpu');
  try {
    for (let i = 0; i < 4; i++) {
      const a = single.trainStep();
      const b = await split.trainStepParallel(threads.helpers); // rows 1 + 1 + 1
      expect(b.loss, `step ${i}`).toBeCloseTo(a.loss, 5);
      expect(b.gradNorm, `step ${i}`).toBeCloseTo(a.gradNorm, 4);
    }
    const w = (t: Trainer) => t.model.variables.get('layers.0.attention.wqk')!.dataSync();
    const [x, y] = [w(single), w(split)];
    expect(Math.max(...x.map((v, i) => Math.abs(v - y[i])))).toBeLessThan(1e-5);
  } finally {
    await threads.close();
    for (const t of [single, split]) {
      t.model.dispose();
      t.dispose();
    }
  }
});

test('a mismatched or corrupted checkpoint is refused with a clear message', async () => {
  const trainer = new Trainer(new ReformerLM(tinyConfig()), tinyData(), options);
  trainer.trainStep();
  const checkpoint = await trainer.checkpoint();
  expect(() => Trainer.fromCheckpoint(checkpoint, tinyData('other'))).toThrow(CheckpointMismatchError);
  expect(() => Trainer.fromCheckpoint(checkpoint, tinyData('other'))).toThrow(
    /trained on dataset "ramps", not "other"/,
  );
  const truncated = { ...checkpoint, weightData: (checkpoint.weightData as ArrayBuffer).slice(0, 1000) };
  expect(() => Trainer.fromCheckpoint(truncated, tinyData())).toThrow(ModelFormatError);
  const plain = { ...checkpoint, userDefinedMetadata: {} };
  expect(() => Trainer.fromCheckpoint(plain, tinyData())).toThrow(/without training state/);
  trainer.model.dispose();
  trainer.dispose();
});

test('the weight average follows its decay, is what validation and export use, and leaves the trained weights alone', async () => {
  const trainer = new Trainer(new ReformerLM(tinyConfig()), tinyData(), { ...options, emaDecay: 0.5 });
  const name = 'layers.0.ff.w1';
  const trained = () => Float64Array.from(trainer.model.variables.get(name)!.dataSync());
  let expected = trained();
  for (let n = 0; n < 14; n++) {
    trainer.trainStep();
    const d = Math.min(0.5, (1 + n) / (10 + n)); // 0.1, 0.18, … ramping up, then 0.5 from update 8 on
    const w = trained();
    expected = expected.map((a, i) => d * a + (1 - d) * w[i]);
  }
  expect(trainer.average!.updates).toBe(14);
  const average = trainer.average!.averages.get(name)!.dataSync();
  expect(Math.max(...expected.map((v, i) => Math.abs(v - average[i])))).toBeLessThan(1e-6);

  const before = trained();
  const ofAverage = trainer.evaluate();
  const ofTrained = trainer.evaluateTrained();
  expect(ofAverage).not.toBeCloseTo(ofTrained, 4);
  expect(trained()).toEqual(before); // evaluating the average put the trained weights back

  const artifacts = await trainer.exportArtifacts({ card: 'x' });
  const exported = tf.io.decodeWeights(artifacts.weightData!, artifacts.weightSpecs!);
  expect(Array.from(exported[name].dataSync())).toEqual(Array.from(average));
  const reloaded = new ReformerLM(tinyConfig(), exported);
  const fromExport = new Trainer(reloaded, tinyData(), options); // no average: evaluates the weights it was given
  expect(fromExport.evaluate()).toBeCloseTo(ofAverage, 5);
  tf.dispose(Object.values(exported));
  for (const t of [trainer, fromExport]) {
    t.model.dispose();
    t.dispose();
  }
});

test('checkpoint → resume continues the weight average exactly; a checkpoint without one starts it', async () => {
  const config = tinyConfig({ layers: ['lsh', 'local'] });
  const averaged = { ...options, emaDecay: 0.95 };
  const averageOf = (t: Trainer) => Array.from(t.average!.averages.get('head.w')!.dataSync());
  const straight = new Trainer(new ReformerLM(config), tinyData(), averaged);
  for (let i = 0; i < 8; i++) straight.trainStep();

  const first = new Trainer(new ReformerLM(config), tinyData(), averaged);
  for (let i = 0; i < 4; i++) first.trainStep();
  const resumed = Trainer.fromCheckpoint(await first.checkpoint(), tinyData());
  expect(resumed.average!.updates).toBe(4);
  for (let i = 0; i < 4; i++) resumed.trainStep();
  const [a, b] = [averageOf(straight), averageOf(resumed)];
  expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-6);

  const plain = new Trainer(new ReformerLM(config), tinyData(), options);
  plain.trainStep();
  const started = Trainer.fromCheckpoint(await plain.checkpoint(), tinyData(), { emaDecay: 0.99 });
  expect(started.average!.updates).toBe(0);
  expect(averageOf(started)).toEqual(Array.from(started.model.variables.get('head.w')!.dataSync()));
  const without = Trainer.fromCheckpoint(await first.checkpoint(), tinyData(), { emaDecay: 0 });
  expect(without.average).toBeUndefined();
  for (const t of [straight, first, resumed, plain, started, without]) {
    t.model.dispose();
    t.dispose();
  }
});

test('an optimizer, and a trainer refused its checkpoint, leave no tensors behind', async () => {
  const model = new ReformerLM(tinyConfig());
  const before = tf.memory().numTensors;
  new Adam(model.variables).dispose();
  expect(tf.memory().numTensors).toBe(before);

  const trainer = new Trainer(model, tinyData(), options);
  trainer.trainStep();
  const checkpoint = await trainer.checkpoint();
  trainer.dispose();
  model.dispose();
  const held = tf.memory().numTensors;
  // A checkpoint whose optimizer state is cut short is refused after its model and optimizer exist.
  const specs = checkpoint.weightSpecs!.filter((s) => !s.name.startsWith('adam/v/'));
  const broken = {
    ...checkpoint,
    weightSpecs: specs,
    weightData: (checkpoint.weightData as ArrayBuffer).slice(
      0,
      specs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0),
    ),
  };
  expect(() => Trainer.fromCheckpoint(broken, tinyData())).toThrow(/no optimizer state/);
  expect(tf.memory().numTensors).toBe(held);
  // One whose weight average lacks its last tensor is refused after the average has begun.
  const averaging = new Trainer(new ReformerLM(tinyConfig()), tinyData(), { ...options, emaDecay: 0.9 });
  averaging.trainStep();
  const averaged = await averaging.checkpoint();
  averaging.model.dispose();
  averaging.dispose();
  const all = averaged.weightSpecs!;
  expect(all.at(-1)!.name).toMatch(/^ema\//);
  const shortSpecs = all.slice(0, -1);
  const shortAverage = {
    ...averaged,
    weightSpecs: shortSpecs,
    weightData: (averaged.weightData as ArrayBuffer).slice(
      0,
      shortSpecs.reduce((n, s) => n + 4 * s.shape.reduce((a, b) => a * b, 1), 0),
    ),
  };
  expect(() => Trainer.fromCheckpoint(shortAverage, tinyData())).toThrow(/no weight average/);
  expect(tf.memory().numTensors).toBe(held);
});
