/**
 * Gradient helpers for a run on WASM: one Web Worker per spare core, up to one per image of the
 * batch beyond the first (tfjs-wasm computes on one core per worker). None on GPU backends, where
 * one worker already has the device, nor where workers cannot start; training then runs here alone.
 */
import { type Endpoint, GradientClient, type HelperReply } from '@/lib/training/gradient-service';
import type { Trainer } from '@/lib/training/trainer';
import type { BackendChoice } from '../backends';

/** At most this many workers share a batch (this one and its gradient helpers). */
const MAX_WORKERS = 8;
/**
 * How long a gradient helper may take to answer one step's share before the run fails: a helper
 * that dies without an error event would otherwise hang the step forever. Generous, since a step
 * on a large image takes a while.
 */
const HELPER_TIMEOUT_MS = 5 * 60_000;

export interface Helper {
  client: GradientClient;
  worker: Worker;
}

export async function startHelpers(trainer: Trainer, backend: BackendChoice): Promise<Helper[]> {
  const cores = typeof navigator === 'undefined' ? 1 : (navigator.hardwareConcurrency ?? 1);
  const count = Math.min(cores, trainer.options.batchSize, MAX_WORKERS) - 1;
  if (backend.name !== 'wasm' || count < 1 || typeof Worker === 'undefined') return [];
  const started = await Promise.allSettled(
    Array.from({ length: count }, async () => {
      const worker = new Worker(new URL('../gradient-worker.ts', import.meta.url), {
        type: 'module',
        name: 'train-gradients',
      });
      const endpoint: Endpoint = {
        post: (m, transfer = []) => worker.postMessage(m, transfer),
        listen: (handler) => worker.addEventListener('message', (e: MessageEvent<HelperReply>) => handler(e.data)),
      };
      // Listened for before init: a worker whose script fails to load errors and never answers.
      const crashed = new Promise<never>((_, reject) => {
        worker.addEventListener('error', (e) =>
          reject(new Error(`a gradient worker crashed${e.message ? `: ${e.message}` : ''}`)),
        );
      });
      try {
        const client = await Promise.race([
          GradientClient.start(endpoint, trainer.model.config, { timeoutMs: HELPER_TIMEOUT_MS }),
          crashed,
        ]);
        crashed.catch((e: Error) => client.fail(e));
        return { client, worker };
      } catch (e) {
        worker.terminate();
        throw e;
      }
    }),
  );
  return started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
}

/** Ends a run's helpers: their workers hold a copy of the model each. */
export function stopHelpers(helpers: readonly Helper[]): void {
  for (const h of helpers) h.worker.terminate();
}
