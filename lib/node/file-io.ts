/**
 * A TensorFlow.js `IOHandler` for the standard artifacts format on disk (`model.json` +
 * binary weights), as `tfjs-node`'s `file://` handler writes it, for Node without tfjs-node.
 *
 * Layout of `dir` after `save`:
 *   model.json          — `tf.io.ModelJSON`: modelTopology, format, generatedBy, convertedBy,
 *                         userDefinedMetadata…, weightsManifest: [{ paths: ['weights-<h>.bin'], weights: specs }]
 *   weights-<h>.bin     — the weight values concatenated in `weights` order, little-endian, no
 *                         header; <h> is the first 16 hex digits of their sha256.
 * A save writes the new weights file beside the old one, then replaces model.json (each atomically:
 * temp file in `dir`, fsync, rename), then deletes the old weights. model.json is the one commit
 * point: a save cut short anywhere (a kill, a crash, a full disk) leaves the previous model.json
 * with the weights it names, never a model.json beside weights of another step. Loading checks a
 * `weights-<h>.bin` against its hash. Files of other layouts (`weights.bin`, shards) load as listed.
 */
import { createHash } from 'node:crypto';
import { open, mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';

const MODEL_JSON = 'model.json';
/** `weights-<16 hex>.bin`, and the plain `weights.bin` of earlier saves: what a save may replace. */
const SAVED_WEIGHTS = /^weights(-([0-9a-f]{16}))?\.bin$/;
/** Temp files of saves that never reached their rename. */
const TEMP_FILE = /\.tmp-[0-9a-f]{12}$/;

function hashPrefix(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** A checkpoint on disk that cannot be read back; the message says which file and why. */
export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CheckpointError';
  }
}

/** Save to / load from the artifacts in `dir` (created on save). */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  return {
    save: (artifacts) => saveArtifacts(dir, artifacts),
    load: () => loadArtifacts(dir),
  };
}

async function saveArtifacts(dir: string, artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
  if (artifacts.modelTopology instanceof ArrayBuffer) {
    throw new Error('fileSystemHandler saves JSON model topologies only; got a binary (graph model) topology');
  }
  const weights = new Uint8Array(
    artifacts.weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(artifacts.weightData),
  );
  const weightsFile = `weights-${hashPrefix(weights)}.bin`;
  const manifest: tf.io.WeightsManifestConfig = [{ paths: [weightsFile], weights: artifacts.weightSpecs ?? [] }];
  await mkdir(dir, { recursive: true });
  await writeAtomically(dir, weightsFile, weights);
  const json = JSON.stringify(modelJSONFor(artifacts, manifest));
  await writeAtomically(dir, MODEL_JSON, new TextEncoder().encode(json));
  // Committed: what the previous model.json named, and leftovers of interrupted saves, can go.
  for (const name of await readdir(dir)) {
    if ((SAVED_WEIGHTS.test(name) && name !== weightsFile) || TEMP_FILE.test(name))
      await rm(path.join(dir, name), { force: true });
  }
  return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
}

/**
 * The `model.json` object for `artifacts`. Mirrors tfjs-core's `getModelJSONForModelArtifacts`,
 * which 4.22 does not export from `tf.io` (a deep import of `dist/io/io_utils` would load a
 * second copy of tfjs-core beside the Node bundle).
 */
function modelJSONFor(artifacts: tf.io.ModelArtifacts, manifest: tf.io.WeightsManifestConfig): tf.io.ModelJSON {
  const json: tf.io.ModelJSON = {
    // Left undefined when absent, as tfjs does, so JSON.stringify omits it and load round-trips it.
    modelTopology: artifacts.modelTopology as {},
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
    weightsManifest: manifest,
  };
  if (artifacts.signature != null) json.signature = artifacts.signature;
  if (artifacts.userDefinedMetadata != null) json.userDefinedMetadata = artifacts.userDefinedMetadata;
  if (artifacts.modelInitializer != null) json.modelInitializer = artifacts.modelInitializer;
  if (artifacts.initializerSignature != null) json.initializerSignature = artifacts.initializerSignature;
  if (artifacts.trainingConfig != null) json.trainingConfig = artifacts.trainingConfig;
  return json;
}

/** Write `dir/name` via a temp file in the same directory (same filesystem, so rename is atomic). */
export async function writeAtomically(dir: string, name: string, bytes: Uint8Array): Promise<void> {
  const suffix = Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => b.toString(16).padStart(2, '0')).join('');
  const tmp = path.join(dir, `${name}.tmp-${suffix}`);
  try {
    const file = await open(tmp, 'wx');
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path.join(dir, name));
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  await syncDirectory(dir);
}

