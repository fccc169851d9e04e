import { IDBFactory } from 'fake-indexeddb';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import * as tf from '@/lib/reformer/tf';
import { CheckpointStorageError } from '@/lib/runtime/errors';
import { indexedDbCheckpoints, LEGACY_RUN_ID } from '@/lib/runtime/train-checkpoints';
import type { CheckpointSummary } from '@/lib/runtime/train-protocol';

const summary = (runId: string, step: number, savedAt: string): CheckpointSummary => ({
  runId,
  settings: {
    datasetId: 'd',
    preset: 'tiny',
    steps: 10,
    batchSize: 1,
    learningRate: 1e-3,
    evalEvery: 5,
    sampleEvery: 0,
    backend: 'cpu',
  },
  datasetName: 'D',
  step,
  savedAt,
  history: { train: [], validation: [] },
});

const artifacts = (s: CheckpointSummary): tf.io.ModelArtifacts => ({
  modelTopology: { format: 'reformer-studio/v1', config: {} },
  weightSpecs: [{ name: 'w', shape: [2], dtype: 'float32' }],
  weightData: new Float32Array([s.step, 1]).buffer,
  userDefinedMetadata: { summary: s as unknown as object },
});

beforeEach(() => vi.stubGlobal('indexedDB', new IDBFactory()));
afterEach(() => vi.unstubAllGlobals());

test('runs keep a slot each: saving one leaves the others, listing is newest first, discarding takes one', async () => {
  const a = summary('a', 5, '2026-01-01T00:00:00.000Z');
  const b = summary('b', 3, '2026-01-02T00:00:00.000Z');
  await indexedDbCheckpoints.save(a, artifacts(a));
  await indexedDbCheckpoints.save(b, artifacts(b));
  const a2 = { ...a, step: 10, savedAt: '2026-01-03T00:00:00.000Z' };
  await indexedDbCheckpoints.save(a2, artifacts(a2));
  expect((await indexedDbCheckpoints.list()).map((s) => [s.runId, s.step])).toEqual([
    ['a', 10],
    ['b', 3],
  ]);
  expect(new Float32Array((await indexedDbCheckpoints.load('b'))!.weightData as ArrayBuffer)).toEqual(
    new Float32Array([3, 1]),
  );
  expect(await indexedDbCheckpoints.remove('b')).toBe(true);
  expect(await indexedDbCheckpoints.remove('b')).toBe(false);
  expect(await indexedDbCheckpoints.load('b')).toBeNull();
  expect((await indexedDbCheckpoints.list()).map((s) => s.runId)).toEqual(['a']);
});

test('listing with no run saved, by this version or an earlier one, is empty', async () => {
  expect(await indexedDbCheckpoints.list()).toEqual([]);
});

test('only a missing run reads as none: storage that cannot be read is refused with its reason', async () => {
  expect(await indexedDbCheckpoints.load('never-saved')).toBeNull();
  vi.stubGlobal('indexedDB', undefined);
  await expect(indexedDbCheckpoints.load('a')).rejects.toThrow(CheckpointStorageError);
  await expect(indexedDbCheckpoints.list()).rejects.toThrow(/Could not list the saved runs .*no IndexedDB/);
  const s = summary('a', 1, '2026-01-01T00:00:00.000Z');
  await expect(indexedDbCheckpoints.save(s, artifacts(s))).rejects.toThrow(/Could not save the checkpoint at step 1/);
});

test('the run an earlier version kept in its one tf.io slot is moved into a slot of its own, once', async () => {
  // tf.io's IndexedDB handlers look for a browser; fake-indexeddb stands in for its storage.
  const wasBrowser = tf.env().getBool('IS_BROWSER');
  tf.env().set('IS_BROWSER', true);
  vi.stubGlobal('self', globalThis);
  try {
    const old = summary(undefined as unknown as string, 7, '2025-12-31T00:00:00.000Z');
    await tf.io.getSaveHandlers('indexeddb://reformer-studio-train')[0].save!(artifacts(old));
    const [moved] = await indexedDbCheckpoints.list();
    expect(moved).toMatchObject({ runId: LEGACY_RUN_ID, step: 7 });
    const loaded = (await indexedDbCheckpoints.load(LEGACY_RUN_ID))!;
    expect(new Float32Array(loaded.weightData as ArrayBuffer)).toEqual(new Float32Array([7, 1]));
    expect((loaded.userDefinedMetadata as { summary: CheckpointSummary }).summary.runId).toBe(LEGACY_RUN_ID);
    await expect(tf.io.getLoadHandlers('indexeddb://reformer-studio-train')[0].load!()).rejects.toThrow(
      /Cannot find model/,
    );
    expect(await indexedDbCheckpoints.list()).toHaveLength(1);
  } finally {
    tf.env().set('IS_BROWSER', wasBrowser);
  }
});
