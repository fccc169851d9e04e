/**
 * Save and load a ReformerLM as TensorFlow.js's standard artifacts (`model.json` + binary weights)
 * through any `tf.io` handler: HTTP or IndexedDB in the browser (`tf.io.http`, `indexeddb://…`),
 * files in Node (lib/node/file-io.ts). The config travels in `modelTopology`; caller metadata
 * (dataset, tokenization, steps, bits/dim…) in `userDefinedMetadata`.
 */
import { type ReformerConfig, unresolveConfig } from './config';
import { ReformerLM } from './model';
import * as tf from './tf';

export const ARTIFACT_FORMAT = 'reformer-studio/v1';

export class ModelFormatError extends Error {
  override name = 'ModelFormatError';
}

interface Topology {
  format: typeof ARTIFACT_FORMAT;
  config: ReformerConfig;
}

function resolveHandler(target: tf.io.IOHandler | string, mode: 'save' | 'load'): tf.io.IOHandler {
  if (typeof target !== 'string') return target;
  if (/^https?:\/\/|^\//.test(target)) return tf.io.http(target);
  const handlers = mode === 'save' ? tf.io.getSaveHandlers(target) : tf.io.getLoadHandlers(target);
  if (handlers.length !== 1)
    throw new ModelFormatError(
      `no single ${mode} handler for "${target}"; use an http(s) URL, indexeddb://name, or a tf.io handler`,
    );
  return handlers[0];
}

/**
 * The model's artifacts: topology (format + config) and its weights under their local names, or
 * `weights` of the same names and shapes in their place (a trainer's weight average).
 */
export async function modelArtifacts(
  model: ReformerLM,
  metadata: Record<string, unknown> = {},
  weights: tf.NamedTensorMap = Object.fromEntries(model.variables),
): Promise<tf.io.ModelArtifacts> {
  const config = unresolveConfig(model.config);
  const { data, specs } = await tf.io.encodeWeights(weights);
  const topology: Topology = { format: ARTIFACT_FORMAT, config };
  return {
    modelTopology: topology as unknown as tf.io.ModelArtifacts['modelTopology'],
    format: ARTIFACT_FORMAT,
    generatedBy: 'reformer-studio',
    convertedBy: null,
    weightSpecs: specs,
    weightData: data,
    userDefinedMetadata: metadata as Record<string, object>,
  };
}

/** Saves config + weights (+ metadata) through a handler or URL. */
export async function saveModel(
  model: ReformerLM,
  target: tf.io.IOHandler | string,
  metadata: Record<string, unknown> = {},
): Promise<tf.io.SaveResult> {
  const handler = resolveHandler(target, 'save');
  if (!handler.save) throw new ModelFormatError('this handler cannot save');
  return handler.save(await modelArtifacts(model, metadata));
}

const DTYPE_BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

/**
 * `tf.io.decodeWeights`, refusing data whose length is not exactly what the specs describe (a
 * download or a file cut short) before any tensor exists, with a ModelFormatError naming `what`.
 */
export function decodeWeightsExactly(
  data: tf.io.WeightData,
  specs: tf.io.WeightsManifestEntry[],
  what: string,
): tf.NamedTensorMap {
  let expected = 0;
  for (const s of specs) {
    const bytes = DTYPE_BYTES[s.dtype];
    if (bytes === undefined || s.quantization)
      throw new ModelFormatError(
        `${what}: weight "${s.name}" is stored as ${s.quantization ? 'quantized ' : ''}${s.dtype}, which this studio does not read`,
      );
    expected += bytes * s.shape.reduce((a, b) => a * b, 1);
  }
  const actual = Array.isArray(data) ? data.reduce((n, b) => n + b.byteLength, 0) : data.byteLength;
  if (actual !== expected)
    throw new ModelFormatError(
      `${what}: the weights are ${actual} bytes but their manifest describes ${expected} (a file cut short or not this model's)`,
    );
  try {
    return tf.io.decodeWeights(data, specs);
  } catch (e) {
    throw new ModelFormatError(`${what}: the weights are unreadable: ${(e as Error).message}`);
  }
}

/** Builds a model from artifacts, refusing any that do not describe exactly its weights. */
export function modelFromArtifacts(artifacts: tf.io.ModelArtifacts): {
  model: ReformerLM;
  metadata: Record<string, unknown>;
} {
  const topology = artifacts.modelTopology as unknown as Partial<Topology> | undefined;
  if (!topology || topology.format !== ARTIFACT_FORMAT || !topology.config) {
    throw new ModelFormatError(`not a Reformer Studio model: expected modelTopology.format "${ARTIFACT_FORMAT}"`);
  }
  if (!artifacts.weightSpecs || !artifacts.weightData) throw new ModelFormatError('the model has no weights');
  const weights = decodeWeightsExactly(artifacts.weightData, artifacts.weightSpecs, 'the model');
  try {
    const model = new ReformerLM(topology.config, weights);
    const extra = Object.keys(weights).filter((name) => !model.variables.has(name));
    if (extra.length > 0) {
      model.dispose();
      throw new ModelFormatError(`the weights include ${extra.length} the config does not use (e.g. "${extra[0]}")`);
    }
    return { model, metadata: (artifacts.userDefinedMetadata ?? {}) as Record<string, unknown> };
  } catch (e) {
    if (e instanceof ModelFormatError) throw e;
    throw new ModelFormatError(`the weights do not match the config: ${(e as Error).message}`);
  } finally {
    tf.dispose(Object.values(weights));
  }
}

/** Loads a model saved by `saveModel`. */
export async function loadModel(
  source: tf.io.IOHandler | string,
): Promise<{ model: ReformerLM; metadata: Record<string, unknown> }> {
  const handler = resolveHandler(source, 'load');
  if (!handler.load) throw new ModelFormatError('this handler cannot load');
  return modelFromArtifacts(await handler.load());
}
