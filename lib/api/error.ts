/**
 * The browser's side of the API's error envelope. Routes answer a failure with
 * `{ error: { code, message } }` and its HTTP status (lib/server/errors.ts `errorResponse`); a reply
 * that is not that (a proxy page, a crash) still becomes an error a person can read.
 */

/** A failed call to one of our routes: the server's code and message when it sent them. */
export class ApiError extends Error {
  constructor(
    /** The server's machine code (`invalid_options`), or `http_<status>`, `network`, `aborted`, `bad_stream`. */
    readonly code: string,
    message: string,
    /** The HTTP status; absent when no reply came (network failure, cancelled). */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The error a failed reply's status and body stand for. */
  static fromReply(status: number, text: string): ApiError {
    try {
      const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
      const { code, message } = body?.error ?? {};
      if (typeof message === 'string' && message)
        return new ApiError(typeof code === 'string' && code ? code : `http_${status}`, message, status);
    } catch {
      // Not JSON: fall through to the status line.
    }
    const hint = status === 413 ? 'The upload is too large.' : `The server answered ${status}.`;
    return new ApiError(`http_${status}`, text && text.length < 300 ? `${hint} ${text}` : hint, status);
  }

  /** Reads a failed fetch Response's body into an ApiError. */
  static async fromResponse(response: Response): Promise<ApiError> {
    return ApiError.fromReply(response.status, await response.text().catch(() => ''));
  }
}
