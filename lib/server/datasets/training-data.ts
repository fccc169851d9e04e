import 'server-only';
import type { DatasetManifest } from '@/lib/pixels/manifest';
import { type TrainingData, trainingDataFrom } from '@/lib/training/data';
import { AppError, notFound } from '../errors';
import type { Storage } from '../storage';
import { BUILTIN_DATASETS, ensureBuiltinDatasets } from './builtin';
import { getManifest } from './catalog';
import { datasetBlobPrefix } from './prepare';

/**
 * A stored dataset's tokens as the trainer reads them, for the command-line tools (train, publish,
 * benches). A built-in dataset that is not stored yet is prepared first; `onPrepare` hears of it.
 */
export async function loadTrainingData(
  storage: Storage,
  id: string,
  onPrepare?: () => void,
): Promise<{ manifest: DatasetManifest; data: TrainingData }> {
  if (!(await storage.getRecord('datasets', id))) {
    if (!BUILTIN_DATASETS.some((d) => d.id === id))
      throw notFound(
        'dataset_not_found',
        `no dataset "${id}" is stored; built-ins are ${BUILTIN_DATASETS.map((d) => d.id).join(', ')}`,
      );
    onPrepare?.();
    for await (const _ of ensureBuiltinDatasets(storage, [id]));
  }
  const manifest = await getManifest(storage, id);
  const data = await trainingDataFrom(manifest, async ({ file }) => {
    const bytes = await storage.getBlob(datasetBlobPrefix(id) + file);
    if (!bytes)
      throw new AppError(
        'shard_missing',
        500,
        `shard ${file} of dataset ${id} is missing from storage; delete the dataset and prepare it again`,
      );
    return bytes;
  });
  return { manifest, data };
}
