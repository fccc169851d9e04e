import { createHash } from 'node:crypto';
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
      tf.tensor(
        v.data.map((x) => (v.dtype === 'int32' ? x : x * scale)),
        [...v.shape],
        v.dtype,
      ),
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

/** The weights file model.json in `dir` names. */
async function weightsFile(dir: string): Promise<string> {
  return (JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8')) as tf.io.ModelJSON).weightsManifest[0]!
    .paths[0]!;
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
    expect(new Uint8Array(loaded.weightData as ArrayBuffer)).toEqual(
      new Uint8Array(artifacts.weightData as ArrayBuffer),
    );

    const values = await loadValues(dir);
    expect(values['meta/step']).toEqual([7, -3, 2147483647, 0]);
    expect(values['attn/rotations']).toEqual([1.5, 2.5]);
    expect(values['embed/table']).toEqual(Array.from(Float32Array.from(VALUES['embed/table'].data)));
  });

  it('writes the standard model.json layout', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    const json = JSON.parse(await readFile(path.join(root, 'model.json'), 'utf8')) as tf.io.ModelJSON;
    expect(json.weightsManifest).toHaveLength(1);
    const [name] = json.weightsManifest[0]!.paths;
    const bytes = await readFile(path.join(root, name!));
    expect(name).toBe(`weights-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.bin`);
    expect(json.weightsManifest[0]!.weights.map((w) => [w.name, w.dtype])).toEqual([
      ['embed/table', 'float32'],
      ['attn/rotations', 'float32'],
      ['meta/step', 'int32'],
    ]);
    expect(json).toMatchObject({
      format: 'reformer-studio',
      generatedBy: 'test',
      convertedBy: null,
      userDefinedMetadata: { seed: 42 },
    });
    expect(bytes.byteLength).toBe(48);
  });

  it('leaves no temp files after save and overwrites an existing checkpoint', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts(1));
    await writeFile(path.join(root, 'weights.bin'), new Uint8Array(8)); // an older layout's file
    await fileSystemHandler(root).save!(await makeArtifacts(2));
    expect((await readdir(root)).sort()).toEqual([await weightsFile(root), 'model.json'].sort());
    expect((await loadValues(root))['attn/rotations']).toEqual([3, 5]);
  });

  it('a save cut short before model.json leaves the previous checkpoint whole, and the next save tidies up', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts(1));
    const first = await weightsFile(root);
    // What a save killed between its two renames leaves: the new weights and a temp model.json.
    const other = path.join(root, 'other');
    await fileSystemHandler(other).save!(await makeArtifacts(2));
    await writeFile(
      path.join(root, await weightsFile(other)),
      await readFile(path.join(other, await weightsFile(other))),
    );
    await writeFile(path.join(root, 'model.json.tmp-0123456789ab'), '{"half":');
    expect(await weightsFile(root)).toBe(first);
    expect((await loadValues(root))['attn/rotations']).toEqual([1.5, 2.5]);
    await fileSystemHandler(root).save!(await makeArtifacts(3));
    expect((await readdir(root)).sort()).toEqual([await weightsFile(root), 'model.json', 'other'].sort());
    expect((await loadValues(root))['attn/rotations']).toEqual([4.5, 7.5]);
  });

  it('refuses weights whose bytes do not match the hash in their name', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    const name = await weightsFile(root);
    const bytes = await readFile(path.join(root, name));
    bytes[0] ^= 1;
    await writeFile(path.join(root, name), bytes);
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(
      `${name} in ${root} does not match the hash in its name: the file is corrupt`,
    );
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

  it('refuses a truncated weights file', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    const name = await weightsFile(root);
    await truncate(path.join(root, name), 40);
    const load = fileSystemHandler(root).load!();
    await expect(load).rejects.toThrow(CheckpointError);
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(
      `${name} has 40 bytes but model.json describes 48: the checkpoint is truncated or mismatched`,
    );
  });

  it('refuses a weights file that is too long', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    const name = await weightsFile(root);
    await writeFile(path.join(root, name), new Uint8Array(60));
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(`${name} has 60 bytes but model.json describes 48`);
  });

  it('says when model.json is missing', async () => {
    await expect(fileSystemHandler(path.join(root, 'nowhere')).load!()).rejects.toThrow(
      /no model.json in .*nowhere: save a checkpoint there first/,
    );
  });

  it('says when model.json is not valid JSON', async () => {
    await writeFile(path.join(root, 'model.json'), '{"modelTopology": {');
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(/model.json is not valid JSON .*corrupt/);
  });

  it('says when a listed weights file is missing', async () => {
    await fileSystemHandler(root).save!(await makeArtifacts());
    const name = await weightsFile(root);
    await rm(path.join(root, name));
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(`lists ${name} but it is missing`);
  });

  it('refuses weight paths that escape the checkpoint directory', async () => {
    const modelJSON = { modelTopology: {}, weightsManifest: [{ paths: ['../secret.bin'], weights: [] }] };
    await writeFile(path.join(root, 'model.json'), JSON.stringify(modelJSON));
    await expect(fileSystemHandler(root).load!()).rejects.toThrow(/outside/);
  });
});
