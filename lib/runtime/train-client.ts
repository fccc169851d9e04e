/**
 * The client the Train page uses: the `TrainEngine` interface over the training worker
 * (train-worker.ts), as client.ts is for generation. Each request gets an id; a run's events feed
 * `start`'s callback; the final result or error (revived by name) settles it. `close` lets a live
 * run save its checkpoint before the worker ends, so the client may outlive its page. Tests use
 * `InProcessTrainEngine` directly, which has the same interface.
 */
import type { AvoidList } from './backend-checks';
import { reviveError, TrainWorkerCrashedError } from './errors';
import type { TrainEngine } from './train-engine';
import type {
  PublishArtifacts,
  SavedRun,
  TrainEvent,
  TrainReply,
  TrainRequest,
  TrainResults,
  TrainSettings,
} from './train-protocol';

export { InProcessTrainEngine, type TrainEngine } from './train-engine';

type Pending = {
  resolve: (value: never) => void;
  reject: (err: Error) => void;
  onProgress?: (event: TrainEvent) => void;
};

/** Longest a closing page waits for its run's checkpoint before ending the worker anyway (a step in flight, then the save). */
const CLOSE_TIMEOUT_MS = 120_000;

/** Workers still saving after their page went: a new page lists runs once they are done, so theirs are not shown as open elsewhere. */
let closing: Promise<void> = Promise.resolve();

export class TrainClient implements TrainEngine {
  private worker: Worker;
  private nextId = 1;
  private pending = new Map<number, Pending>();
  /** Set once the worker crashed: it is ended, and a new client is needed. */
  dead = false;

  constructor(worker?: Worker) {
    this.worker =
      worker ?? new Worker(new URL('./train-worker.ts', import.meta.url), { type: 'module', name: 'train' });
    this.worker.onmessage = (event: MessageEvent<TrainReply>) => {
      const reply = event.data;
      const p = this.pending.get(reply.id);
      if (!p) return;
      if (reply.kind === 'progress') p.onProgress?.(reply.payload);
      else {
        this.pending.delete(reply.id);
        if (reply.kind === 'result') p.resolve(reply.payload as never);
        else p.reject(reviveError(reply.payload));
      }
    };
    this.worker.onerror = (event) => {
      // Ended, so its run's lock is released and a new worker may resume the run.
      this.dead = true;
      this.worker.terminate();
      const err = event.message ? new TrainWorkerCrashedError(event.message) : new TrainWorkerCrashedError();
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
    if (this.dead) return Promise.reject(new TrainWorkerCrashedError('The training worker has ended.'));
    const id = this.nextId++;
    return new Promise<TrainResults[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onProgress });
      this.worker.postMessage({ kind, id, payload } as TrainRequest);
    });
  }

  list(): Promise<SavedRun[]> {
    return this.request('list', {});
  }

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
  close(): Promise<TrainResults['close']> {
    const unsaved: TrainResults['close'] = { savedStep: null };
    const saved = Promise.race([
      this.request('close', {}),
      new Promise<TrainResults['close']>((resolve) => setTimeout(() => resolve(unsaved), CLOSE_TIMEOUT_MS)),
    ]).catch(() => unsaved);
    const ended = saved.then((result) => {
      this.dispose();
      return result;
    });
    closing = Promise.all([closing, ended]).then(() => undefined);
    return ended;
  }

  dispose(): void {
    this.worker.terminate();
    this.pending.clear();
  }
}
