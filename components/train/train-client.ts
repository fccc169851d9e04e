/**
 * The UI's handle on the training worker: one method per request of train-protocol.ts, each a
 * promise of its typed result; `start` also streams the run's events to a callback.
 */
import type { CheckpointSummary, PublishArtifacts, TrainEvent, TrainReply, TrainRequest, TrainResults, TrainSettings } from '@/lib/runtime/train-protocol';

type Pending = { resolve: (value: never) => void; reject: (err: Error) => void; onProgress?: (event: TrainEvent) => void };

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

  constructor() {
    this.worker = new Worker(new URL('../../lib/runtime/train-worker.ts', import.meta.url), { type: 'module', name: 'train' });
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
      const err = new TrainWorkerError('WorkerError', event.message || 'The training worker crashed; reload the page to resume from the last checkpoint.');
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
  }

  private request<K extends TrainRequest['kind']>(kind: K, payload: Extract<TrainRequest, { kind: K }>['payload'], onProgress?: (e: TrainEvent) => void): Promise<TrainResults[K]> {
    const id = this.nextId++;
    return new Promise<TrainResults[K]>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: never) => void, reject, onProgress });
      this.worker.postMessage({ kind, id, payload } as TrainRequest);
    });
  }

  inspect(): Promise<CheckpointSummary | null> {
    return this.request('inspect', {});
  }

  start(settings: TrainSettings, resume: boolean, onEvent: (e: TrainEvent) => void) {
    return this.request('start', { settings, resume }, onEvent);
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

  discard() {
    return this.request('discard', {});
  }

  dispose(): void {
    this.worker.terminate();
    this.pending.clear();
  }
}
