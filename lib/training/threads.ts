/**
 * Data-parallel training on the cores of one machine (Node): worker threads, each with its own
 * WASM backend and a replica of the model, compute the gradients of their share of each batch
 * while the calling thread computes its own (`Trainer.trainStepParallel`). tfjs-wasm runs one
 * thread per backend here, so this is how `npm run train` uses more than one core.
 */
import { Worker } from 'node:worker_threads';
import type { ReformerConfig } from '../reformer/config';
import type { GradientHelper } from './trainer';

export interface ThreadInit {
  config: Partial<ReformerConfig>;
  backend: string;
}

export interface GradientRequest {
  id: number;
  weights: Record<string, Float32Array>;
  tokens: Int32Array;
  rows: number;
  stepSeed: number;
}

export type GradientResponse = { id: number; loss: number; grads: Record<string, Float32Array>; error?: undefined } | { id: number; error: string };

type Pending = { resolve: (r: { loss: number; grads: Record<string, Float32Array> }) => void; reject: (e: Error) => void };

class GradientThread implements GradientHelper {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: GradientResponse) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.error !== undefined) p.reject(new Error(`gradient thread: ${m.error}`));
      else p.resolve({ loss: m.loss, grads: m.grads });
    });
    worker.on('error', (e) => this.failAll(e));
    worker.on('exit', (code) => this.failAll(new Error(`gradient thread exited (code ${code})`)));
  }

  static start(init: ThreadInit): Promise<GradientThread> {
    const worker = new Worker(new URL('./gradient-thread.mjs', import.meta.url), { workerData: init });
    return new Promise((resolve, reject) => {
      const onMessage = (m: { ready?: boolean; error?: string }) => {
        if (m.ready === undefined) return;
        worker.off('message', onMessage);
        worker.off('error', reject);
        if (m.ready) resolve(new GradientThread(worker));
        else reject(new Error(`gradient thread failed to start: ${m.error}`));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
    });
  }

  private failAll(e: Error) {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  gradients(weights: Record<string, Float32Array>, tokens: Int32Array, rows: number, stepSeed: number) {
    const id = this.nextId++;
    const request: GradientRequest = { id, weights, tokens, rows, stepSeed };
    return new Promise<{ loss: number; grads: Record<string, Float32Array> }>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(request);
    });
  }

  async close(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}

/** `count` gradient threads for a model of this config, started and ready. */
export async function startGradientThreads(count: number, init: ThreadInit): Promise<{ helpers: GradientHelper[]; close(): Promise<void> }> {
  const threads = await Promise.all(Array.from({ length: count }, () => GradientThread.start(init)));
  return { helpers: threads, close: async () => void (await Promise.all(threads.map((t) => t.close()))) };
}
