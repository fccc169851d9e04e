import 'server-only';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SampleIdSchema } from '@/lib/ids';
import { permalink, type Recipe, type SamplePage, type SampleView, type ShareResult } from '@/lib/samples/recipe';
import { AppError, badRequest, forbidden, notFound } from '../errors';
import type { Storage } from '../storage';
import { checkSampleImage } from './image';
import { findModel } from './models';

/**
 * Shared samples: a `samples` record per sample plus two immutable blobs (the re-encoded PNG and
 * its thumbnail). Reports live in their own `sample_reports` records so that hiding a sample
 * never rewrites its record (storage has no update).
 */

/** Reports that hide a sample. One, for simplicity: anyone can hide anything until moderation exists. */
export const REPORTS_TO_HIDE = 1;
export const PAGE_SIZE = 24;

interface SampleRecord {
  id: string;
  createdAt: string;
  recipe: Recipe;
  model: SampleView['model'];
  /** `recipe.classId` and its name on the model's card when shared: the gallery filters by either without reading cards. */
  class?: SampleView['class'];
  width: number;
  height: number;
  thumbWidth: number;
  thumbHeight: number;
  /** sha256 (hex) of the delete token; the token itself is never stored. */
  deleteTokenSha256: string;
}

interface ReportRecord {
  id: string;
  reports: number;
  lastReportedAt: string;
}

/** Blob folder of a sample. Ids may start with `-` or `_`, which blob keys may not: hence the `s`. */
const blobPrefix = (id: string) => `samples/s${id}/`;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

function toView(r: SampleRecord): SampleView {
  const base = `/api/samples/${r.id}`;
  return {
    id: r.id,
    createdAt: r.createdAt,
    recipe: r.recipe,
    model: r.model,
    ...(r.class ? { class: r.class } : {}),
    width: r.width,
    height: r.height,
    imageUrl: `${base}/image.png`,
    thumbUrl: `${base}/thumb.png`,
    thumbWidth: r.thumbWidth,
    thumbHeight: r.thumbHeight,
    url: permalink(r.id),
  };
}

export async function createSample(storage: Storage, image: Uint8Array, recipe: Recipe): Promise<ShareResult> {
  const model = await findModel(storage, recipe.model.id);
  if (!model)
    throw badRequest('unknown_model', `No shipped or published model has the id ${JSON.stringify(recipe.model.id)}.`);
  const sampleClass = classOf(model.card.classes, recipe);
  const { width, height } = model.card.dataset;
  const checked = await checkSampleImage(image, width, height);

  const id = randomBytes(16).toString('base64url');
  const deleteToken = randomBytes(32).toString('base64url');
  const record: SampleRecord = {
    id,
    createdAt: new Date().toISOString(),
    recipe,
    model: {
      id: model.card.id,
      name: model.card.name,
      dataset: {
        id: model.card.dataset.id,
        name: model.card.dataset.name,
        tokenization: model.card.dataset.tokenization,
      },
    },
    ...(sampleClass ? { class: sampleClass } : {}),
    width,
    height,
    thumbWidth: checked.thumbWidth,
    thumbHeight: checked.thumbHeight,
    deleteTokenSha256: sha256(deleteToken).toString('hex'),
  };
  // Blobs first, record last: the sample exists only once everything it points to does.
  try {
    await storage.putBlob(`${blobPrefix(id)}image.png`, checked.png);
    await storage.putBlob(`${blobPrefix(id)}thumb.png`, checked.thumb);
    await storage.insertRecord('samples', id, record.createdAt, record);
  } catch (err) {
    await storage.deleteBlobs(blobPrefix(id)).catch(() => {});
    throw err;
  }
  return { id, url: permalink(id), deleteToken };
}

/** The recipe's class on the model's card; 400 for a class the model does not know. */
function classOf(classes: string[] | undefined, recipe: Recipe): SampleView['class'] {
  if (recipe.classId === undefined) return undefined;
  const name = classes?.[recipe.classId];
  if (name === undefined)
    throw badRequest(
      'unknown_class',
      classes?.length
        ? `Model ${recipe.model.id} knows classes 0–${classes.length - 1}; the recipe asks for class ${recipe.classId}.`
        : `Model ${recipe.model.id} is not class-conditional: leave classId and guidance out of the recipe.`,
    );
  return { id: recipe.classId, name };
}

/**
 * The gallery's class filter: a whole number matches the recipe's class id, anything else the
 * class name (exactly, as the model's card spells it). Samples of no class match neither.
 */
export function matchesClass(filter: string): (r: Pick<SampleRecord, 'recipe' | 'class'>) => boolean {
  if (/^\d+$/.test(filter)) {
    const id = Number(filter);
    return (r) => r.recipe.classId === id;
  }
  return (r) => r.class?.name === filter;
}

