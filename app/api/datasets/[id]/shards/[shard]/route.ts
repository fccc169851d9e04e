import { openShard } from '@/lib/server/datasets/catalog';
import { errorResponse } from '@/lib/server/errors';
import { getStorage } from '@/lib/server/storage';
import { parseParams, ShardParamsSchema } from '../../../schema';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

/** Streams one shard. Shards never change once written, so they are cached forever by ETag (their sha256). */
export async function GET(request: Request, { params }: { params: Promise<{ id: string; shard: string }> }) {
  try {
    const { id, shard } = parseParams(ShardParamsSchema, await params);
    const blob = await openShard(getStorage(), id, shard);
    const etag = `"${blob.sha256}"`;
    const headers = { etag, 'cache-control': 'public, max-age=31536000, immutable' };
    if (request.headers.get('if-none-match') === etag) {
      await blob.stream.cancel();
      return new Response(null, { status: 304, headers });
    }
    return new Response(blob.stream, {
      headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(blob.size) },
    });
  } catch (err) {
    return errorResponse(err);
  }
}
