import { openShard } from '@/lib/server/datasets/catalog';
import { errorResponse } from '@/lib/server/errors';
import { blobResponse } from '@/lib/server/http';
import { getStorage } from '@/lib/server/storage';
import { parseParams, ShardParamsSchema } from '../../../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Streams one shard. Shards never change once written, so they are cached forever by ETag (their sha256). */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; shard: string }> }) {
  try {
    const { id, shard } = parseParams(ShardParamsSchema, await params);
    const blob = await openShard(getStorage(), id, shard);
    return await blobResponse(request, blob, {
      etag: `"${blob.sha256}"`,
      cacheControl: 'public, max-age=31536000, immutable',
      contentType: 'application/octet-stream',
    });
  } catch (err) {
    return errorResponse(err);
  }
}
