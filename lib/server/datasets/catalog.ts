import 'server-only';
import { DatasetIdSchema } from '@/lib/ids';
import { type DatasetManifest, type DatasetSummary, ShardFileSchema, toSummary } from '@/lib/pixels/manifest';
import { AppError, forbidden, notFound } from '../errors';
import type { BlobStream, Storage } from '../storage';
import { classPreviewFile, datasetBlobPrefix } from './prepare';

/** Reading and deleting stored datasets: what the GET/DELETE routes call. */

/** Built-in first, then newest first. */
export async function listDatasets(storage: Storage): Promise<DatasetSummary[]> {
  const manifests = await storage.listRecords<DatasetManifest>('datasets');
  return manifests
    .map(toSummary)
    .sort(
      (a, b) =>
        Number(b.builtin) - Number(a.builtin) ||
        (a.builtin ? a.id.localeCompare(b.id) : b.createdAt.localeCompare(a.createdAt)),
    );
}

export async function getManifest(storage: Storage, id: string): Promise<DatasetManifest> {
  const manifest = DatasetIdSchema.safeParse(id).success
    ? await storage.getRecord<DatasetManifest>('datasets', id)
    : undefined;
  if (!manifest) throw notFound('dataset_not_found', `No dataset with id ${JSON.stringify(id)}.`);
  return manifest;
}

export async function deleteDataset(storage: Storage, id: string): Promise<void> {
  const manifest = await getManifest(storage, id);
  if (manifest.builtin)
    throw forbidden('builtin_dataset', `${manifest.name} is a built-in dataset and cannot be deleted.`);
  // Record first: the dataset disappears at once; a crash after this leaves only unreachable blobs.
  await storage.deleteRecord('datasets', id);
  await storage.deleteBlobs(datasetBlobPrefix(id));
}

export async function openShard(storage: Storage, id: string, file: string): Promise<BlobStream & { sha256: string }> {
  const manifest = await getManifest(storage, id);
  const shard = ShardFileSchema.safeParse(file).success
    ? [...manifest.splits.train.shards, ...manifest.splits.validation.shards].find((s) => s.file === file)
    : undefined;
  if (!shard) throw notFound('shard_not_found', `Dataset ${id} has no shard ${JSON.stringify(file)}.`);
  const blob = await storage.blobStream(datasetBlobPrefix(id) + file);
  if (!blob) throw new AppError('blob_missing', 500, `Shard ${file} of ${id} is missing from storage.`);
  return { ...blob, sha256: shard.sha256 };
}

/** The dataset's contact sheet, or with `classId` the sheet of that class's first images. */
export async function getPreview(storage: Storage, id: string, classId?: number): Promise<Uint8Array> {
  const manifest = await getManifest(storage, id);
  if (classId === undefined) {
    const png = await storage.getBlob(`${datasetBlobPrefix(id)}preview.png`);
    if (!png) throw new AppError('blob_missing', 500, `The preview of ${id} is missing from storage.`);
    return png;
  }
  const classes = manifest.classes ?? [];
  if (classId >= classes.length)
    throw notFound(
      'class_not_found',
      classes.length === 0
        ? `Dataset ${id} has no classes.`
        : `Dataset ${id} has no class ${classId}: its class ids run 0..${classes.length - 1}.`,
    );
  const png = await storage.getBlob(datasetBlobPrefix(id) + classPreviewFile(classId));
  if (!png)
    throw notFound(
      'class_preview_missing',
      `Dataset ${id} was prepared before class previews; prepare it again to see one per class.`,
    );
  return png;
}
