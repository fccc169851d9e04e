/**
 * What a run downloads before its first step, exactly as the browser fetches it: the dataset's
 * manifest and shards, and the model a run may start from instead of fresh weights.
 */
import { type DatasetManifest, DatasetManifestSchema, datasetUrl, shardUrl } from '@/lib/pixels/manifest';
import type { ReformerLM } from '@/lib/reformer/model';
import { modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { classesMismatch, startMismatch, withClassTable } from '@/lib/training/start-from';
import { trainingDataFrom, type TrainingData } from '@/lib/training/data';
import { DatasetUnavailableError, StartModelMismatchError } from '../errors';
import type { StartFrom } from '../train-protocol';

async function fetchOk(fetchFn: typeof fetch, url: string): Promise<Response> {
  const response = await fetchFn(url);
  if (!response.ok) throw new DatasetUnavailableError(url, response.status);
  return response;
}

export async function loadDataset(
  fetchFn: typeof fetch,
  id: string,
): Promise<{ manifest: DatasetManifest; data: TrainingData }> {
  const manifest = DatasetManifestSchema.parse(await (await fetchOk(fetchFn, datasetUrl(id))).json());
  const data = await trainingDataFrom(
    manifest,
    async (shard) => new Uint8Array(await (await fetchOk(fetchFn, shardUrl(id, shard))).arrayBuffer()),
  );
  return { manifest, data };
}

/**
 * The model a run starts from, downloaded, refused unless its tokens mean the dataset's pixels and
 * its classes fit the run (`conditional`: the run trains on the dataset's classes). An
 * unconditional model starting a conditional run gains a class table, as `npm run train -- --init` does.
 */
export async function startingModel(
  fetchFn: typeof fetch,
  from: StartFrom,
  manifest: DatasetManifest,
  conditional: boolean,
): Promise<ReformerLM> {
  const artifacts = await tf.io.http(from.url, { fetchFunc: fetchFn }).load!();
  const { model } = modelFromArtifacts(artifacts);
  const problem =
    startMismatch(model.config, from.card, manifest) ?? classesMismatch(model.config.classes, manifest, conditional);
  if (problem) {
    model.dispose();
    throw new StartModelMismatchError(from.card.name, manifest.name, problem);
  }
  return conditional && model.config.classes === 0 ? withClassTable(model, manifest.classes!.length) : model;
}
