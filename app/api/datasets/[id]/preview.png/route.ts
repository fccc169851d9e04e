import { getPreview } from '@/lib/server/datasets/catalog';
import { errorResponse } from '@/lib/server/errors';
import { getStorage } from '@/lib/server/storage';
import { DatasetParamsSchema, parseParams, parsePreviewQuery } from '../../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * Contact sheet of prepared images, decoded back from their tokens; `?class=N`: of class N's first
 * images. Immutable per dataset id.
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }) {
  try {
    const { id } = parseParams(DatasetParamsSchema, await params);
    const query = parsePreviewQuery(request.url);
    const png = await getPreview(getStorage(), id, query.class);
    return new Response(png as Uint8Array<ArrayBuffer>, {
      headers: {
        'content-type': 'image/png',
        'content-length': String(png.byteLength),
        'cache-control': 'public, max-age=31536000, immutable',
      },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
