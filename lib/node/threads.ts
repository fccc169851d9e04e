/**
 * Data-parallel training on the cores of one machine (Node): worker threads, each with its own
 * WASM backend and a replica of the model, compute the gradients of their share of each batch
 * while the calling thread computes its own (`Trainer.trainStepParallel`). tfjs-wasm runs one
 * thread per backend here, so this is how `npm run train` uses more than one core.
 */
import { Worker } from 'node:worker_threads';
import type { ReformerConfig } from '../reformer/config';
import { type Endpoint, GradientClient, type HelperMessage, type HelperReply } from '../training/gradient-service';
import type { GradientHelper } from '../training/trainer';

export interface ThreadInit {
  backend: string;
}

async function startThread(
  config: Partial<ReformerConfig>,
  backend: string,
): Promise<{ client: GradientClient; worker: Worker }> {
  const worker = new Worker(new URL('./gradient-thread.mjs', import.meta.url), {
    workerData: { backend } satisfies ThreadInit,
  });
  const endpoint: Endpoint = {
    post: (m, transfer) => worker.postMessage(m, transfer),
    listen: (handler) => worker.on('message', (m: HelperMessage | HelperReply) => handler(m)),
  };
  const died = new Promise<never>((_, reject) => {
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`gradient thread exited (code ${code})`)));
  });
  const client = await Promise.race([GradientClient.start(endpoint, config), died]);
  died.catch((e: Error) => client.fail(e));
  return { client, worker };
}

/** `count` gradient threads for a model of this config, started and ready. */
export async function startGradientThreads(
  count: number,
  config: Partial<ReformerConfig>,
  backend: string,
): Promise<{ helpers: GradientHelper[]; close(): Promise<void> }> {
  const threads = await Promise.all(Array.from({ length: count }, () => startThread(config, backend)));
  return {
    helpers: threads.map((t) => t.client),
    close: async () => {
      for (const t of threads) t.worker.removeAllListeners('exit');
      await Promise.all(threads.map((t) => t.worker.terminate()));
    },
  };
}
