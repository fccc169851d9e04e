/**
 * What the /diagnostics page calls: the backend self-check in its own Web Worker (diagnostics-worker.ts),
 * rows streamed back as each backend finishes. The worker is ended when the check is.
 */
import type { BackendCheckRecord } from './backend-checks';
import type { BackendCheckRow, DiagnosticsReply, DiagnosticsRequest } from './diagnostics-protocol';

export function runBackendCheckInWorker(onRow: (row: BackendCheckRow) => void): Promise<BackendCheckRow[]> {
  const worker = new Worker(new URL('./diagnostics-worker.ts', import.meta.url), {
    type: 'module',
    name: 'reformer-diagnostics',
  });
  return new Promise<BackendCheckRow[]>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<DiagnosticsReply>) => {
      const reply = event.data;
      if (reply.kind === 'progress') return onRow(reply.payload);
      if (reply.kind === 'result') return resolve(reply.payload);
      const error = new Error(reply.payload.message);
      error.name = reply.payload.name;
      reject(error);
    };
    worker.onerror = (event) =>
      reject(new Error(`the diagnostics worker crashed: ${event.message || 'unknown error'}. Reload the page.`));
    worker.postMessage({ kind: 'check', id: 1, payload: {} } satisfies DiagnosticsRequest);
  }).finally(() => worker.terminate());
}

/** The record backend-checks.ts keeps for automatic selection. */
export function backendCheckRecord(rows: readonly BackendCheckRow[], checkedAt: Date): BackendCheckRecord {
  return {
    checkedAt: checkedAt.toISOString(),
    results: Object.fromEntries(rows.map((r) => [r.backend, { status: r.status, diff: r.diff, detail: r.detail }])),
  };
}
