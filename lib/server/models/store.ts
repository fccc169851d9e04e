import 'server-only';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ModelCardSchema, type ModelCard, type ShippedModel } from '@/lib/models/card';
import { modelHash } from '@/lib/models/hash';
import { AppError, badRequest, notFound } from '../errors';
import { shippedModels } from '../samples/models';
import type { BlobStream, Storage } from '../storage';

/**
 * Published models: the standard TF.js artifacts (model.json + one weights file) as blobs
 * `models/<id>/<sha256, first 16 hex>-<random>/model.json|weights.bin`, and a record (kind `models`)
 * holding what the list shows: the card, the sha256 of model.json's bytes followed by the weights'
 * bytes (as scripts/publish-model.ts computes it), the total bytes, and where its blobs are. Blobs
 * are written first and the record last, so a failed publish leaves nothing visible, and its blobs
 * are removed. Every publish writes to a folder of its own, even of the same bytes: the loser of two
 * publishes at once cannot overwrite the winner's files, and a delete racing a new publish of the
 * same model removes only the deleted record's files.
 */

const MiB = 1024 * 1024;

export const MODEL_LIMITS = {
  /** Whole multipart request, and model.json + weights together. */
  requestBytes: 64 * MiB,
  /** model.json alone: it holds the config and weight specs, never the weights. */
  modelJsonBytes: 1 * MiB,
};

/** The one weights file a published model has; model.json's weightsManifest must name it. */
export const WEIGHTS_FILE = 'weights.bin';

export interface ModelRecord extends ShippedModel {
  weightFiles: string[];
  createdAt: string;
  /** Its own folder of blobs; absent in records from before blobs were kept per publish: directly in `models/<id>/`. */
  blobPrefix?: string;
}

/** The folder of model `id`'s blobs: each publish in a folder of its own inside it (older records: directly). */
export function modelBlobPrefix(id: string): string {
  return `models/${id}/`;
}

function blobPrefixOf(record: ModelRecord): string {
  return record.blobPrefix ?? modelBlobPrefix(record.card.id);
}

/** A folder no other publish can have: the content hash says what is in it, the random part that it is this publish's. */
function newPublishPrefix(id: string, sha256: string): string {
  return `${modelBlobPrefix(id)}${sha256.slice(0, 16)}-${randomBytes(4).toString('hex')}/`;
}

export function modelUrl(id: string): string {
  return `/api/models/${id}/model.json`;
}

const BYTES_PER_DTYPE: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2 };

/** The parts of model.json the server checks; the rest is the engine's business. */
const ModelJsonSchema = z.object({
  modelTopology: z
    .object({ format: z.literal('reformer-studio/v1', 'modelTopology.format must be "reformer-studio/v1"') })
    .loose(),
  weightsManifest: z
    .array(
      z.object({
        paths: z.array(z.string()),
        weights: z.array(
          z
            .object({
              name: z.string(),
              shape: z.array(z.number().int().min(0)),
              dtype: z.enum(['float32', 'int32', 'bool']),
              quantization: z
                .object({ dtype: z.enum(['uint8', 'uint16', 'float16']) })
                .loose()
                .optional(),
            })
            .loose(),
        ),
      }),
    )
    .min(1),
  userDefinedMetadata: z.object({ card: z.unknown().optional() }).loose().optional(),
});

export interface PublishInput {
  modelJson: Uint8Array;
  weights: Uint8Array;
  /** The sha256 the client computed over model.json's bytes then the weights' bytes. */
  sha256: string;
}

/** Bytes the weightsManifest describes: product(shape) × bytes per (quantized) dtype, summed. */
export function expectedWeightBytes(manifest: z.infer<typeof ModelJsonSchema>['weightsManifest']): number {
  let total = 0;
  for (const group of manifest) {
    for (const w of group.weights) {
      const size = w.shape.reduce((a, b) => a * b, 1);
      total += size * BYTES_PER_DTYPE[w.quantization?.dtype ?? w.dtype];
    }
  }
  return total;
}

