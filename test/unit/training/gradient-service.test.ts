import { beforeAll, expect, test } from 'vitest';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { GradientClient, serveGradients } from '@/lib/training/gradient-service';
import { tinyConfig } from '../reformer/helpers';
import { pair } from './endpoints';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('a helper answers with the loss and gradients the model computes here', async () => {
  const model = new ReformerLM(tinyConfig({ layers: ['lsh', 'local'] }));
  const [trainerEnd, helperEnd] = pair();
  serveGradients(helperEnd, async () => {});
  const client = await GradientClient.start(trainerEnd, model.config);
  const weights = Object.fromEntries([...model.variables].map(([name, v]) => [name, v.dataSync() as Float32Array]));
  const rows = Int32Array.from({ length: 2 * 48 }, (_, i) => (i * 7) % 16);
  const remote = await client.gradients(weights, rows, 2, 11);
  const local = model.computeGradients(tf.tensor2d(rows, [2, 48], 'int32'), { stepSeed: 11 });
  expect(remote.loss).toBeCloseTo(local.loss, 6);
  for (const [name, v] of model.variables) expect([...remote.grads[name]]).toEqual([...local.grads[v.name].dataSync()]);
  model.dispose();
});

test('a request the helper cannot serve rejects with its reason; a helper that cannot start says why', async () => {
  const model = new ReformerLM(tinyConfig());
  const [trainerEnd, helperEnd] = pair();
  serveGradients(helperEnd, async () => {});
  const client = await GradientClient.start(trainerEnd, model.config);
  await expect(client.gradients({}, new Int32Array(48), 1, 1)).rejects.toThrow(
    /gradient helper: weights for ".*" are missing/,
  );

  const [a, b] = pair();
  serveGradients(b, async () => {
    throw new Error('no WebAssembly here');
  });
  await expect(GradientClient.start(a, model.config)).rejects.toThrow(
    'gradient helper failed to start: no WebAssembly here',
  );
  model.dispose();
});

test('a helper that stops answering fails the request after the timeout, and every later one at once', async () => {
  const model = new ReformerLM(tinyConfig());
  const [trainerEnd, helperEnd] = pair();
  // Ready, then silent: a Web Worker that died without an error event.
  helperEnd.listen((m) => m.type === 'init' && helperEnd.post({ type: 'ready' }));
  const client = await GradientClient.start(trainerEnd, model.config, { timeoutMs: 50 });
  await expect(client.gradients({}, new Int32Array(48), 1, 1)).rejects.toThrow(
    /did not answer within 1 s and is taken for dead.*resume it from its last checkpoint/,
  );
  const started = Date.now();
  await expect(client.gradients({}, new Int32Array(48), 1, 2)).rejects.toThrow(/taken for dead/);
  expect(Date.now() - started).toBeLessThan(50);
  model.dispose();
});
