import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as tf from '@/lib/reformer/tf';
import { GenerationCancelled, InProcessEngine } from '@/lib/runtime/client';
import type { SampleRequest } from '@/lib/runtime/protocol';
import { tinyConfig } from '../reformer/helpers';

const engine = new InProcessEngine();
const sampling = { temperature: 1, topK: 0, topP: 1 };

beforeAll(async () => {
  const choice = await engine.init('cpu');
  expect(choice.name).toBe('cpu');
  await engine.load({ kind: 'random', id: 'tiny', config: tinyConfig() });
});

afterAll(() => engine.dispose());

async function collect(req: SampleRequest, signal?: AbortSignal) {
  const rows = Array.from({ length: req.batch }, () => [] as number[]);
  const chunks: number[] = [];
  for await (const chunk of engine.sample(req, signal)) {
    expect(chunk.start).toBe(rows[0].length); // chunks are contiguous
    chunk.rows.forEach((r, b) => rows[b].push(...r));
    chunks.push(chunk.rows[0].length);
  }
  return { rows, chunks };
}

test('seeded generation through the engine is reproducible and streams in chunks', async () => {
  const a = await collect({ batch: 2, seed: 11, sampling, chunkTokens: 12 });
  const b = await collect({ batch: 2, seed: 11, sampling, chunkTokens: 12 });
  const c = await collect({ batch: 2, seed: 12, sampling, chunkTokens: 12 });
  expect(a.rows[0]).toHaveLength(48);
  expect(a.chunks.every((n) => n <= 12)).toBe(true);
  expect(a.chunks.length).toBeGreaterThanOrEqual(4);
  expect(b.rows).toEqual(a.rows);
  expect(c.rows).not.toEqual(a.rows);
});

test('a completion keeps its prefix tokens exactly', async () => {
  const prefix = [Array.from({ length: 12 }, (_, i) => i), Array.from({ length: 12 }, () => 5)];
  const { rows } = await collect({ batch: 2, seed: 3, sampling, prefix });
  expect(rows[0].slice(0, 12)).toEqual(prefix[0]);
  expect(rows[1].slice(0, 12)).toEqual(prefix[1]);
});

test('cancelling stops the run with GenerationCancelled and frees every tensor it made', async () => {
  const baseline = tf.memory().numTensors;
  const controller = new AbortController();
  let seen = 0;
  const run = (async () => {
    for await (const chunk of engine.sample({ batch: 2, seed: 5, sampling, chunkTokens: 4 }, controller.signal)) {
      seen += chunk.rows[0].length;
      if (seen >= 8) controller.abort();
    }
  })();
  await expect(run).rejects.toThrow(GenerationCancelled);
  expect(seen).toBeLessThan(48);
  expect(tf.memory().numTensors).toBe(baseline);
  // and a new run can start right away
  const { rows } = await collect({ batch: 1, seed: 5, sampling, length: 6 });
  expect(rows[0]).toHaveLength(6);
  expect(tf.memory().numTensors).toBe(baseline);
});

test('memory() reports the decoding cache of the last run', async () => {
  await collect({ batch: 3, seed: 1, sampling, length: 4 });
  const m = await engine.memory();
  expect(m.cacheBytes).toBeGreaterThan(0);
  expect(m.numTensors).toBe(tf.memory().numTensors);
});

test('when a second load starts before the first ends, the second model is the one that generates, and the first is freed', async () => {
  const other = new InProcessEngine();
  await other.init('cpu');
  const baseline = tf.memory().numTensors;
  const first = other.load({ kind: 'random', id: 'first', config: tinyConfig({ dModel: 32 }) });
  const second = other.load({
    kind: 'random',
    id: 'second',
    config: tinyConfig({ seqLength: 24, axialShape: [4, 6] }),
  });
  const [a, b] = await Promise.allSettled([first, second]);
  expect(a).toMatchObject({ status: 'rejected', reason: { name: 'LoadSupersededError' } });
  expect(b).toMatchObject({ status: 'fulfilled', value: { id: 'second', seqLength: 24 } });
  let tokens = 0;
  for await (const chunk of other.sample({ batch: 1, seed: 1, sampling })) tokens += chunk.rows[0].length;
  expect(tokens).toBe(24);
  other.dispose();
  expect(tf.memory().numTensors).toBe(baseline);
});
