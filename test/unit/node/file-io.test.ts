import { mkdtemp, readdir, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CheckpointError, fileSystemHandler } from '@/lib/node/file-io';

let root: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'file-io-'));
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const VALUES = {
  'embed/table': { data: [0.5, -1.25, 3, 4.75, -0.001, 1e-7], shape: [2, 3], dtype: 'float32' },
  'attn/rotations': { data: [1.5, 2.5], shape: [2], dtype: 'float32' },
  'meta/step': { data: [7, -3, 2147483647, 0], shape: [4], dtype: 'int32' },
} as const;

/** Artifacts of three weights (two float32, one int32) plus topology and metadata. 48 bytes. */
async function makeArtifacts(scale = 1): Promise<tf.io.ModelArtifacts> {
  const tensors = Object.fromEntries(
    Object.entries(VALUES).map(([name, v]) => [
      name,
      tf.tensor(v.data.map((x) => (v.dtype === 'int32' ? x : x * scale)), [...v.shape], v.dtype),
    ]),
  );
  const { data, specs } = await tf.io.encodeWeights(tensors);
  Object.values(tensors).forEach((t) => t.dispose());
  return {
    modelTopology: { kind: 'reformer', config: { dModel: 4, layers: 2 } },
    format: 'reformer-studio',
    generatedBy: 'test',
    convertedBy: null,
    userDefinedMetadata: { seed: 42, note: 'round trip' },
    weightSpecs: specs,
    weightData: data,
  };
}

async function loadValues(dir: string): Promise<Record<string, number[]>> {
  const loaded = await fileSystemHandler(dir).load!();
  const tensors = tf.io.decodeWeights(loaded.weightData!, loaded.weightSpecs!);
  const out = Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, Array.from(t.dataSync())]));
  Object.values(tensors).forEach((t) => t.dispose());
  return out;
}

describe('fileSystemHandler', () => {
  it('round-trips topology, metadata and float32 / int32 weights', async () => {
    const dir = path.join(root, 'nested', 'ckpt'); // created by save
    const artifacts = await makeArtifacts();
    const result = await fileSystemHandler(dir).save!(artifacts);
    expect(result.modelArtifactsInfo.weightDataBytes).toBe(48);
    expect(result.modelArtifactsInfo.modelTopologyType).toBe('JSON');

    const loaded = await fileSystemHandler(dir).load!();
    expect(loaded.modelTopology).toEqual(artifacts.modelTopology);
    expect(loaded.userDefinedMetadata).toEqual(artifacts.userDefinedMetadata);
    expect(loaded.format).toBe('reformer-studio');
    expect(loaded.generatedBy).toBe('test');
    expect(loaded.weightSpecs).toEqual(artifacts.weightSpecs);
    expect(new Uint8Array(loaded.weightData as ArrayBuffer)).toEqual(new Uint8Array(artifacts.weightData as ArrayBuffer));

    const values = await loadValues(dir);
    expect(values['meta/step']).toEqual([7, -3, 2147483647, 0]);
    expect(values['attn/rotations']).toEqual([1.5, 2.5]);
    expect(values['embed/table']).toEqual(Array.from(Float32Array.from(VALUES['embed/table'].data)));
  });

  it('writes the standard model.json layout', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    const json = JSON.parse(await readFile(path.join(root, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(json.weightsManifest).toHaveLength(1);
    expect(json.weightsManifest[0]!.paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0]!.weights.map((w) => [w.name, w.dtype])).toEqual([
      ['embed/table', 'float32'], ['attn/rotations', 'float32'], ['meta/step', 'int32'],
    ]);
    expect(json).toMatchObject({ format: 'reformer-studio', generatedBy: 'test', convertedBy: null, userDefinedMetadata: { seed: 42 } });
    expect((await readFile(path.join(root, 'weights.bin'))).byteLength).toBe(48);
  });

  it('leaves no temp files after save and overwrites an existing checkpoint', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts(1));
    await fileSystemHandler(root).save!(await makeArtifacts(2));
    expect((await readdir(root)).sort()).toEqual(['model.json', 'weights.bin']);
    expect((await loadValues(root))['attn/rotations']).toEqual([3, 5]);
  });

  it('accepts weightData given as several buffers', async () => {
    const artifacts = await makeArtifacts();
    const whole = artifacts.weightData as ArrayBuffer;
    await fileSystemHandler(root).save!({ ...artifacts, weightData: [whole.slice(0, 10), whole.slice(10)] });
    expect((await loadValues(root))['meta/step']).toEqual([7, -3, 2147483647, 0]);
  });

  it('loads weights split across shards and manifest groups, concatenated in order', async () => {
    const artifacts = await makeArtifacts();
    const whole = new Uint8Array(artifacts.weightData as ArrayBuffer);
    const specs = artifacts.weightSpecs!;
    // group 1: embed/table (24 bytes) in two shards; group 2: the rest (24 bytes) in one
    await writeFile(path.join(root, 'g1-shard1of2.bin'), whole.subarray(0, 10));
    await writeFile(path.join(root, 'g1-shard2of2.bin'), whole.subarray(10, 24));
    await writeFile(path.join(root, 'g2.bin'), whole.subarray(24));
    const modelJSON: tf.io.ModelJSON = {
      modelTopology: {},
      weightsManifest: [
        { paths: ['g1-shard1of2.bin', 'g1-shard2of2.bin'], weights: specs.slice(0, 1) },
        { paths: ['g2.bin'], weights: specs.slice(1) },
      ],
    };
    await writeFile(path.join(root, 'model.json'), JSON.stringify(modelJSON));
    const values = await loadValues(root);
    expect(values['meta/step']).toEqual([7, -3, 2147483647, 0]);
    expect(values['attn/rotations']).toEqual([1.5, 2.5]);
  });

  it('refuses a truncated weights.bin', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    await truncate(path.join(root, 'weights.bin'), 40);
    const load = fileSystemHandler(root).load!();
    await expect(load).rejects.toThrow(CheckpointError);
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(
      'weights.bin has 40 bytes but model.json describes 48: the checkpoint is truncated or mismatched',
    );
  });

  it('refuses a weights file that is too long', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    await writeFile(path.join(root, 'weights.bin'), new Uint8Array(60));
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(/weights.bin has 60 bytes but model.json describes 48/);
  });

  it('says when model.json is missing', async () => {
    await expect(fileSystemHandler(path.join(root, 'nowhere')).load!()).rejects.toThrow(/no model.json in .*nowhere: save a checkpoint there first/);
  });

  it('says when model.json is not valid JSON', async () => {
    await writeFile(path.join(root, 'model.json'), '{"modelTopology": {');
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(/model.json is not valid JSON .*corrupt/);
  });

  it('says when a listed weights file is missing', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    await rm(path.join(root, 'weights.bin'));
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(/lists weights.bin but it is missing/);
  });

  it('refuses weight paths that escape the checkpoint directory', async () => {
    const modelJSON = { modelTopology: {}, weightsManifest: [{ paths: ['../secret.bin'], weights: [] }] };
    await writeFile(path.join(root, 'model.json'), JSON.stringify(modelJSON));
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(/outside/);
  });
});
