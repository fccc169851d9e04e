import { z } from 'zod';
import { ModelCardSchema } from '@/lib/models/card';
import { badRequest, notFound } from '@/lib/server/errors';

/** Input schemas of the /api/models routes. */

/** The `manifest` form field of a publish: what the client computed over the files it sends. */
export const PublishManifestSchema = z.object({
  /** sha256 of model.json's bytes followed by weights.bin's bytes, lowercase hex. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'sha256 must be 64 lowercase hex digits'),
});

export const ModelParamsSchema = z.object({ id: ModelCardSchema.shape.id });
export const ModelFileParamsSchema = z.object({ id: ModelCardSchema.shape.id, file: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i) });

export function parseManifestField(value: FormDataEntryValue | null): z.infer<typeof PublishManifestSchema> {
  if (typeof value !== 'string') throw badRequest('invalid_manifest', 'The "manifest" field must be a JSON string like {"sha256": "…"}.');
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw badRequest('invalid_manifest', 'The "manifest" field is not valid JSON.');
  }
  const parsed = PublishManifestSchema.safeParse(json);
  if (!parsed.success) throw badRequest('invalid_manifest', z.prettifyError(parsed.error));
  return parsed.data;
}

/** A required file field, or a 400 naming it. */
export function fileField(form: FormData, name: string): File {
  const value = form.get(name);
  if (!value || typeof value === 'string') throw badRequest('missing_file', `Send the "${name}" field as a file.`);
  return value;
}

/** Route params, or a 404 (a malformed id cannot name a model). */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.output<T> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw notFound('not_found', 'No such model or file.');
  return parsed.data;
}
