import { beforeAll, expect, test } from 'vitest';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import type { TrainingData } from '@/lib/training/data';
import { withClassTable } from '@/lib/training/start-from';
import { GradientClient, serveGradients } from '@/lib/training/gradient-service';
import {
  CheckpointMismatchError,
  type GradientHelper,
  imagesBitsPerDim,
  Trainer,
  type TrainOptions,
} from '@/lib/training/trainer';
import { tinyConfig } from '../reformer/helpers';
import { pair } from './endpoints';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Two classes of 48-token "images": class 0 draws its tokens from [0, 8), class 1 from [8, 16),
 * so at the first position only the class says which half comes. Image i has class i % 2.
 */
function twoClasses(datasetId = 'halves'): TrainingData {
  const make = (n: number, seed: number) => {
    const tokens = new Uint8Array(n * 48);
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      labels[i] = i % 2;
      for (let t = 0; t < 48; t++) tokens[i * 48 + t] = 8 * labels[i] + ((i * 3 + seed + Math.floor(t / 3)) % 8);
    }
    return { tokens, labels };
  };
  const train = make(20, 0);
  const validation = make(4, 1);
  return {
    datasetId,
    seqLength: 48,
    vocabSize: 16,
    dimsPerToken: 1,
    train: train.tokens,
    validation: validation.tokens,
    labels: { classes: ['low', 'high'], train: train.labels, validation: validation.labels },
  };
}

const options: TrainOptions = {
  steps: 40,
  batchSize: 4,
  learningRate: 3e-3,
  warmupSteps: 5,
  evalEvery: 20,
  evalImages: 4,
  seed: 3,
  labelDropout: 0.1,
};
const config = tinyConfig({ layers: ['local'], classes: 2 });

function disposeAll(...trainers: Trainer[]) {
  for (const t of trainers) {
    t.model.dispose();
    t.dispose();
  }
}

/** Probability the model gives the upper half [8, 16) at the first position, given `classId`. */
function upperHalfFirst(model: ReformerLM, classId: number): number {
  return tf.tidy(() => {
    const logits = model.forward(tf.zeros([1, 1], 'int32') as tf.Tensor2D, { classIds: Int32Array.of(classId) });
    const p = Array.from(tf.softmax(logits.reshape([16])).dataSync());
    return p.slice(8).reduce((a, b) => a + b, 0);
  });
}

test('a 2-class toy dataset trains in a few steps, and its conditional logits differ by class', () => {
  const fast = { ...options, steps: 12, learningRate: 1e-2, warmupSteps: 2, emaDecay: 0 };
  const trainer = new Trainer(new ReformerLM(config), twoClasses(), fast);
  const untrained = upperHalfFirst(trainer.model, 1) - upperHalfFirst(trainer.model, 0);
  const first = trainer.trainStep().loss;
  let last = first;
  for (let i = 1; i < 12; i++) last = trainer.trainStep().loss;
  expect(last).toBeLessThan(first);
  const low = upperHalfFirst(trainer.model, 0);
  const high = upperHalfFirst(trainer.model, 1);
  // The class alone decides the first token's half: after training the model says so.
  expect(Math.abs(untrained)).toBeLessThan(0.1);
  expect(high - low).toBeGreaterThan(0.2);
  disposeAll(trainer);
});

test('validation gives each image its true class', () => {
  const data = twoClasses();
  const trainer = new Trainer(new ReformerLM(config), data, { ...options, emaDecay: 0 });
  for (let i = 0; i < 5; i++) trainer.trainStep();
  const withClass = imagesBitsPerDim(trainer.model, data, data.validation, 4, 4, undefined, data.labels!.validation);
  const flipped = imagesBitsPerDim(
    trainer.model,
    data,
    data.validation,
    4,
    4,
    undefined,
    data.labels!.validation.map((l) => 1 - l),
  );
  expect(trainer.evaluate()).toBe(withClass);
  expect(withClass).not.toBe(flipped);
  disposeAll(trainer);
});

