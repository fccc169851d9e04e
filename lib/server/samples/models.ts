import 'server-only';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type ModelCard, ModelCardSchema, ShippedIndexSchema, ShippedModelSchema } from '@/lib/models/card';
import { RECORD_KINDS, type RecordKind, type Storage } from '../storage';

/**
 * The models a sample may name: the shipped ones (public/models/index.json) and, once the training
 * side stores them, published ones (`models` records). Either source may be absent.
 */

export interface KnownModel {
  card: ModelCard;
  sha256?: string;
}

/** `MODELS_INDEX` overrides the path (tests). Read per call: the file changes when a model is published. */
function indexPath(): string {
  return process.env.MODELS_INDEX ?? path.join(process.cwd(), 'public', 'models', 'index.json');
}

/** The models in public/models/index.json; none if it is absent. */
export async function shippedModels(): Promise<KnownModel[]> {
  let text: string;
  try {
    // One known file, not a project-wide path: tell the tracer not to bundle the whole tree for it.
    text = await readFile(/*turbopackIgnore: true*/ indexPath(), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const parsed = ShippedIndexSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    console.error(`ignoring ${indexPath()}: ${parsed.error.message}`);
    return [];
  }
  return parsed.data.models.map((m) => ({ card: m.card, sha256: m.sha256 }));
}

/** A published-model record, in the index entry shape or as a bare card; anything else is skipped. */
function fromRecord(record: unknown): KnownModel | undefined {
  const entry = ShippedModelSchema.safeParse(record);
  if (entry.success) return { card: entry.data.card, sha256: entry.data.sha256 };
  const card = ModelCardSchema.safeParse((record as { card?: unknown } | null)?.card ?? record);
  return card.success ? { card: card.data } : undefined;
}

async function publishedModels(storage: Storage): Promise<KnownModel[]> {
  if (!(RECORD_KINDS as readonly string[]).includes('models')) return [];
  const records = await storage.listRecords<unknown>('models' as RecordKind);
  return records.map(fromRecord).filter((m): m is KnownModel => m !== undefined);
}

/** Shipped first; a published model with the same id as a shipped one is ignored. */
export async function listKnownModels(storage: Storage): Promise<KnownModel[]> {
  const [shipped, published] = await Promise.all([shippedModels(), publishedModels(storage)]);
  const ids = new Set(shipped.map((m) => m.card.id));
  return [...shipped, ...published.filter((m) => !ids.has(m.card.id))];
}

export async function findModel(storage: Storage, id: string): Promise<KnownModel | undefined> {
  return (await listKnownModels(storage)).find((m) => m.card.id === id);
}
