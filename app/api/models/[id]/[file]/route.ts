import { errorResponse } from '@/lib/server/errors';
import { blobResponse } from '@/lib/server/http';
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
    return await blobResponse(request, blob, {
      etag: `"${blob.sha256}-${file}"`,
      cacheControl: 'no-cache',
      contentType: file === 'model.json' ? 'application/json' : 'application/octet-stream',
    });
  } catch (err) {
    return errorResponse(err);
  }
}
