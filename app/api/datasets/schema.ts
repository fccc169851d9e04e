import { z } from 'zod';
import { DatasetIdSchema } from '@/lib/ids';
import { DatasetOptionsSchema, type DatasetOptions, ShardFileSchema } from '@/lib/pixels/manifest';
import { parseJsonField, parseRouteParams } from '@/lib/server/http';

/** Input schemas of the /api/datasets routes. The options schema itself lives in lib/pixels so the page shares it. */

export const DatasetParamsSchema = z.object({ id: DatasetIdSchema });
export const ShardParamsSchema = z.object({ id: DatasetIdSchema, shard: ShardFileSchema });

/** The `options` form field: a JSON string of DatasetOptions. */
export function parseOptionsField(value: FormDataEntryValue | null): DatasetOptions {
  return parseJsonField(value, 'options', DatasetOptionsSchema, 'invalid_options');
}

/** Route params, or a 404. */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.output<T> {
  return parseRouteParams(schema, params, 'not_found', 'No such dataset or shard.');
}
