import 'server-only';
import { z } from 'zod';
import { formatBytes } from '@/lib/format';
import { badRequest, notFound, payloadTooLarge } from './errors';

/**
 * A form field holding JSON of `schema`'s shape, or a 400 with `code` saying which of the three
 * it is not: a string, JSON, that shape (zod's account of the fields, after `invalidPrefix`).
 */
export function parseJsonField<T extends z.ZodType>(
  value: FormDataEntryValue | null,
  name: string,
  schema: T,
  code: string,
  opts: { example?: string; invalidPrefix?: string } = {},
): z.output<T> {
  if (typeof value !== 'string')
    throw badRequest(code, `The "${name}" field must be a JSON string${opts.example ? ` like ${opts.example}` : ''}.`);
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    throw badRequest(code, `The "${name}" field is not valid JSON.`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw badRequest(code, `${opts.invalidPrefix ?? ''}${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Route params of `schema`'s shape, or a 404: a malformed id cannot name anything that exists. */
export function parseRouteParams<T extends z.ZodType>(
  schema: T,
  params: unknown,
  code: string,
  message: string,
): z.output<T> {
  const parsed = schema.safeParse(params);
  if (!parsed.success) throw notFound(code, message);
  return parsed.data;
}

/**
 * Parses a multipart body, refusing it with 413 once it exceeds `maxBytes`: checked against
 * Content-Length up front and counted while reading, since the header may be absent or wrong.
 */
export async function readMultipart(
  request: Request,
  maxBytes: number,
  fields: string[] = ['options', 'files'],
): Promise<FormData> {
  const contentType = request.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) {
    throw badRequest(
      'expected_multipart',
      `Send the upload as multipart/form-data with fields ${fields.map((f) => `"${f}"`).join(' and ')}.`,
    );
  }
  const tooLarge = () => payloadTooLarge(`The upload is larger than ${formatBytes(maxBytes)}.`);
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge();
  if (!request.body) throw badRequest('empty_body', 'The request has no body.');

  let seen = 0;
  let overLimit = false;
  const counted = request.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        seen += chunk.byteLength;
        if (seen > maxBytes) {
          overLimit = true;
          controller.error(tooLarge());
        } else controller.enqueue(chunk);
      },
    }),
  );
  try {
    return await new Response(counted, { headers: { 'content-type': contentType } }).formData();
  } catch (err) {
    if (overLimit) throw tooLarge();
    throw badRequest('bad_multipart', `Could not read the form: ${(err as Error).message}`);
  }
}

/** An async iterable of JSON values → an NDJSON response body; `onError` turns a throw into a last line. */
export function ndjsonStream<T>(
  events: AsyncGenerator<T, unknown>,
  onError: (err: unknown) => T,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await events.next();
        if (next.done) controller.close();
        else controller.enqueue(encoder.encode(`${JSON.stringify(next.value)}\n`));
      } catch (err) {
        controller.enqueue(encoder.encode(`${JSON.stringify(onError(err))}\n`));
        controller.close();
      }
    },
    async cancel() {
      await events.return(undefined);
    },
  });
}

/**
 * A stored blob as a GET response, revalidated by ETag: a 304 (the stream cancelled unread) when
 * the request's If-None-Match already names `etag`, else the bytes with their type and length.
 */
export async function blobResponse(
  request: Request,
  blob: { stream: ReadableStream<Uint8Array>; size: number },
  opts: { etag: string; cacheControl: string; contentType: string },
): Promise<Response> {
  const headers = { etag: opts.etag, 'cache-control': opts.cacheControl };
  if (request.headers.get('if-none-match') === opts.etag) {
    await blob.stream.cancel();
    return new Response(null, { status: 304, headers });
  }
  return new Response(blob.stream, {
    headers: { ...headers, 'content-type': opts.contentType, 'content-length': String(blob.size) },
  });
}
