import { errorResponse } from '@/lib/server/errors';
import { deleteSample, getSample } from '@/lib/server/samples/catalog';
import { getStorage } from '@/lib/server/storage';
import { parseParams, readDeleteToken } from '../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

type Context = { params: Promise<{ id: string }> };

/** The sample (lib/samples/recipe.ts SampleView); 404 once deleted or hidden. */
export async function GET(_request: Request, { params }: Context) {
  try {
    const { id } = parseParams(await params);
    return Response.json(await getSample(getStorage(), id), { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    return errorResponse(err);
  }
}

/** Needs the delete token: `authorization: Bearer <token>` or `{ "token": "…" }`. 204 when done. */
export async function DELETE(request: Request, { params }: Context) {
  try {
    const { id } = parseParams(await params);
    await deleteSample(getStorage(), id, await readDeleteToken(request));
    return new Response(null, { status: 204 });
  } catch (err) {
    return errorResponse(err);
  }
}
