import { z } from 'zod';
import { ModelIdSchema } from '@/lib/ids';
import { badRequest } from '@/lib/server/errors';
import { parseJsonField, parseRouteParams } from '@/lib/server/http';

/** Input schemas of the /api/models routes. */

/** The `manifest` form field of a publish: what the client computed over the files it sends. */
export const PublishManifestSchema = z.object({
  /** sha256 of model.json's bytes followed by weights.bin's bytes, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
});

export const ModelParamsSchema = z.object({ id: ModelIdSchema });
export const ModelFileParamsSchema = z.object({
  id: ModelIdSchema,
  file: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i),
});

export function parseManifestField(value: FormDataEntryValue | null): z.infer<typeof PublishManifestSchema> {
  return parseJsonField(value, 'manifest', PublishManifestSchema, 'invalid_manifest', { example: '{"sha256": "…"}' });
}

/** A required file field, or a 400 naming it. */
export function fileField(form: FormData, name: string): File {
  const value = form.get(name);
  if (!value || typeof value === 'string') throw badRequest('missing_file', `Send the "${name}" field as a file.`);
  return value;
}

/** Route params, or a 404. */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.output<T> {
  return parseRouteParams(schema, params, 'not_found', 'No such model or file.');
}
