/**
 * The UI's handle on the training worker: one method per request of train-protocol.ts, each a
 * promise of its typed result; `start` also streams the run's events to a callback. `close` lets a
 * live run save its checkpoint before the worker ends, so the client may outlive its page.
 */
import type { AvoidList } from '@/lib/runtime/backend-checks';
import type {
  PublishArtifacts,
  SavedRun,
  TrainEvent,
  TrainReply,
  TrainRequest,
  TrainResults,
  TrainSettings,
} from '@/lib/runtime/train-protocol';

type Pending = {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  onProgress?: (event: TrainEvent) => void;
};

/** Longest a closing page waits for its run's checkpoint before ending the worker anyway (a step in flight, then the save). */
const CLOSE_TIMEOUT_MS = 120_000;

/** Workers still saving after their page went: a new page lists runs once they are done, so theirs are not shown as open elsewhere. */
let closing: Promise<void> = Promise.resolve();

export class TrainWorkerError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

export class TrainClient {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** Set once the worker crashed: it is ended, and a new client is needed. */
  dead = false;

  constructor() {
    this.worker = new Worker(new URL('../../lib/runtime/train-worker.ts', import.meta.url), {
      type: 'module',
      name: 'train',
    });
    this.worker.onmessage = (event: MessageEvent<TrainReply>) => {
      const reply = event.data;
      const p = this.pending.get(reply.id);
      if (!p) return;
      if (reply.kind === 'progress') p.onProgress?.(reply.payload);
      else {
        this.pending.delete(reply.id);
        if (reply.kind === 'result') p.resolve(reply.payload as never);
        else p.reject(new TrainWorkerError(reply.payload.name, reply.payload.message));
      }
    };
    this.worker.onerror = (event) => {
      // Ended, so its run's lock is released and a new worker may resume the run.
      this.dead = true;
      this.worker.terminate();
      const err = new TrainWorkerError(
        'WorkerError',
        event.message || 'The training worker crashed; resume the run from its last checkpoint.',
      );
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  /** Resolves once workers of pages that went away have saved their runs and ended. */
  static afterClosing(): Promise<void> {
    return closing;
  }

  private request<K extends TrainRequest['kind']>(
    kind: K,
    payload: Extract<TrainRequest, { kind: K }>['payload'],
    onProgress?: (e: TrainEvent) => void,
  ): Promise<TrainResults[K]> {
    if (this.dead) return Promise.reject(new TrainWorkerError('WorkerError', 'The training worker has ended.'));
    const id = this.nextId++;
    return new Promise<TrainResults[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onProgress });
      this.worker.postMessage({ kind, id, payload } as TrainRequest);
    });
  }

  list(): Promise<SavedRun[]> {
    return this.request('list', {});
  }

  /** A new run of `settings`, or the saved run `resumeRunId`; `avoid`: backends automatic selection skips (backend-checks.ts). */
  start(settings: TrainSettings, resumeRunId: string | undefined, onEvent: (e: TrainEvent) => void, avoid?: AvoidList) {
    return this.request(
      'start',
      { settings, ...(resumeRunId !== undefined && { resumeRunId }), ...(avoid && { avoid }) },
      onEvent,
    );
  }

  pause() {
    return this.request('pause', {});
  }

  resume() {
    return this.request('resume', {});
  }

  stop() {
    return this.request('stop', {});
  }

  publish(name?: string): Promise<PublishArtifacts> {
    return this.request('publish', { name });
  }

  discard(runId: string) {
    return this.request('discard', { runId });
  }

  /** Pauses a live run, waits until its checkpoint is saved (or a generous while), then ends the worker. */
  close(): Promise<void> {
    const saved = Promise.race([
      this.request('close', {}),
      new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS)),
    ]).catch(() => undefined);
    const ended = saved.then(() => this.dispose());
    closing = Promise.all([closing, ended]).then(() => undefined);
    return ended;
  }

  dispose(): void {
    this.worker.terminate();
    this.pending.clear();
  }
}
