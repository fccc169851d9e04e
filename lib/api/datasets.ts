/**
 * Browser side of the /api/datasets HTTP contract: list, delete, and prepare (a multipart upload
 * answered by an NDJSON stream of progress, per-file and done/error events).
 */
import type { DatasetOptions, DatasetSummary, UploadEvent } from '@/lib/pixels/manifest';
import { ApiError } from './error';

export type { DatasetSummary };
/** Every option spelled out: the form always sends a complete choice, not server defaults. */
export type PrepareOptions = DatasetOptions;
/** What a preparation reports: bytes sent so far, then the server's own events. */
export type PrepareUpdate = { type: 'upload'; loaded: number; total: number } | UploadEvent;

/** Built-in datasets first; otherwise the server's order (a stable sort keeps it). */
export function sortDatasets(datasets: DatasetSummary[]): DatasetSummary[] {
  return [...datasets].sort((a, b) => Number(b.builtin) - Number(a.builtin));
}

export async function listDatasets(signal?: AbortSignal): Promise<DatasetSummary[]> {
  const response = await fetch('/api/datasets', { cache: 'no-store', signal });
  if (!response.ok) throw await ApiError.fromResponse(response);
  const body = (await response.json()) as { datasets: DatasetSummary[] };
  return sortDatasets(body.datasets);
}

export async function deleteDataset(id: string): Promise<void> {
  const response = await fetch(`/api/datasets/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (!response.ok) throw await ApiError.fromResponse(response);
}

/**
 * Uploads files and yields byte progress, then the server's NDJSON events as they stream in.
 * XMLHttpRequest rather than fetch: it is the one browser API that reports upload bytes, and
 * its partial responseText streams the reply. Throws ApiError for a 4xx/5xx reply or a
 * network failure; an `error` event is yielded like any other so the caller shows it in place.
 */
export async function* prepareDataset(
  options: PrepareOptions,
  files: File[],
  signal?: AbortSignal,
): AsyncGenerator<PrepareUpdate> {
  const form = new FormData();
  form.set('options', JSON.stringify(options));
  for (const file of files) form.append('files', file, file.name);

  const queue: PrepareUpdate[] = [];
  let finished = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };

  const xhr = new XMLHttpRequest();
  let consumed = 0; // characters of responseText already split into lines
  let partial = ''; // a line whose newline has not arrived yet
  const takeLines = (final: boolean) => {
    const text = xhr.responseText;
    partial += text.slice(consumed);
    consumed = text.length;
    const lines = partial.split('\n');
    partial = final ? '' : (lines.pop() ?? '');
    for (const line of lines) if (line.trim()) queue.push(JSON.parse(line) as UploadEvent);
  };
  const finish = (error: Error | null) => {
    failure = error;
    finished = true;
    notify();
  };

  xhr.upload.onprogress = (e) => {
    if (!e.lengthComputable) return;
    queue.push({ type: 'upload', loaded: e.loaded, total: e.total });
    notify();
  };
  xhr.onprogress = () => {
    if (xhr.status !== 200) return;
    try {
      takeLines(false);
    } catch {
      failure = new ApiError('bad_stream', 'The server sent a progress line that is not JSON.');
      return xhr.abort(); // onabort reports `failure`; a garbled stream cannot be resumed
    }
    notify();
  };
  xhr.onload = () => {
    if (xhr.status !== 200) return finish(ApiError.fromReply(xhr.status, xhr.responseText));
    try {
      takeLines(true);
      finish(null);
    } catch {
      finish(new ApiError('bad_stream', 'The server sent a progress line that is not JSON.'));
    }
  };
  xhr.onerror = () => finish(new ApiError('network', 'The upload failed: the connection was lost.'));
  xhr.onabort = () => finish(failure ?? new ApiError('aborted', 'The upload was cancelled.'));
  signal?.addEventListener('abort', () => xhr.abort(), { once: true });

  xhr.open('POST', '/api/datasets');
  xhr.send(form);
  try {
    for (;;) {
      while (queue.length > 0) yield queue.shift()!;
      if (finished) {
        if (failure) throw failure;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    if (!finished) xhr.abort();
  }
}
