/**
 * The Web Worker that runs the engine off the main thread (cf. web-llm `web_worker.ts`): it
 * answers protocol.ts requests, streams token chunks as `progress` replies (their buffers are
 * transferred, not copied) and stops a run at the next step when asked to cancel.
 */
import { InProcessEngine } from './engine';
import type { ErrorPayload, Reply, Request } from './protocol';

const engine = new InProcessEngine();
const runs = new Map<number, AbortController>();

function post(reply: Reply, transfer: Transferable[] = []): void {
  (self as unknown as Worker).postMessage(reply, transfer);
}

function toPayload(err: unknown): ErrorPayload {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

async function handle(req: Request): Promise<void> {
  const { id } = req;
  switch (req.kind) {
    case 'init':
      return post({ kind: 'result', id, payload: await engine.init(req.payload.backend, req.payload.avoid) });
    case 'load':
      return post({
        kind: 'result',
        id,
        payload: await engine.load(req.payload.source, (p) => post({ kind: 'progress', id, payload: p })),
      });
    case 'sample': {
      const controller = new AbortController();
      runs.set(id, controller);
      try {
        const stream = engine.sample(req.payload, controller.signal);
        for (;;) {
          const next = await stream.next();
          if (next.done) return post({ kind: 'result', id, payload: next.value });
          post(
            { kind: 'progress', id, payload: next.value },
            next.value.rows.map((r) => r.buffer as ArrayBuffer),
          );
        }
      } finally {
        runs.delete(id);
      }
    }
    case 'cancel': {
      const run = runs.get(req.payload.target);
      run?.abort();
      return post({ kind: 'result', id, payload: { cancelled: !!run } });
    }
    case 'memory':
      return post({ kind: 'result', id, payload: await engine.memory() });
    case 'listLocal':
      return post({ kind: 'result', id, payload: await engine.listLocal() });
  }
}

self.onmessage = (event: MessageEvent<Request>) => {
  handle(event.data).catch((err) => post({ kind: 'error', id: event.data.id, payload: toPayload(err) }));
};
