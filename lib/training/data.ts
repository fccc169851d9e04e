/**
 * A dataset's tokens as the trainer sees them, and how a stored dataset becomes them. Apart from
 * the Trainer so that data loaders (the server's, the browser worker's) do not pull in the model.
 */
import { dimsPerToken } from '../models/card';
import {
  concatTokens,
  imageLabels,
  readShard,
  type DatasetManifest,
  type Shard,
  type TokenArray,
} from '../pixels/manifest';

/** A labelled dataset's classes, and each split's class index per image (in token order). */
export interface DatasetLabels {
  classes: string[];
  train: Int32Array;
  validation: Int32Array;
}

/** A dataset's tokens, as the trainer sees them. */
export interface TrainingData {
  datasetId: string;
  seqLength: number;
  vocabSize: number;
  /** Dimensions a token stands for: 1 for `rgb` (one channel value), 3 for `palette` (a pixel). */
  dimsPerToken: number;
  train: TokenArray;
  validation: TokenArray;
  /** Present for a labelled dataset (manifest `classes`): what a class-conditional model trains on. */
  labels?: DatasetLabels;
}

/**
 * A stored dataset as TrainingData: both splits' shards read with `readShard` bytes from
 * `loadShard` (HTTP in the browser worker, storage in the CLI) and joined in order.
 */
export async function trainingDataFrom(
  manifest: DatasetManifest,
  loadShard: (shard: Shard) => Promise<Uint8Array>,
): Promise<TrainingData> {
  const split = async (name: 'train' | 'validation') =>
    concatTokens(
      manifest,
      await Promise.all(manifest.splits[name].shards.map(async (s) => readShard(manifest, await loadShard(s)).tokens)),
    );
  const train = imageLabels(manifest, 'train');
  const validation = imageLabels(manifest, 'validation');
  return {
    ...(manifest.classes && train && validation && { labels: { classes: manifest.classes, train, validation } }),
    datasetId: manifest.id,
    seqLength: manifest.seqLength,
    vocabSize: manifest.vocabSize,
    dimsPerToken: dimsPerToken(manifest.tokenization),
    train: await split('train'),
    validation: await split('validation'),
  };
}
