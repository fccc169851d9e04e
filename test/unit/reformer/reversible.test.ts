import { beforeAll, describe, expect, test } from 'vitest';
import { type LayerTape } from '@/lib/reformer/blocks';
import { ReformerLM } from '@/lib/reformer/model';
import { attentionMemory } from '@/lib/reformer/pieces';
import {
  plainResidualForward,
  reversibleBackward,
  reversibleForward,
  reversibleInverse,
} from '@/lib/reformer/reversible';
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

describe('reversible layers against the plain residual reference, layer by layer', () => {
  test('a stack of reversible layers computes what the plain residual stack computes', () => {
    const model = new ReformerLM(tinyConfig({ dropout: 0.1 }));
    const layers = [0, 1, 2].map((i) => model.reversibleLayer(i, model.rotations(i)));
    const tapes: LayerTape[] = layers.map((_, i) => ({ dropoutSeed: 30 + i }));
    const x1 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 81) as tf.Tensor3D;
    const x2 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 82) as tf.Tensor3D;
    let h = { x1, x2 };
    for (let i = 0; i < layers.length; i++) {
      const next = reversibleForward(layers[i]!, h, tapes[i]!);
      if (i > 0) tf.dispose([h.x1, h.x2]);
      h = next;
    }
    const ref = tf.tidy(() => ({ ...plainResidualForward(layers, { x1, x2 }, tapes) }));
    expect(maxRelativeError(h.x1.dataSync(), ref.x1.dataSync())).toBeLessThan(1e-6);
    expect(maxRelativeError(h.x2.dataSync(), ref.x2.dataSync())).toBeLessThan(1e-6);
    expect(maxRelativeError(h.x1.dataSync(), x1.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x1, x2, h.x1, h.x2, ref.x1, ref.x2]);
    model.dispose();
  });

  test.each([0, 1, 2])(
    "layer %i's backward pass rebuilds its inputs and gives autodiff's gradients of the plain residual layer",
    (i) => {
      const model = new ReformerLM(tinyConfig({ dropout: 0.1 }));
      const layer = model.reversibleLayer(i, model.rotations(i));
      const tape: LayerTape = { dropoutSeed: 40 + i };
      const x1 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 83) as tf.Tensor3D;
      const x2 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 84) as tf.Tensor3D;
      const dy1 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 85) as tf.Tensor3D;
      const dy2 = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 86) as tf.Tensor3D;
      const y = reversibleForward(layer, { x1, x2 }, tape);
      const back = reversibleBackward(layer, y, { x1: dy1, x2: dy2 }, tape, new Map());

      // The reference: autodiff through the plain residual layer, for the inputs and every weight.
      const loss = (a: tf.Tensor, b: tf.Tensor) => {
        const o = plainResidualForward([layer], { x1: a as tf.Tensor3D, x2: b as tf.Tensor3D }, [tape]);
        return tf.add(tf.sum(tf.mul(o.x1, dy1)), tf.sum(tf.mul(o.x2, dy2))) as tf.Scalar;
      };
      const [dx1, dx2] = tf.grads(loss)([x1, x2]);
      const variables = [...layer.fVariables, ...layer.gVariables];
      const { grads: dw } = tf.variableGrads(() => loss(x1, x2), variables);

      expect(maxRelativeError(back.inputs.x1.dataSync(), x1.dataSync())).toBeLessThan(1e-5);
      expect(maxRelativeError(back.inputs.x2.dataSync(), x2.dataSync())).toBeLessThan(1e-5);
      expect(maxRelativeError(back.dInputs.x1.dataSync(), dx1!.dataSync())).toBeLessThan(1e-4);
      expect(maxRelativeError(back.dInputs.x2.dataSync(), dx2!.dataSync())).toBeLessThan(1e-4);
      expect(back.grads.size).toBe(variables.length);
      for (const v of variables)
        expect(maxRelativeError(back.grads.get(v.name)!.dataSync(), dw[v.name]!.dataSync()), v.name).toBeLessThan(1e-4);
      tf.dispose([x1, x2, dy1, dy2, y.x1, y.x2, dx1!, dx2!, ...Object.values(dw)]);
      tf.dispose([back.inputs.x1, back.inputs.x2, back.dInputs.x1, back.dInputs.x2, ...back.grads.values()]);
      model.dispose();
    },
  );
});
