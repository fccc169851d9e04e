import { describe, expect, it } from 'vitest';
import { ApiError } from '@/lib/api/error';
import { AppError, errorResponse } from '@/lib/server/errors';

describe('ApiError', () => {
  it("reads back what the server's errorResponse sends", async () => {
    const sent = errorResponse(new AppError('invalid_options', 400, 'width must be at most 256'));
    const e = await ApiError.fromResponse(sent);
    expect(e).toBeInstanceOf(ApiError);
    expect(e).toBeInstanceOf(Error);
    expect([e.name, e.code, e.message, e.status]).toEqual([
      'ApiError',
      'invalid_options',
      'width must be at most 256',
      400,
    ]);
  });

  it('names the status when the envelope has a message but no code', () => {
    const e = ApiError.fromReply(409, JSON.stringify({ error: { message: 'taken' } }));
    expect([e.code, e.message, e.status]).toEqual(['http_409', 'taken', 409]);
  });

  it('falls back to the status line, with a short body, when the reply is not the envelope', () => {
    expect(ApiError.fromReply(502, '')).toMatchObject({ code: 'http_502', message: 'The server answered 502.' });
    expect(ApiError.fromReply(502, 'Bad Gateway')).toMatchObject({ message: 'The server answered 502. Bad Gateway' });
    expect(ApiError.fromReply(500, JSON.stringify({ error: 'boom' })).code).toBe('http_500');
    expect(ApiError.fromReply(500, '<html>'.repeat(100)).message).toBe('The server answered 500.');
  });

  it('says an upload was too large when a proxy refuses it with a bare 413', () => {
    expect(ApiError.fromReply(413, '')).toMatchObject({
      code: 'http_413',
      message: 'The upload is too large.',
      status: 413,
    });
  });

  it('reads a fetch Response whose body cannot be read as an empty one', async () => {
    const res = new Response('x', { status: 503 });
    await res.text();
    expect((await ApiError.fromResponse(res)).message).toBe('The server answered 503.');
  });
});
