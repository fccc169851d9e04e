import '@tensorflow/tfjs-backend-wasm';
import { afterAll, expect, test } from 'vitest';
import { ReformerDecoder } from '@/lib/reformer/decode';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, randomTokens, tinyConfig } from './helpers';

afterAll(async () => {
  await tf.setBackend('cpu');
});

async function run(backend: string) {
  await tf.setBackend(backend);
  await tf.ready();
  const model = new ReformerLM(tinyConfig());
  const tokens = randomTokens(2, 48, 16, 8);
  const logits = model.forward(tokens);
  const forward = logits.dataSync().slice();
  const grads = model.computeGradients(tokens, { stepSeed: 5 });
  const gradW = grads.grads[model.variables.get('layers.0.attention.wqk')!.name].dataSync().slice();
  const decoder = new ReformerDecoder(model, 2);
  const first = await decoder.step();
  const second = await decoder.step([3, 4]);
  decoder.dispose();
  tf.dispose([tokens, logits, ...Object.values(grads.grads)]);
  model.dispose();
  return { forward, gradW, loss: grads.loss, first, second };
}

test('wasm agrees with cpu on the forward pass, the gradients and decode steps', async () => {
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  expect(tf.getBackend()).toBe('wasm');
  expect(maxRelativeError(wasm.forward, cpu.forward)).toBeLessThan(1e-4);
  expect(maxRelativeError(wasm.gradW, cpu.gradW)).toBeLessThan(1e-3);
  expect(wasm.loss).toBeCloseTo(cpu.loss, 4);
  expect(maxRelativeError(wasm.first, cpu.first)).toBeLessThan(1e-4);
  expect(maxRelativeError(wasm.second, cpu.second)).toBeLessThan(1e-4);
});