/** Persist the rename itself; directories cannot be opened for fsync on Windows, so best effort. */
async function syncDirectory(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Not supported on this platform; the rename is still atomic, only its durability is weaker.
  }
}

async function loadArtifacts(dir: string): Promise<tf.io.ModelArtifacts> {
  const jsonPath = path.join(dir, MODEL_JSON);
  let text: string;
  try {
    text = await readFile(jsonPath, 'utf8');
  } catch (err) {
    if (isNotFound(err)) {
      throw new CheckpointError(`no ${MODEL_JSON} in ${dir}: save a checkpoint there first or check the path`);
    }
    throw err;
  }
  let modelJSON: tf.io.ModelJSON;
  try {
    modelJSON = JSON.parse(text) as tf.io.ModelJSON;
  } catch (err) {
    throw new CheckpointError(
      `${jsonPath} is not valid JSON (${(err as Error).message}): the file is corrupt or not a TensorFlow.js model`,
    );
  }
  if (modelJSON === null || typeof modelJSON !== 'object' || Array.isArray(modelJSON)) {
    throw new CheckpointError(`${jsonPath} must hold a JSON object with modelTopology and weightsManifest`);
  }
  const groups: unknown = modelJSON.weightsManifest;
  if (
    groups != null &&
    !(Array.isArray(groups) && groups.every((g) => Array.isArray(g?.paths) && Array.isArray(g?.weights)))
  ) {
    throw new CheckpointError(`${jsonPath} has a weightsManifest that is not an array of { paths, weights } groups`);
  }
  return tf.io.getModelArtifactsForJSON(modelJSON, (manifest) => readWeights(dir, manifest));
}

/** All shards of all manifest groups, concatenated in manifest order, checked against the specs. */
async function readWeights(
  dir: string,
  manifest: tf.io.WeightsManifestConfig,
): Promise<[tf.io.WeightsManifestEntry[], ArrayBuffer]> {
  const specs = tf.io.getWeightSpecs(manifest);
  const names = manifest.flatMap((group) => group.paths);
  const root = path.resolve(dir);
  const shards: Uint8Array[] = [];
  for (const name of names) {
    const file = path.resolve(root, name);
    const relative = path.relative(root, file);
    if (relative === '..' || relative.startsWith(`..${path.sep}`) || path.isAbsolute(relative)) {
      throw new CheckpointError(`${MODEL_JSON} lists weight file ${name} outside ${dir}; paths must be relative to it`);
    }
    try {
      shards.push(await readFile(file));
    } catch (err) {
      if (isNotFound(err)) {
        throw new CheckpointError(
          `${MODEL_JSON} lists ${name} but it is missing from ${dir}: the checkpoint is incomplete`,
        );
      }
      throw err;
    }
  }
  const actual = shards.reduce((sum, s) => sum + s.byteLength, 0);
  const expected = expectedByteLength(specs);
  if (expected !== null && actual !== expected) {
    const what = names.length === 1 ? `${names[0]} has` : `weight files ${names.join(', ')} have`;
    throw new CheckpointError(
      `${what} ${actual} bytes but ${MODEL_JSON} describes ${expected}: the checkpoint is truncated or mismatched`,
    );
  }
  for (const [i, name] of names.entries()) {
    const named = SAVED_WEIGHTS.exec(name)?.[2];
    if (named && hashPrefix(shards[i]) !== named) {
      throw new CheckpointError(`${name} in ${dir} does not match the hash in its name: the file is corrupt`);
    }
  }
  const joined = new Uint8Array(actual);
  let offset = 0;
  for (const shard of shards) {
    joined.set(shard, offset);
    offset += shard.byteLength;
  }
  return [specs, joined.buffer];
}

const BYTES_PER_ELEMENT: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/** Sum of the specs' byte sizes, or null when a string weight makes it data-dependent. */
function expectedByteLength(specs: tf.io.WeightsManifestEntry[]): number | null {
  let total = 0;
  for (const spec of specs) {
    const dtype = spec.quantization?.dtype ?? spec.dtype;
    const bytes = BYTES_PER_ELEMENT[dtype];
    if (bytes === undefined) return null; // 'string': lengths are stored inline with the data
    total += spec.shape.reduce((a, b) => a * b, 1) * bytes;
  }
  return total;
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
