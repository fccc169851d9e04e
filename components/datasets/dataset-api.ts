/**
 * Browser side of the /api/datasets HTTP contract: list, delete, and prepare (a multipart upload
 * answered by an NDJSON stream of progress, per-file and done/error events).
 */

import type { DatasetOptions, DatasetSummary, UploadEvent } from '@/lib/pixels/manifest';

export type { DatasetSummary };
/** Every option spelled out: the form always sends a complete choice, not server defaults. */
export type PrepareOptions = DatasetOptions;
export type PrepareEvent = UploadEvent;

/** An HTTP or stream failure, with the server's code when it sent one. */
export class DatasetApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'DatasetApiError';
  }
}

async function errorFrom(response: Response): Promise<DatasetApiError> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message) {
      return new DatasetApiError(body.error.code ?? `http_${response.status}`, body.error.message, response.status);
    }
  } catch {
    // Not JSON (a proxy page or a crash): fall through to the status line.
  }
  const hint = response.status === 413 ? 'The upload is too large.' : `The server answered ${response.status}.`;
  return new DatasetApiError(`http_${response.status}`, text && text.length < 300 ? `${hint} ${text}` : hint, response.status);
}

/** Built-in datasets first; otherwise the server's order (a stable sort keeps it). */
export function sortDatasets(datasets: DatasetSummary[]): DatasetSummary[] {
  return [...datasets].sort((a, b) => Number(b.builtin) - Number(a.builtin));
}

export async function listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
  const response = await fetch('/api/datasets', { cache: 'no-store', signal });
  if (!response.ok) throw await errorFrom(response);
  const body = (await response.json()) as { datasets: DatasetSummary[] };
  return sortDatasets(body.datasets);
}

export async function deleteDataset(id: string): Promise<void> {
  const response = await fetch(`/api/datasets/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (!response.ok) throw await errorFrom(response);
}

/** Splits a byte stream into parsed JSON lines; tolerates a final line without a newline. */
export async function* readNdjson<T>(body: ReadableStream<Uint8Array>): AsyncGenerator<T> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      buffered += done ? decoder.decode() : decoder.decode(value, { stream: true });
      const lines = buffered.split('\n');
      buffered = done ? '' : (lines.pop() ?? '');
      for (const line of lines) {
        if (line.trim()) yield JSON.parse(line) as T;
      }
      if (done) return;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Uploads files and streams the preparation events. Throws DatasetApiError for a 4xx/5xx
 * reply; an `error` event is yielded like any other so the caller can show it in place.
 */
export async function* prepareDataset(
  options: PrepareOptions,
  files: File[],
  signal?: AbortSignal,
): AsyncGenerator<PrepareEvent> {
  const form = new FormData();
  form.set('options', JSON.stringify(options));
  for (const file of files) form.append('files', file, file.name);
  const response = await fetch('/api/datasets', { method: 'POST', body: form, signal });
  if (!response.ok) throw await errorFrom(response);
  if (!response.body) throw new DatasetApiError('no_body', 'The server sent no progress stream.');
  yield* readNdjson<PrepareEvent>(response.body);
}
