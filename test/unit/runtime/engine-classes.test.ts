import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decodeCacheBytes } from '@/lib/reformer/decode';
import { InProcessEngine } from '@/lib/runtime/client';
import type { SampleRequest } from '@/lib/runtime/protocol';
import { resolveConfig } from '@/lib/reformer/config';
import { tinyConfig } from '../reformer/helpers';

const engine = new InProcessEngine();
const sampling = { temperature: 1, topK: 0, topP: 1 };
const config = tinyConfig({ classes: 3 });

beforeAll(async () => {
  await engine.init('cpu');
  await engine.load({ kind: 'random', id: 'tiny-classes', config });
});

afterAll(() => engine.dispose());

async function collect(req: SampleRequest): Promise<number[][]> {
  const rows = Array.from({ length: req.batch }, () => [] as number[]);
  for await (const chunk of engine.sample(req)) chunk.rows.forEach((r, b) => rows[b].push(...r));
  return rows;
}

test('the engine passes the class and the guidance through: reproducible, and each changes the tokens', async () => {
  const guided = { batch: 2, seed: 4, sampling, classId: 1, guidance: 2 };
  const a = await collect(guided);
  expect(await collect(guided)).toEqual(a);
  // Guided, both streams are decoded side by side: the cache holds twice the rows.
  const cacheBytes = async () => (await engine.memory()).cacheBytes;
  expect(await cacheBytes()).toBe(decodeCacheBytes(resolveConfig(config), 4));
  expect(await collect({ ...guided, guidance: 0 })).not.toEqual(a);
  expect(await cacheBytes()).toBe(decodeCacheBytes(resolveConfig(config), 2));
  expect(await collect({ ...guided, classId: 0 })).not.toEqual(a);
  await expect(collect({ ...guided, classId: 5 })).rejects.toThrow(/class 5 is not one of this model's/);
});
