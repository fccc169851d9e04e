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
