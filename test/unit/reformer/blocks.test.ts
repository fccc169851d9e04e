import { beforeAll, expect, test } from 'vitest';
import { feedForwardBlock, feedForwardChunks } from '@/lib/reformer/blocks';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('the feed-forward in chunks of positions equals the feed-forward over the whole sequence at once', () => {
  expect(feedForwardChunks(48, 20)).toEqual([
    [0, 20],
    [20, 20],
    [40, 8],
  ]);
  const model = new ReformerLM(tinyConfig());
  const w = model.layers[0].feedForward;
  const x = tf.randomNormal([2, 48, 16], 0, 1, 'float32', 101) as tf.Tensor3D;
  const whole = feedForwardBlock(x, w, { ...model.config, ffChunkLength: 48 }, {});
  for (const ffChunkLength of [16, 20, 1]) {
    const before = tf.memory().numTensors;
    const chunked = feedForwardBlock(x, w, { ...model.config, ffChunkLength }, {});
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(maxRelativeError(chunked.dataSync(), whole.dataSync()), `chunks of ${ffChunkLength}`).toBeLessThan(1e-6);
    chunked.dispose();
  }
  expect(maxRelativeError(whole.dataSync(), x.dataSync())).toBeGreaterThan(1e-3);
  tf.dispose([x, whole]);
  model.dispose();
});
