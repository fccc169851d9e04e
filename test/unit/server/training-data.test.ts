import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { DatasetOptionsSchema } from '@/lib/pixels/manifest';
import { prepareDataset } from '@/lib/server/datasets/prepare';
import { loadTrainingData } from '@/lib/server/datasets/training-data';
import { createStorage, type Storage } from '@/lib/server/storage';
import { solidImage } from './fixtures';

let dataDir: string;
let storage: Storage;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'training-data-'));
  storage = createStorage({ dataDir });
  const inputs = await Promise.all(
    [0, 80, 160, 240].map(async (r, i) => ({
      name: `${i}.png`,
      bytes: await solidImage('png', 8, 8, { r, g: 10, b: 20 }),
    })),
  );
  for await (const _ of prepareDataset(
    inputs,
    DatasetOptionsSchema.parse({ name: 'Four', width: 8, height: 8, validationFraction: 0.25, seed: 1 }),
    { storage, id: 'four' },
  ));
});

afterAll(async () => {
  storage.close();
  await rm(dataDir, { recursive: true, force: true });
});

test('a stored dataset loads as both splits of tokens, in the trainer’s terms', async () => {
  const { manifest, data } = await loadTrainingData(storage, 'four');
  expect(manifest.counts).toMatchObject({ train: 3, validation: 1 });
  expect(data).toMatchObject({ datasetId: 'four', seqLength: 192, dimsPerToken: 1 });
  expect(data.train).toHaveLength(3 * 192);
  expect(data.validation).toHaveLength(192);
  // A solid image: every pixel's channels are its colour.
  expect([...data.validation.subarray(0, 3)].slice(1)).toEqual([10, 20]);
});

test('an unknown dataset or a missing shard is an error that says so, not a crash', async () => {
  await expect(loadTrainingData(storage, 'nope')).rejects.toMatchObject({
    code: 'dataset_not_found',
    message: expect.stringMatching(/built-ins are emoji-16/),
  });
  await storage.deleteBlobs('datasets/four/');
  await expect(loadTrainingData(storage, 'four')).rejects.toMatchObject({
    code: 'shard_missing',
    message: expect.stringMatching(/prepare it again/),
  });
});
