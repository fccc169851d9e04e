import { beforeAll, describe, expect, test } from 'vitest';
import { ReformerDecoder } from '@/lib/reformer/decode';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, NEIGHBOURS, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('cached decoding', () => {
  test.each([
    ['full', {}],
    ['local', {}],
    ['lsh', {}],
    ['lsh', { nBuckets: 1 }],
    ['lsh', { nBuckets: [4, 6] as number[] }],
    ['lsh', { neighbours: NEIGHBOURS }],
  ] as const)('%s %j: decoding step by step reproduces the forward pass logits', async (kind, over) => {
    const model = new ReformerLM(tinyConfig({ layers: [kind, kind], ...over }));
    const tokens = randomTokens(3, 48, 16, 21);
    const logits = model.forward(tokens);
    const expected = logits.arraySync();
    const rows = tokens.arraySync();
    const decoder = new ReformerDecoder(model, 3);
    const before = tf.memory().numTensors;
    let worst = 0;
    for (let t = 0; t < 48; t++) {
      const step = await decoder.step(t === 0 ? undefined : rows.map((r) => r[t - 1]));
      for (let b = 0; b < 3; b++) {
        const got = step.subarray(b * 16, (b + 1) * 16);
        worst = Math.max(worst, maxRelativeError(got, Float32Array.from(expected[b][t])));
      }
    }
    expect(worst).toBeLessThan(1e-4);
    expect(tf.memory().numTensors).toBe(before);
    await expect(decoder.step([1, 2, 3])).rejects.toThrow(/sequence is complete/);
    decoder.dispose();
    tf.dispose([tokens, logits]);
    model.dispose();
  });
});
