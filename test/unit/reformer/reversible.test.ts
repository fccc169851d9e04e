import { beforeAll, describe, expect, test } from 'vitest';
import { type LayerTape } from '@/lib/reformer/blocks';
import { ReformerLM } from '@/lib/reformer/model';
import { attentionMemory } from '@/lib/reformer/pieces';
import { reversibleForward, reversibleInverse } from '@/lib/reformer/reversible';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('reversible layers', () => {
  test('gradients equal a plain residual stack for every weight', () => {
    const config = tinyConfig({ dropout: 0.1 });
    const rev = new ReformerLM({ ...config, reversible: true });
    const plain = new ReformerLM({ ...config, reversible: false });
    const tokens = randomTokens(2, 48, 16, 9);
    const a = rev.computeGradients(tokens, { stepSeed: 11 });
    const b = plain.computeGradients(tokens, { stepSeed: 11 });
    expect(a.loss).toBeCloseTo(b.loss, 5);
    expect(rev.variables.size).toBe(44);
    for (const [name, v] of rev.variables) {
      const gA = a.grads[v.name];
      const gB = b.grads[plain.variables.get(name)!.name];
      expect(gA, name).toBeDefined();
      expect(maxRelativeError(gA.dataSync(), gB.dataSync()), name).toBeLessThan(1e-4);
    }
    tf.dispose([tokens, ...Object.values(a.grads), ...Object.values(b.grads)]);
    rev.dispose();
    plain.dispose();
  });

  test("a block's inverse reconstructs its inputs", () => {
    const model = new ReformerLM(tinyConfig({ dropout: 0.2 }));
    const x1 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 1) as tf.Tensor3D;
    const x2 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 2) as tf.Tensor3D;
    for (let i = 0; i < 3; i++) {
      const layer = model.reversibleLayer(i, model.rotations(i));
      const tape: LayerTape = { dropoutSeed: 99 };
      const y = reversibleForward(layer, { x1, x2 }, tape);
      const back = reversibleInverse(layer, y, tape);
      expect(maxRelativeError(back.x1.dataSync(), x1.dataSync())).toBeLessThan(1e-5);
      expect(maxRelativeError(back.x2.dataSync(), x2.dataSync())).toBeLessThan(1e-5);
      expect(maxRelativeError(y.x1.dataSync(), x1.dataSync())).toBeGreaterThan(1e-3);
      tf.dispose([y.x1, y.x2, back.x1, back.x2]);
    }
    tf.dispose([x1, x2]);
    model.dispose();
  });

  test.each([
    ['whole rounds', Infinity],
    ['runs of 2 chunks', 3 * 8 * 16 * 4],
  ])('training steps do not leak tensors (%s)', (_label, budget) => {
    const saved = attentionMemory.pieceScoreBytes;
    attentionMemory.pieceScoreBytes = budget;
    const model = new ReformerLM(tinyConfig({ dropout: 0.1 })); // dropout: the output's sliced mask
    const tokens = randomTokens(2, 48, 16, 9);
    const run = () => tf.dispose(Object.values(model.computeGradients(tokens, { stepSeed: 1 }).grads));
    try {
      run();
      const before = tf.memory().numTensors;
      run();
      run();
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      attentionMemory.pieceScoreBytes = saved;
      tokens.dispose();
      model.dispose();
    }
  });
});