/** Checks an upload against itself and its manifest; returns the card it carries. Writes nothing. */
export async function validatePublish(input: PublishInput): Promise<ModelCard> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(input.modelJson));
  } catch {
    throw badRequest('invalid_model_json', 'model.json is not valid UTF-8 JSON.');
  }
  const parsed = ModelJsonSchema.safeParse(json);
  if (!parsed.success)
    throw badRequest(
      'invalid_model_json',
      `model.json is not a Reformer Studio model: ${z.prettifyError(parsed.error)}`,
    );
  const paths = parsed.data.weightsManifest.flatMap((g) => g.paths);
  if (paths.length !== 1 || paths[0] !== WEIGHTS_FILE) {
    throw badRequest(
      'invalid_weights_manifest',
      `model.json's weightsManifest must name exactly one file, "${WEIGHTS_FILE}" (it names ${JSON.stringify(paths)}).`,
    );
  }
  const expected = expectedWeightBytes(parsed.data.weightsManifest);
  if (input.weights.byteLength !== expected) {
    throw badRequest(
      'weights_size_mismatch',
      `${WEIGHTS_FILE} is ${input.weights.byteLength} bytes but model.json's weightsManifest describes ${expected} bytes; the file is truncated or belongs to another model.`,
    );
  }
  const card = ModelCardSchema.safeParse(parsed.data.userDefinedMetadata?.card);
  if (!card.success)
    throw badRequest(
      'invalid_card',
      `model.json's userDefinedMetadata.card is not a valid model card: ${z.prettifyError(card.error)}`,
    );
  const actual = await modelHash(input.modelJson, input.weights);
  if (actual !== input.sha256) {
    throw badRequest(
      'hash_mismatch',
      `The files hash to sha256 ${actual}, not the manifest's ${input.sha256}; they were changed or corrupted in transit.`,
    );
  }
  return card.data;
}

/**
 * Validates, then stores blobs and (last) the record. Refuses an id that is already published, or
 * that a shipped model has: a lookup by id (samples' findModel) resolves to the shipped model, so a
 * published one under its id would be shadowed.
 */
export async function publishModel(storage: Storage, input: PublishInput): Promise<ModelRecord> {
  const card = await validatePublish(input);
  if ((await shippedModels()).some((m) => m.card.id === card.id)) {
    throw new AppError(
      'model_id_shipped',
      409,
      `"${card.id}" is the id of a model that ships with the studio; give the model card another id and publish again.`,
    );
  }
  const exists = () =>
    new AppError(
      'model_exists',
      409,
      `A model with id "${card.id}" is already published; delete it first or publish under another id.`,
    );
  if (await storage.getRecord('models', card.id)) throw exists();
  const prefix = newPublishPrefix(card.id, input.sha256);
  const record: ModelRecord = {
    card,
    url: modelUrl(card.id),
    sha256: input.sha256,
    bytes: input.modelJson.byteLength + input.weights.byteLength,
    weightFiles: [WEIGHTS_FILE],
    createdAt: new Date().toISOString(),
    blobPrefix: prefix,
  };
  try {
    await storage.putBlob(prefix + WEIGHTS_FILE, input.weights);
    await storage.putBlob(`${prefix}model.json`, input.modelJson);
    await storage.insertRecord('models', card.id, record.createdAt, record);
  } catch (err) {
    // A concurrent publish of the same id may have won the insert: its blobs are in its own folder.
    const winner = await storage.getRecord<ModelRecord>('models', card.id);
    if (!winner || blobPrefixOf(winner) !== prefix) await storage.deleteBlobs(prefix).catch(() => {});
    if (winner) throw exists();
    throw err;
  }
  return record;
}

/** The list entries, newest first, in public/models/index.json's shape. */
export async function listModels(storage: Storage): Promise<ShippedModel[]> {
  const records = await storage.listRecords<ModelRecord>('models');
  return records.map(({ card, url, sha256, bytes }) => ({ card, url, sha256, bytes }));
}

export async function getModel(storage: Storage, id: string): Promise<ModelRecord> {
  const record = ModelCardSchema.shape.id.safeParse(id).success
    ? await storage.getRecord<ModelRecord>('models', id)
    : undefined;
  if (!record) throw notFound('model_not_found', `No published model with id ${JSON.stringify(id)}.`);
  return record;
}

/** model.json or one of the model's weight files. */
export async function openModelFile(
  storage: Storage,
  id: string,
  file: string,
): Promise<BlobStream & { sha256: string }> {
  const record = await getModel(storage, id);
  if (file !== 'model.json' && !record.weightFiles.includes(file))
    throw notFound('model_file_not_found', `Model ${id} has no file ${JSON.stringify(file)}.`);
  const blob = await storage.blobStream(blobPrefixOf(record) + file);
  if (!blob) throw new AppError('blob_missing', 500, `File ${file} of model ${id} is missing from storage.`);
  return { ...blob, sha256: record.sha256 };
}

export async function deleteModel(storage: Storage, id: string): Promise<void> {
  const record = await getModel(storage, id);
  // Record first: the model disappears at once; a crash after this leaves only unreachable blobs.
  // Only its own blobs go: a publish of the same id starting now writes to a folder of its own.
  await storage.deleteRecord('models', id);
  if (record.blobPrefix) return storage.deleteBlobs(record.blobPrefix);
  // An older record's files lie directly in models/<id>/, beside newer publishes' folders: only they go.
  for (const file of ['model.json', ...record.weightFiles]) await storage.deleteBlob(modelBlobPrefix(id) + file);
}
