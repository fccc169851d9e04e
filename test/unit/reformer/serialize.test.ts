import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fileSystemHandler } from '@/lib/node/file-io';
import { ReformerLM } from '@/lib/reformer/model';
import { loadModel, ModelFormatError, saveModel } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { randomTokens, tinyConfig } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'reformer-io-'));
beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('save → load gives identical logits, config (factorised buckets too) and metadata', async () => {
  const model = new ReformerLM(tinyConfig({ seed: 3, nBuckets: [2, 4] }));
  // Move the weights off their initial values so the test cannot pass on a fresh init.
  const g = model.computeGradients(randomTokens(2, 48, 16, 1), { stepSeed: 1 });
  for (const v of model.variables.values()) v.assign(tf.sub(v, tf.mul(g.grads[v.name], 0.5)));
  tf.dispose(Object.values(g.grads));
  await saveModel(model, fileSystemHandler(join(dir, 'a')), { dataset: 'emoji-16', steps: 1 });

  expect(JSON.parse(readFileSync(join(dir, 'a', 'model.json'), 'utf8')).modelTopology.config.nBuckets).toEqual([2, 4]);
  const { model: loaded, metadata } = await loadModel(fileSystemHandler(join(dir, 'a')));
  expect(metadata).toEqual({ dataset: 'emoji-16', steps: 1 });
  expect(loaded.config).toEqual(model.config);
  const tokens = randomTokens(2, 48, 16, 2);
  const a = model.forward(tokens);
  const b = loaded.forward(tokens);
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  tf.dispose([tokens, a, b]);
  model.dispose();
  loaded.dispose();
});

test('a model.json whose weights do not match its config is refused', async () => {
  const model = new ReformerLM(tinyConfig());
  await saveModel(model, fileSystemHandler(join(dir, 'b')));
  model.dispose();
  const path = join(dir, 'b', 'model.json');
  const json = JSON.parse(readFileSync(path, 'utf8'));
  json.modelTopology.config.dModel = 32;
  json.modelTopology.config.nHeads = 2;
  writeFileSync(path, JSON.stringify(json));
  await expect(loadModel(fileSystemHandler(join(dir, 'b')))).rejects.toThrow(ModelFormatError);
  await expect(loadModel(fileSystemHandler(join(dir, 'b')))).rejects.toThrow(/shape \[.*\] but the config needs/);
  json.modelTopology.format = 'keras';
  writeFileSync(path, JSON.stringify(json));
  await expect(loadModel(fileSystemHandler(join(dir, 'b')))).rejects.toThrow(/not a Reformer Studio model/);
});
