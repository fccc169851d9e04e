import { describe, expect, it } from 'vitest';
import { blobResponse } from '@/lib/server/http';

/** A three-byte blob whose stream records whether it was cancelled. */
function blob() {
  const state = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new Uint8Array([1, 2, 3]));
      controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { blob: { stream, size: 3 }, state };
}

const opts = { etag: '"abc"', cacheControl: 'no-cache', contentType: 'application/octet-stream' };

describe('blobResponse', () => {
  it('sends the bytes with their etag, cache policy, type and length', async () => {
    const { blob: b, state } = blob();
    const res = await blobResponse(new Request('http://test'), b, opts);
    expect(res.status).toBe(200);
    expect(Object.fromEntries(res.headers)).toEqual({
      etag: '"abc"',
      'cache-control': 'no-cache',
      'content-type': 'application/octet-stream',
      'content-length': '3',
    });
    expect([...new Uint8Array(await res.arrayBuffer())]).toEqual([1, 2, 3]);
    expect(state.cancelled).toBe(false);
  });

  it('answers 304 without a body, cancelling the stream, when If-None-Match names the etag', async () => {
    const { blob: b, state } = blob();
    const res = await blobResponse(new Request('http://test', { headers: { 'if-none-match': '"abc"' } }), b, opts);
    expect(res.status).toBe(304);
    expect(res.body).toBeNull();
    expect(res.headers.get('etag')).toBe('"abc"');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(state.cancelled).toBe(true);
  });

  it('sends the bytes again for another etag', async () => {
    const { blob: b } = blob();
    const res = await blobResponse(new Request('http://test', { headers: { 'if-none-match': '"old"' } }), b, opts);
    expect(res.status).toBe(200);
  });
});
