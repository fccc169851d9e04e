/** A gradient helper in a Node worker thread (threads.ts, gradient-service.ts). */
import '@tensorflow/tfjs-backend-wasm';
import { parentPort, workerData } from 'node:worker_threads';
import * as tf from '../reformer/tf';
import { type HelperMessage, serveGradients } from '../training/gradient-service';
import type { ThreadInit } from './threads';

const port = parentPort!;
serveGradients(
  {
    post: (m, transfer) => port.postMessage(m, transfer),
    listen: (handler) => port.on('message', (m: HelperMessage) => handler(m)),
  },
  async () => {
    await tf.setBackend((workerData as ThreadInit).backend);
    await tf.ready();
  },
);
