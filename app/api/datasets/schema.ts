import { z } from 'zod';
import { DatasetIdSchema } from '@/lib/ids';
import { DatasetOptionsSchema, type DatasetOptions, MAX_CLASSES, ShardFileSchema } from '@/lib/pixels/manifest';
import { badRequest } from '@/lib/server/errors';
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

/** `?class=N` of the preview: a class id, for that class's contact sheet. */
export const PreviewQuerySchema = z.object({
  class: z
    .string()
    .regex(/^\d{1,3}$/, 'class must be a class id, a whole number')
    .transform(Number)
    .pipe(z.number().max(MAX_CLASSES - 1, `class ids run below ${MAX_CLASSES}`))
    .optional(),
});

/** The preview's query, or a 400 that says what is wrong with it. */
export function parsePreviewQuery(url: string): z.output<typeof PreviewQuerySchema> {
  const query = Object.fromEntries(new URL(url).searchParams);
  const parsed = PreviewQuerySchema.safeParse({ class: query.class });
  if (!parsed.success) throw badRequest('invalid_query', parsed.error.issues.map((i) => i.message).join('; '));
  return parsed.data;
}
