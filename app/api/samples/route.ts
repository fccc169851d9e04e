import { AppError, badRequest, errorResponse, payloadTooLarge } from '@/lib/server/errors';
import { readMultipart } from '@/lib/server/http';
import { createSample, listSamples } from '@/lib/server/samples/catalog';
import { clientKey, sampleLimits } from '@/lib/server/samples/rate-limit';
import { getStorage } from '@/lib/server/storage';
import { ListQuerySchema, parseRecipeField, SAMPLE_LIMITS } from './schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

const tooLarge = () => payloadTooLarge(`The image must be at most ${SAMPLE_LIMITS.imageBytes / 1024} KiB.`);

/** `?cursor=&model=&class=&limit=` → one page of visible samples, newest first. */
export async function GET(request: Request) {
  try {
    const params = Object.fromEntries(new URL(request.url).searchParams);
    const parsed = ListQuerySchema.safeParse(params);
    if (!parsed.success)
      throw badRequest(
        'invalid_query',
        'Query parameters: cursor (from nextCursor), model (a model id), class (a class id or name), limit (1–100).',
      );
    return Response.json(await listSamples(getStorage(), parsed.data), { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}

/** multipart `image` (PNG at the model's size) + `recipe` (JSON) → 201 `{ id, url, deleteToken }`. */
export async function POST(request: Request) {
  try {
    sampleLimits().share.take(clientKey(request), 'shares');
    if (!(request.headers.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
      throw badRequest(
        'expected_multipart',
        'Send the share as multipart/form-data with fields "image" (the PNG) and "recipe" (JSON).',
      );
    }
    const form = await readMultipart(request, SAMPLE_LIMITS.requestBytes).catch((err: unknown) => {
      throw err instanceof AppError && err.status === 413 ? tooLarge() : err;
    });
    const recipe = parseRecipeField(form.get('recipe'));
    const image = form.get('image');
    if (!image || typeof image === 'string') throw badRequest('no_image', 'Add the PNG as the "image" file field.');
    if (image.size > SAMPLE_LIMITS.imageBytes) throw tooLarge();
    const result = await createSample(getStorage(), new Uint8Array(await image.arrayBuffer()), recipe);
    return Response.json(result, { status: 201, headers: { location: result.url, 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}