test('a class-conditional model needs labels of as many classes; an unconditional one trains on a labelled dataset', () => {
  const data = twoClasses();
  const { labels: _labels, ...unlabelled } = data;
  const model = new ReformerLM(config);
  expect(() => new Trainer(model, unlabelled, options)).toThrow(CheckpointMismatchError);
  expect(() => new Trainer(model, unlabelled, options)).toThrow(/has no labels; train it on a labelled dataset/);
  const three = { ...data, labels: { ...data.labels!, classes: ['a', 'b', 'c'] } };
  expect(() => new Trainer(model, three, options)).toThrow(/knows 2 classes but dataset halves has 3/);
  expect(() => new Trainer(model, data, { ...options, labelDropout: 1 })).toThrow(/labelDropout 1 must be in \[0, 1\)/);
  model.dispose();
  const plain = new Trainer(new ReformerLM(tinyConfig({ layers: ['local'] })), data, options);
  expect(Number.isFinite(plain.trainStep().loss)).toBe(true);
  disposeAll(plain);
});

test('label dropout is seeded: a resumed run drops the same labels and takes the same steps', async () => {
  const dropping = { ...options, labelDropout: 0.5 };
  const straight = new Trainer(new ReformerLM(config), twoClasses(), dropping);
  const expected = Array.from({ length: 4 }, () => straight.trainStep().loss);
  const first = new Trainer(new ReformerLM(config), twoClasses(), dropping);
  first.trainStep();
  first.trainStep();
  const resumed = Trainer.fromCheckpoint(await first.checkpoint(), twoClasses());
  const got = [resumed.trainStep().loss, resumed.trainStep().loss];
  got.forEach((loss, i) => expect(loss, `step ${i + 2}`).toBeCloseTo(expected[i + 2], 5));
  disposeAll(straight, first, resumed);
});

test('a step split across helpers passes each its rows labels, and is the same step as on one thread', async () => {
  const dropping = { ...options, batchSize: 6, labelDropout: 0.5 };
  const single = new Trainer(new ReformerLM(config), twoClasses(), dropping);
  const split = new Trainer(new ReformerLM(config), twoClasses(), dropping);
  const seen: { tokens: Int32Array; classIds?: Int32Array }[] = [];
  const helpers: GradientHelper[] = [];
  for (let i = 0; i < 2; i++) {
    const [trainerEnd, helperEnd] = pair();
    serveGradients(helperEnd, async () => {});
    const client = await GradientClient.start(trainerEnd, split.model.config);
    helpers.push({
      gradients: (weights, tokens, rows, stepSeed, classIds) => {
        seen.push({ tokens, classIds });
        return client.gradients(weights, tokens, rows, stepSeed, classIds);
      },
    });
  }
  for (let i = 0; i < 3; i++) {
    const a = single.trainStep();
    const b = await split.trainStepParallel(helpers); // rows 2 + 2 + 2
    expect(b.loss, `step ${i}`).toBeCloseTo(a.loss, 5);
  }
  // Each helper row's class id is its image's class (the half its tokens lie in) or "no class".
  let dropped = 0;
  let kept = 0;
  for (const { tokens, classIds } of seen) {
    expect(classIds).toHaveLength(2);
    classIds!.forEach((id, row) => {
      if (id === 2) dropped++;
      else {
        kept++;
        expect(id, 'a row was given another image’s label').toBe(tokens[row * 48] >= 8 ? 1 : 0);
      }
    });
  }
  expect(dropped).toBeGreaterThan(0);
  expect(kept).toBeGreaterThan(0);
  const w = (t: Trainer) => t.model.variables.get('embed.classes')!.dataSync();
  const [x, y] = [w(single), w(split)];
  expect(Math.max(...x.map((v, i) => Math.abs(v - y[i])))).toBeLessThan(1e-5);
  disposeAll(single, split);
});

test('an unconditional model given a class table of zeros predicts what it did, for every class', () => {
  const plain = new ReformerLM(tinyConfig({ layers: ['local'] }));
  const tokens = tf.tensor2d(Int32Array.from(twoClasses().train.slice(0, 96)), [2, 48], 'int32');
  const before = tf.tidy(() => plain.forward(tokens).dataSync().slice());
  const grown = withClassTable(plain, 2);
  expect(grown.config.classes).toBe(2);
  for (const ids of [Int32Array.of(0, 1), Int32Array.of(2, 2)])
    expect(Array.from(tf.tidy(() => grown.forward(tokens, { classIds: ids }).dataSync()))).toEqual(Array.from(before));
  expect(() => withClassTable(grown, 3)).toThrow(/already takes 2 classes/);
  tokens.dispose();
  grown.dispose();
});
