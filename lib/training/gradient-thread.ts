/**
 * A worker thread that computes gradients for `Trainer.trainStepParallel` (Node; see threads.ts):
 * it holds a replica of the model, takes the weights and its rows of each batch, and answers with
 * the loss and the gradients.
 */
import '@tensorflow/tfjs-backend-wasm';
import { parentPort, workerData } from 'node:worker_threads';
import { ReformerLM } from '../reformer/model';
import * as tf from '../reformer/tf';
import type { GradientRequest, GradientResponse, ThreadInit } from './threads';

const { config, backend } = workerData as ThreadInit;

async function main() {
  await tf.setBackend(backend);
  await tf.ready();
  const model = new ReformerLM(config);
  const port = parentPort!;
  port.on('message', (request: GradientRequest) => {
    try {
      for (const [name, v] of model.variables) {
        const values = request.weights[name];
        if (!values || values.length !== v.size) throw new Error(`weights for "${name}" are missing or of the wrong size`);
        tf.tidy(() => v.assign(tf.tensor(values, v.shape)));
      }
      const tokens = tf.tensor2d(request.tokens, [request.rows, model.config.seqLength], 'int32');
      const { loss, grads } = model.computeGradients(tokens, { stepSeed: request.stepSeed });
      tokens.dispose();
      const out: Record<string, Float32Array> = {};
      for (const [name, v] of model.variables) {
        out[name] = grads[v.name].dataSync() as Float32Array;
        grads[v.name].dispose();
      }
      const response: GradientResponse = { id: request.id, loss, grads: out };
      port.postMessage(response, Object.values(out).map((a) => a.buffer as ArrayBuffer));
    } catch (e) {
      const response: GradientResponse = { id: request.id, error: e instanceof Error ? e.message : String(e) };
      port.postMessage(response);
    }
  });
  port.postMessage({ ready: true });
}

main().catch((e: unknown) => {
  parentPort!.postMessage({ ready: false, error: e instanceof Error ? e.message : String(e) });
});
