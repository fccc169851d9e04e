import { beforeAll, describe, expect, test } from 'vitest';
import { attentionBlock } from '@/lib/reformer/blocks';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, NEIGHBOURS, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('attention', () => {
  test('LSH equals full causal attention when every position shares one bucket and one window', () => {
    const model = new ReformerLM(tinyConfig({ nBuckets: 1, chunkLength: 64, nHashes: 3, layers: ['lsh'] }));
    const x = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 3) as tf.Tensor3D;
    const w = model.layers[0].attention;
    const lsh = attentionBlock(x, w, 'lsh', model.config, undefined, {});
    const full = attentionBlock(x, w, 'full', model.config, undefined, {});
    expect(maxRelativeError(lsh.dataSync(), full.dataSync())).toBeLessThan(1e-5);
    tf.dispose([x, lsh, full]);
    model.dispose();
  });

  test('LSH with real hashing differs from full attention (the test above is not vacuous)', () => {
    const model = new ReformerLM(tinyConfig({ layers: ['lsh'] }));
    const x = tf.randomNormal([1, 48, 16], 0, 1, 'float32', 4) as tf.Tensor3D;
    const w = model.layers[0].attention;
    const lsh = attentionBlock(x, w, 'lsh', model.config, model.rotations(0), {});
    const full = attentionBlock(x, w, 'full', model.config, undefined, {});
    expect(maxRelativeError(lsh.dataSync(), full.dataSync())).toBeGreaterThan(1e-3);
    tf.dispose([x, lsh, full]);
    model.dispose();
  });

  test.each([
    ['lsh', {}],
    ['local', {}],
    ['full', {}],
    ['lsh', { neighbours: NEIGHBOURS }],
  ] as const)('%s %j is causal: changing token t never changes logits before t', (kind, over) => {
    const model = new ReformerLM(tinyConfig({ layers: [kind, kind], ...over }));
    const tokens = randomTokens(1, 48, 16, 5);
    const data = tokens.arraySync()[0];
    const before = model.forward(tokens);
    for (const t of [5, 20, 40]) {
      const changed = [...data];
      changed[t] = (changed[t] + 7) % 16;
      const other = tf.tensor2d([changed], [1, 48], 'int32');
      const after = model.forward(other);
      // logits[s] predict token s from tokens < s: positions ≤ t must not move.
      const a = before.slice([0, 0, 0], [1, t + 1, 16]);
      const b = after.slice([0, 0, 0], [1, t + 1, 16]);
      expect(maxRelativeError(a.dataSync(), b.dataSync())).toBe(0);
      const later = after.slice([0, t + 1, 0], [1, 48 - t - 1, 16]);
      const laterBefore = before.slice([0, t + 1, 0], [1, 48 - t - 1, 16]);
      expect(maxRelativeError(later.dataSync(), laterBefore.dataSync())).toBeGreaterThan(0);
      tf.dispose([other, after, a, b, later, laterBefore]);
    }
    tf.dispose([tokens, before]);
    model.dispose();
  });
});
