import { z } from 'zod';
import { SampleIdSchema } from '@/lib/ids';
import { type Recipe, RecipeSchema } from '@/lib/samples/recipe';
import { badRequest } from '@/lib/server/errors';
import { parseJsonField, parseRouteParams } from '@/lib/server/http';

/** Input schemas of the /api/samples routes. The recipe schema lives in lib/samples so the studio shares it. */

const KiB = 1024;
export const SAMPLE_LIMITS = {
  /** The PNG itself: a 256×256 RGBA image compresses well below this. */
  imageBytes: 256 * KiB,
  /** The whole multipart body: image + recipe + boundaries. */
  requestBytes: 272 * KiB,
};

export const SampleParamsSchema = z.object({ id: SampleIdSchema });

export const ListQuerySchema = z.object({
  cursor: z.string().max(512).optional(),
  model: z.string().max(64).optional(),
  /** A class id (whole number) or a class name, as lib/server/samples/catalog.ts matchesClass reads it. */
  class: z.string().min(1).max(64).optional(),
  limit: z.coerce.number().int().min(1).max(100).optional(),
});

export const DeleteBodySchema = z.object({ token: z.string().min(1).max(256) });

/** The `recipe` form field: a JSON string of Recipe; a refusal names the offending fields. */
export function parseRecipeField(value: FormDataEntryValue | null): Recipe {
  return parseJsonField(value, 'recipe', RecipeSchema, 'invalid_recipe', { invalidPrefix: 'The recipe is invalid:\n' });
}

/** Route params, or a 404. */
export function parseParams(params: unknown): { id: string } {
  return parseRouteParams(SampleParamsSchema, params, 'sample_not_found', 'No such sample.');
}

/** `authorization: Bearer <token>`, else a JSON body `{ "token": "…" }`, else undefined. */
export async function readDeleteToken(request: Request): Promise<string | undefined> {
  const auth = request.headers.get('authorization');
  const bearer = auth?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (bearer) return bearer;
  const text = await request.text();
  if (!text) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw badRequest('invalid_body', 'The body must be JSON like {"token":"…"}.');
  }
  const parsed = DeleteBodySchema.safeParse(json);
  if (!parsed.success) throw badRequest('invalid_body', 'The body must be JSON like {"token":"…"}.');
  return parsed.data.token;
}
