/**
 * The Web Worker that runs the /diagnostics self-check off the main thread, so the page stays
 * responsive while each backend compiles its kernels and runs the model.
 */
import { runBackendCheck } from './diagnostics-check';
import type { DiagnosticsReply, DiagnosticsRequest } from './diagnostics-protocol';

function post(reply: DiagnosticsReply): void {
  (self as unknown as Worker).postMessage(reply);
}

self.onmessage = (event: MessageEvent<DiagnosticsRequest>) => {
  const { id, payload } = event.data;
  runBackendCheck({ backends: payload.backends, onRow: (row) => post({ kind: 'progress', id, payload: row }) })
    .then((rows) => post({ kind: 'result', id, payload: rows }))
    .catch((err) =>
      post({
        kind: 'error',
        id,
        payload:
          err instanceof Error ? { name: err.name, message: err.message } : { name: 'Error', message: String(err) },
      }),
    );
};