async function isHidden(storage: Storage, id: string): Promise<boolean> {
  const report = await storage.getRecord<ReportRecord>('sample_reports', id);
  return (report?.reports ?? 0) >= REPORTS_TO_HIDE;
}

/** The record, or 404 for unknown, malformed and hidden ids alike. */
async function getRecord(storage: Storage, id: string, { includeHidden = false } = {}): Promise<SampleRecord> {
  const record = SampleIdSchema.safeParse(id).success
    ? await storage.getRecord<SampleRecord>('samples', id)
    : undefined;
  if (!record || (!includeHidden && (await isHidden(storage, id))))
    throw notFound('sample_not_found', 'No such sample: it was deleted, hidden after a report, or never existed.');
  return record;
}

export async function getSample(storage: Storage, id: string): Promise<SampleView> {
  return toView(await getRecord(storage, id));
}

export async function readSampleImage(storage: Storage, id: string, which: 'image' | 'thumb'): Promise<Uint8Array> {
  await getRecord(storage, id);
  const png = await storage.getBlob(`${blobPrefix(id)}${which}.png`);
  if (!png) throw new AppError('blob_missing', 500, `The ${which} of sample ${id} is missing from storage.`);
  return png;
}

function encodeCursor(r: SampleRecord): string {
  return Buffer.from(JSON.stringify([r.createdAt, r.id])).toString('base64url');
}

function decodeCursor(cursor: string): [string, string] {
  try {
    const value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      return value as [string, string];
  } catch {
    // fall through
  }
  throw badRequest('bad_cursor', 'The cursor is not one this server handed out; start again from the first page.');
}

/**
 * Newest first (created_at DESC, id ASC, the storage order), hidden samples left out; `model` and
 * `class` (matchesClass) narrow it. The filters run in the one pass over the records that the
 * listing reads anyway, so a filter costs no more than a page without one.
 */
export async function listSamples(
  storage: Storage,
  options: { cursor?: string; model?: string; class?: string; limit?: number } = {},
): Promise<SamplePage> {
  const limit = options.limit ?? PAGE_SIZE;
  const after = options.cursor ? decodeCursor(options.cursor) : undefined;
  const inClass = options.class ? matchesClass(options.class) : () => true;
  const [records, reports] = await Promise.all([
    storage.listRecords<SampleRecord>('samples'),
    storage.listRecords<ReportRecord>('sample_reports'),
  ]);
  const hidden = new Set(reports.filter((r) => r.reports >= REPORTS_TO_HIDE).map((r) => r.id));
  const visible = records.filter(
    (r) =>
      !hidden.has(r.id) &&
      (!options.model || r.model.id === options.model) &&
      inClass(r) &&
      (!after || r.createdAt < after[0] || (r.createdAt === after[0] && r.id > after[1])),
  );
  const page = visible.slice(0, limit);
  return { samples: page.map(toView), nextCursor: visible.length > limit ? encodeCursor(page[page.length - 1]) : null };
}

/** Deletes with the token handed out at share time; 403 for a missing or wrong one. Hidden samples can still be deleted. */
export async function deleteSample(storage: Storage, id: string, token: string | undefined): Promise<void> {
  const record = await getRecord(storage, id, { includeHidden: true });
  const expected = Buffer.from(record.deleteTokenSha256, 'hex');
  // Comparing hashes keeps both sides 32 bytes, so timingSafeEqual never sees a length mismatch.
  if (!token || !timingSafeEqual(sha256(token), expected)) {
    throw forbidden(
      'wrong_delete_token',
      token
        ? 'That delete token does not match this sample.'
        : 'Deleting a sample needs the delete token its sharer received.',
    );
  }
  // Record first: the sample disappears at once; a crash after this leaves only unreachable blobs.
  await storage.deleteRecord('samples', id);
  await storage.deleteRecord('sample_reports', id);
  await storage.deleteBlobs(blobPrefix(id));
}

/** Counts a report; at REPORTS_TO_HIDE the sample leaves the gallery and its permalink answers 404. */
export async function reportSample(storage: Storage, id: string): Promise<{ hidden: boolean }> {
  await getRecord(storage, id);
  const previous = await storage.getRecord<ReportRecord>('sample_reports', id);
  const next: ReportRecord = { id, reports: (previous?.reports ?? 0) + 1, lastReportedAt: new Date().toISOString() };
  // One statement, so two reports at once both succeed (a count lost to the race only delays hiding).
  await storage.putRecord('sample_reports', id, next.lastReportedAt, next);
  return { hidden: next.reports >= REPORTS_TO_HIDE };
}
