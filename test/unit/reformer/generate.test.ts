import { beforeAll, expect, test } from 'vitest';
import { generate, GenerationCancelled } from '@/lib/reformer/generate';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

async function collect(
  model: ReformerLM,
  seed: number,
  extra: Partial<Parameters<typeof generate>[1]> = {},
): Promise<number[][]> {
  const rows: number[][] = [[], []];
  for await (const step of generate(model, {
    batch: 2,
    seed,
    sampling: { temperature: 1, topK: 0, topP: 0.95 },
    ...extra,
  })) {
    rows.forEach((row, b) => row.push(step.tokens[b]));
  }
  return rows;
}

test('the same seed, model and options give the same tokens; another seed does not', async () => {
  const model = new ReformerLM(tinyConfig());
  const a = await collect(model, 42);
  const b = await collect(model, 42);
  const c = await collect(model, 43);
  expect(a[0]).toHaveLength(48);
  expect(b).toEqual(a);
  expect(c).not.toEqual(a);
  expect(a[1]).not.toEqual(a[0]); // rows have their own streams
  // Image 1 of the seed drawn alone is the second image of a run of two.
  const alone: number[] = [];
  for await (const step of generate(model, {
    batch: 1,
    seed: 42,
    firstImage: 1,
    sampling: { temperature: 1, topK: 0, topP: 0.95 },
  }))
    alone.push(step.tokens[0]);
  expect(alone).toEqual(a[1]);
  model.dispose();
});

test('completion keeps the given prefix exactly and samples the rest', async () => {
  const model = new ReformerLM(tinyConfig());
  const prefix = [Array.from({ length: 20 }, (_, i) => i % 16), Array.from({ length: 5 }, () => 3)];
  const rows = await collect(model, 7, { prefix });
  expect(rows[0].slice(0, 20)).toEqual(prefix[0]);
  expect(rows[1].slice(0, 5)).toEqual(prefix[1]);
  expect(rows[0]).toHaveLength(48);
  model.dispose();
});

test('cancelling stops at once and frees the decoder', async () => {
  const model = new ReformerLM(tinyConfig());
  for await (const _ of generate(model, { batch: 2, seed: 1, length: 2 })); // builds the model's fixed hash rotations once
  const before = tf.memory().numTensors;
  const controller = new AbortController();
  let seen = 0;
  await expect(
    (async () => {
      for await (const step of generate(model, { batch: 2, seed: 1, signal: controller.signal })) {
        seen = step.position + 1;
        if (seen === 10) controller.abort();
      }
    })(),
  ).rejects.toThrow(GenerationCancelled);
  expect(seen).toBe(10);
  expect(tf.memory().numTensors).toBe(before);
  model.dispose();
});
