import 'server-only';

/**
 * The one error type routes answer with: a stable machine `code`, the HTTP `status`, and a
 * message a person can act on. Anything else that escapes is a bug and becomes a 500.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
    /** For a refusal that passes (a full queue): when to try again, sent as `Retry-After`. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export const badRequest = (code: string, message: string) => new AppError(code, 400, message);
export const forbidden = (code: string, message: string) => new AppError(code, 403, message);
export const notFound = (code: string, message: string) => new AppError(code, 404, message);
export const payloadTooLarge = (message: string) => new AppError('payload_too_large', 413, message);
export const unavailable = (code: string, message: string, retryAfterSeconds: number) =>
  new AppError(code, 503, message, retryAfterSeconds);

/** Any thrown value → AppError (unknown errors become `internal`, 500, with a generic message). */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  console.error(err);
  return new AppError('internal', 500, 'Something went wrong on the server.');
}

/** `{ error: { code, message } }` with the error's HTTP status (and `Retry-After` when it has one). */
export function errorResponse(err: unknown, init?: ResponseInit): Response {
  const e = toAppError(err);
  const headers = new Headers(init?.headers);
  if (e.retryAfterSeconds !== undefined) headers.set('retry-after', String(e.retryAfterSeconds));
  return Response.json({ error: { code: e.code, message: e.message } }, { ...init, headers, status: e.status });
}
