import { z } from 'zod';
import { DatasetIdSchema, DatasetOptionsSchema, type DatasetOptions, ShardFileSchema } from '@/lib/pixels/manifest';
import { badRequest, notFound } from '@/lib/server/errors';

/** Input schemas of the /api/datasets routes. The options schema itself lives in lib/pixels so the page shares it. */

export const DatasetParamsSchema = z.object({ id: DatasetIdSchema });
export const ShardParamsSchema = z.object({ id: DatasetIdSchema, shard: ShardFileSchema });

/** The `options` form field: a JSON string of DatasetOptions. */
export function parseOptionsField(value: FormDataEntryValue | null): DatasetOptions {
  if (typeof value !== 'string') throw badRequest('invalid_options', 'The "options" field must be a JSON string.');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw badRequest('invalid_options', 'The "options" field is not valid JSON.');
  }
  const parsed = DatasetOptionsSchema.safeParse(json);
  if (!parsed.success) throw badRequest('invalid_options', z.prettifyError(parsed.error));
  return parsed.data;
}

/** Route params, or a 404 (a malformed id or shard name cannot name anything that exists). */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.output<T> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw notFound('not_found', 'No such dataset or shard.');
  return parsed.data;
}
