import { beforeAll, expect, test } from 'vitest';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('forwardAsync (no synchronous reads) equals forward', async () => {
  const model = new ReformerLM(tinyConfig());
  const tokens = randomTokens(2, 48, 16, 31);
  const a = model.forward(tokens);
  const b = await model.forwardAsync(tokens);
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  tf.dispose([tokens, a, b]);
  model.dispose();
});

test.each([true, false])(
  'reversible %s: the training loss equals the cross-entropy of the forward logits, and leaves no tensors behind',
  (reversible) => {
    // One bucket: training's fresh hash rotations then draw the same buckets as inference's.
    const model = new ReformerLM({ ...tinyConfig({ nBuckets: 1 }), reversible });
    const tokens = randomTokens(2, 48, 16, 33);
    const evaluated = model.evaluate(tokens);
    const before = tf.memory().numTensors;
    const { loss, grads } = model.computeGradients(tokens, { stepSeed: 4 });
    expect(tf.memory().numTensors).toBe(before + Object.keys(grads).length);
    expect(loss).toBeCloseTo(evaluated, 5);
    expect(evaluated).toBeGreaterThan(Math.log(16) / 2); // an untrained model: near ln V, not 0
    tf.dispose([tokens, ...Object.values(grads)]);
    model.dispose();
  },
);

test('a sequence longer than the model is refused with the lengths in the message', () => {
  const model = new ReformerLM(tinyConfig());
  const tokens = randomTokens(1, 49, 16, 34);
  expect(() => model.forward(tokens)).toThrow(/49 tokens is longer than the model's seqLength 48/);
  expect(() => model.computeGradients(tokens)).toThrow(/seqLength 48/);
  tokens.dispose();
  model.dispose();
});
