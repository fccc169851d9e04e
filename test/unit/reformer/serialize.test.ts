import { mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { fileSystemHandler } from '@/lib/node/file-io';
import { ReformerLM } from '@/lib/reformer/model';
import { loadModel, ModelFormatError, modelArtifacts, modelFromArtifacts, saveModel } from '@/lib/reformer/serialize';
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

test('refused models leave no tensors behind: a missing weight, a file cut short, a wrong dtype', async () => {
  const model = new ReformerLM(tinyConfig());
  const artifacts = await modelArtifacts(model);
  model.dispose();
  const specs = artifacts.weightSpecs!;
  const data = artifacts.weightData as ArrayBuffer;
  const before = tf.memory().numTensors;

  const last = specs.at(-1)!;
  const lastBytes = 4 * last.shape.reduce((a, b) => a * b, 1);
  const missing = {
    ...artifacts,
    weightSpecs: specs.slice(0, -1),
    weightData: data.slice(0, data.byteLength - lastBytes),
  };
  expect(() => modelFromArtifacts(missing)).toThrow(`weights are missing "${last.name}"`);
  expect(tf.memory().numTensors).toBe(before);

  const cut = { ...artifacts, weightData: data.slice(0, data.byteLength - 64) };
  expect(() => modelFromArtifacts(cut)).toThrow(ModelFormatError);
  expect(() => modelFromArtifacts(cut)).toThrow(
    `the weights are ${data.byteLength - 64} bytes but their manifest describes ${data.byteLength}`,
  );
  expect(tf.memory().numTensors).toBe(before);

  const int32 = {
    ...artifacts,
    weightSpecs: specs.map((s, i) => (i === specs.length - 1 ? { ...s, dtype: 'int32' as const } : s)),
  };
  expect(() => modelFromArtifacts(int32)).toThrow(`weight "${last.name}" is int32`);
  expect(tf.memory().numTensors).toBe(before);
});
