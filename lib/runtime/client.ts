/**
 * The client the UI uses: the `StudioEngine` interface over the generation worker. Each request
 * gets an id; progress replies feed callbacks or the `sample` stream; the final result or error
 * settles it. Tests use `InProcessEngine` directly, which has the same interface.
 */
import { GenerationCancelled } from '@/lib/reformer/generate';
import type { AvoidList } from './backend-checks';
import type { BackendChoice, BackendName } from './backends';
import type { StudioEngine } from './engine';
import { reviveError } from './errors';
import type {
  LoadedModel,
  LoadProgress,
  LocalModel,
  MemoryStats,
  ModelSource,
  PayloadOf,
  Progresses,
  Reply,
  RequestKind,
  Results,
  SampleChunk,
  SampleRequest,
} from './protocol';

export { InProcessEngine, type StudioEngine } from './engine';
export { GenerationCancelled };

interface Pending {
  onProgress: (payload: unknown) => void;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export class WorkerClient implements StudioEngine {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private terminated = false;

  constructor(worker?: Worker) {
    this.worker =
      worker ??
      new Worker(new URL('./generate-worker.ts', import.meta.url), { type: 'module', name: 'reformer-generate' });
    this.worker.onmessage = (event: MessageEvent<Reply>) => this.receive(event.data);
    this.worker.onerror = (event) =>
      this.failAll(new Error(`the generation worker crashed: ${event.message || 'unknown error'}. Reload the page.`));
  }

  private receive(reply: Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    if (reply.kind === 'progress') return p.onProgress(reply.payload);
    this.pending.delete(reply.id);
    if (reply.kind === 'result') p.resolve(reply.payload);
    else
      p.reject(reply.payload.name === 'GenerationCancelled' ? new GenerationCancelled() : reviveError(reply.payload));
  }

  private failAll(err: Error): void {
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  private request<K extends RequestKind>(
    kind: K,
    payload: PayloadOf<K>,
    onProgress: (p: Progresses[K]) => void = () => {},
  ): { id: number; done: Promise<Results[K]> } {
    const id = this.nextId++;
    // A disposed client answers with a rejection, never a synchronous throw: React effects of the
    // render that disposed it may still call it, and they handle rejections.
    if (this.terminated) return { id, done: Promise.reject(new Error('this generation client was disposed')) };
    const done = new Promise<Results[K]>((resolve, reject) => {
      this.pending.set(id, {
        onProgress: onProgress as (p: unknown) => void,
        resolve: resolve as (v: unknown) => void,
        reject,
      });
    });
    this.worker.postMessage({ kind, id, payload });
    return { id, done };
  }

  init(backend: BackendName | 'auto', avoid?: AvoidList): Promise<BackendChoice> {
    return this.request('init', { backend, avoid }).done;
  }

  load(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel> {
    return this.request('load', { source }, onProgress).done;
  }

  async *sample(req: SampleRequest, signal?: AbortSignal): AsyncGenerator<SampleChunk, Results['sample']> {
    if (signal?.aborted) throw new GenerationCancelled();
    const queue: SampleChunk[] = [];
    let wake: (() => void) | null = null;
    const { id, done } = this.request('sample', req, (chunk) => {
      queue.push(chunk);
      wake?.();
    });
    let settled = false;
    const finished = done.finally(() => {
      settled = true;
      wake?.();
    });
    finished.catch(() => {}); // rethrown below, once the queue is drained
    const cancel = () => this.request('cancel', { target: id }).done.catch(() => {});
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      for (;;) {
        while (queue.length > 0) yield queue.shift()!;
        if (settled) return await done;
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    } finally {
      signal?.removeEventListener('abort', cancel);
      // The consumer stopped early (break/return): stop the worker's run too.
      if (!settled) void cancel();
    }
  }

  memory(): Promise<MemoryStats> {
    return this.request('memory', {}).done;
  }

  listLocal(): Promise<LocalModel[]> {
    return this.request('listLocal', {}).done;
  }

  /** Ends the worker at once: the fastest way to free everything it holds. */
  dispose(): void {
    this.terminated = true;
    this.worker.terminate();
    this.failAll(new GenerationCancelled());
  }
}
