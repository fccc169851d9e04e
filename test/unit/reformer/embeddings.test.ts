import { beforeAll, expect, test } from 'vitest';
import { axialPositionTable, neighbourIndex, neighbourSources } from '@/lib/reformer/embeddings';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, NEIGHBOURS, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

test('neighbour sources: the target each offset reads on a [4, 4, 3] grid, −1 off the image', () => {
  // Target 20 is pixel (1, 2), channel 2.
  expect(neighbourSources([4, 4, 3], NEIGHBOURS, 20)).toEqual([17, 8, 11, 18]);
  // Pixel (0, 3), channel 1: no left-of-left, nothing above, no channel −1.
  expect(neighbourSources([4, 4, 3], NEIGHBOURS, 10)).toEqual([7, -1, -1, -1]);
  // Pixel (1, 3): above-right falls off the right edge.
  expect(neighbourSources([4, 4, 3], [[-1, 1, 0]], 21)).toEqual([-1]);
  expect(neighbourIndex([4, 4, 3], NEIGHBOURS, 48).map((index) => index[20])).toEqual([17, 8, 11, 18]);
});

test('gradients reach every neighbour table and equal a plain residual stack', () => {
  const config = tinyConfig({ neighbours: NEIGHBOURS });
  const rev = new ReformerLM({ ...config, reversible: true });
  const plain = new ReformerLM({ ...config, reversible: false });
  const tokens = randomTokens(2, 48, 16, 9);
  const a = rev.computeGradients(tokens, { stepSeed: 3 });
  const b = plain.computeGradients(tokens, { stepSeed: 3 });
  expect(a.loss).toBeCloseTo(b.loss, 5);
  for (let k = 0; k < NEIGHBOURS.length; k++) {
    const name = `embed.neighbours.${k}`;
    const gA = a.grads[rev.variables.get(name)!.name].dataSync();
    expect(Math.max(...gA.map(Math.abs)), name).toBeGreaterThan(0);
    expect(maxRelativeError(gA, b.grads[plain.variables.get(name)!.name].dataSync()), name).toBeLessThan(1e-4);
  }
  tf.dispose([tokens, ...Object.values(a.grads), ...Object.values(b.grads)]);
  rev.dispose();
  plain.dispose();
});

test('the axial position table is each position’s axis rows concatenated, and its gradient that of tfjs’s own broadcast', () => {
  const shape = [4, 3, 2];
  const widths = [2, 3, 1];
  const tables = shape.map((n, k) => tf.randomNormal([n, widths[k]!], 0, 1, 'float32', 90 + k) as tf.Tensor2D);
  const rows = tables.map((t) => t.arraySync());
  const length = 20; // fewer than the grid's 24 positions: the table is cut
  const table = axialPositionTable(tables, length);
  expect(table.shape).toEqual([length, 6]);
  const want = Array.from({ length }, (_, p) => {
    const index = [Math.floor(p / 6), Math.floor(p / 2) % 3, p % 2]; // row-major over [4, 3, 2]
    return index.flatMap((i, k) => rows[k]![i]!);
  });
  expect(table.arraySync()).toEqual(want);

  const dy = tf.randomNormal([length, 6], 0, 1, 'float32', 95);
  const reference = (...ts: tf.Tensor[]) => {
    const parts = ts.map((t, k) =>
      tf.broadcastTo(t.reshape([...shape.map((n, j) => (j === k ? n : 1)), widths[k]!]), [...shape, widths[k]!]),
    );
    return tf.concat(parts, 3).reshape([24, 6]).slice([0, 0], [length, 6]);
  };
  const got = tf.grads((...ts: tf.Tensor[]) => axialPositionTable(ts as tf.Tensor2D[], length))(tables, dy);
  const expected = tf.grads(reference)(tables, dy);
  got.forEach((g, k) =>
    expect(maxRelativeError(g.dataSync(), expected[k]!.dataSync()), `axis ${k}`).toBeLessThan(1e-6),
  );
  tf.dispose([...tables, table, dy, ...got, ...expected]);
});
