/**
 * A gradient helper in a Web Worker: the training worker (its helper pool, training/helpers.ts) starts one per spare
 * core and splits each batch with them (lib/training/gradient-service.ts). Each runs its own WASM
 * backend, single-threaded like the trainer's.
 */
import { type HelperMessage, serveGradients } from '@/lib/training/gradient-service';
import { selectBackend } from './backends';

const scope = globalThis as unknown as {
  postMessage(m: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (e: MessageEvent<HelperMessage>) => void): void;
};

serveGradients(
  {
    post: (m, transfer = []) => scope.postMessage(m, transfer),
    listen: (handler) => scope.addEventListener('message', (e) => handler(e.data)),
  },
  async () => {
    await selectBackend({ force: 'wasm' });
  },
);
