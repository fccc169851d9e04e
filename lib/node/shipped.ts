/**
 * The shipped models' list, public/models/index.json: one entry per folder under public/models,
 * with the card and the sha256 of model.json + weights the studio caches by.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type ModelCard, ModelCardSchema, ShippedIndexSchema, type ShippedModel } from '@/lib/models/card';
import { modelHash } from '@/lib/models/hash';
import { writeAtomically } from './file-io';

export const SHIPPED_ROOT = path.join('public', 'models');

/**
 * Writes `card`'s entry for the model.json text and weights already in its folder. A model already
 * listed keeps its place, a new one goes last, and `first` puts it first (the one the studio opens
 * on). Entries whose folder is gone are dropped.
 */
export async function listShipped(
  card: ModelCard,
  json: string,
  weights: Uint8Array,
  first: boolean,
  root = SHIPPED_ROOT,
): Promise<ShippedModel> {
  const entry: ShippedModel = {
    card,
    url: `/models/${card.id}/model.json`,
    sha256: await modelHash(json, weights),
    bytes: Buffer.byteLength(json) + weights.length,
  };
  const indexPath = path.join(root, 'index.json');
  const index = existsSync(indexPath)
    ? ShippedIndexSchema.parse(JSON.parse(readFileSync(indexPath, 'utf8')))
    : { models: [] };
  const others = index.models.filter((m) => m.card.id !== card.id);
  const listedAlready = index.models.some((m) => m.card.id === card.id);
  const listed = first
    ? [entry, ...others]
    : listedAlready
      ? index.models.map((m) => (m.card.id === card.id ? entry : m))
      : [...others, entry];
  const folders = readdirSync(root);
  const models = listed.filter((m) => folders.includes(m.card.id));
  await writeAtomically(root, 'index.json', new TextEncoder().encode(`${JSON.stringify({ models }, null, 2)}\n`));
  return entry;
}

/** Whether `dir` is a shipped model's folder (public/models/<id>), so its index entry must follow its card. */
function shippedId(dir: string, root = SHIPPED_ROOT): string | null {
  const rel = path.relative(path.resolve(root), path.resolve(dir));
  return rel && !rel.startsWith('..') && !rel.includes(path.sep) ? rel : null;
}

/**
 * Sets the card's recommended sampling in DIR/model.json; for a shipped model's folder, its index
 * entry (card and sha256) follows. Returns the files written.
 */
export async function writeCardSampling(
  dir: string,
  sampling: NonNullable<ModelCard['sampling']>,
  root = SHIPPED_ROOT,
): Promise<string[]> {
  const modelJson = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const card = ModelCardSchema.parse({ ...modelJson.userDefinedMetadata?.card, sampling });
  modelJson.userDefinedMetadata.card = card;
  const json = JSON.stringify(modelJson);
  await writeAtomically(dir, 'model.json', new TextEncoder().encode(json));
  const written = [path.join(dir, 'model.json')];
  if (shippedId(dir, root) === card.id) {
    const groups: { paths: string[] }[] = modelJson.weightsManifest;
    const weights = Buffer.concat(groups.flatMap((g) => g.paths).map((f) => readFileSync(path.join(dir, f))));
    await listShipped(card, json, weights, false, root);
    written.push(path.join(root, 'index.json'));
  }
  return written;
}
