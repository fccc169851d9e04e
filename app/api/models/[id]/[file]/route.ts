import { errorResponse } from '@/lib/server/errors';
import { openModelFile } from '@/lib/server/models/store';
import { getStorage } from '@/lib/server/storage';
import { ModelFileParamsSchema, parseParams } from '../../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/**
 * model.json or its weights file, so `loadModel('/api/models/<id>/model.json')` works through
 * tf.io.http. An id can be deleted and published again, so clients revalidate by ETag (the sha256).
 */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; file: string }> }) {
  try {
    const { id, file } = parseParams(ModelFileParamsSchema, await params);
    const blob = await openModelFile(getStorage(), id, file);
    const etag = `"${blob.sha256}-${file}"`;
    const headers = { etag, 'cache-control': 'no-cache' };
    if (request.headers.get('if-none-match') === etag) {
      await blob.stream.cancel();
      return new Response(null, { status: 304, headers });
    }
    const type = file === 'model.json' ? 'application/json' : 'application/octet-stream';
    return new Response(blob.stream, {
      headers: { ...headers, 'content-type': type, 'content-length': String(blob.size) },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
