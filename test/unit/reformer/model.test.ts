import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { attentionMemory, attentionPieces, fullAttentionPieces } from '@/lib/reformer/pieces';
import { hashBuckets, hashingMemory, hashRotations, sortByBucket } from '@/lib/reformer/hashing';
import { attentionBlock, type LayerTape, projectionMemory } from '@/lib/reformer/blocks';
import { resolveConfig, ConfigError, unresolveConfig } from '@/lib/reformer/config';
import { ReformerDecoder } from '@/lib/reformer/decode';
import { neighbourIndex, neighbourSources } from '@/lib/reformer/embeddings';
import { ReformerLM } from '@/lib/reformer/model';
import { columnSums, dense, layerNorm } from '@/lib/reformer/ops';
import { reversibleForward, reversibleInverse } from '@/lib/reformer/reversible';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Pixel neighbours on tinyConfig's [4, 4, 3] grid: left, above, above-right, own first channel. */
const NEIGHBOURS = [
  [0, -1, 0],
  [-1, 0, 0],
  [-1, 1, 0],
  [0, 0, -2],
];

describe('config', () => {
  test('fills defaults and resolves auto buckets to about 2·L/C', () => {
    const c = resolveConfig({ seqLength: 3072, chunkLength: 64, axialShape: [32, 32, 3] });
    expect(c.nBuckets).toBe(96);
    expect(c.bucketFactors).toEqual([96]);
    expect(c.dHead).toBe(64);
  });
  test('factorises auto buckets for long sequences, and resolving a resolved config changes nothing', () => {
    const long = resolveConfig({ seqLength: 65536, chunkLength: 64, axialShape: [256, 256] });
    expect(long.bucketFactors).toEqual([32, 64]);
    expect(long.nBuckets).toBe(2048);
    expect(resolveConfig(long)).toEqual(long);
    expect(unresolveConfig(long).nBuckets).toEqual([32, 64]);
    const explicit = resolveConfig({ nBuckets: [4, 6] });
    expect([explicit.nBuckets, explicit.bucketFactors]).toEqual([24, [4, 6]]);
    const one = resolveConfig({ nBuckets: 1 });
    expect([one.nBuckets, one.bucketFactors, unresolveConfig(one).nBuckets]).toEqual([1, [1], 1]);
  });
  test.each([
    [{ dModel: 30, nHeads: 4 }, /divisible by nHeads 4; try dModel 32/],
    [{ nBuckets: 5 }, /must be 1 or an even integer.*try 6/],
    [{ nBuckets: [4, 1] }, /factor 1 must be an even integer.*try 2/],
    [{ nBuckets: [] }, /at least one factor/],
    [{ seqLength: 4096, axialShape: [32, 32, 3] }, /covers 3072 positions but seqLength is 4096/],
    [{ layers: [] }, /at least one attention kind/],
    [{ layers: ['dense' as never] }, /one of lsh, local, full/],
    [{ neighbours: [[0, 1, 0]] }, /neighbour offset \[0,1,0\].*earlier position, e.g. \[-1, 0, 0\]/],
    [{ neighbours: [[-1, 0]] }, /one integer per axis/],
    [{ neighbours: [[-32, 0, 0]] }, /earlier position/],
  ])('rejects %j with a fix', (bad, message) => {
    expect(() => resolveConfig(bad)).toThrow(ConfigError);
    expect(() => resolveConfig(bad)).toThrow(message);
  });
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

describe('ops with written-out gradients', () => {
  const x = () => tf.randomNormal([2, 5, 12], 1, 3, 'float32', 11);
  const dy = tf.randomNormal([2, 5, 12], 0, 1, 'float32', 12);
  const gamma = tf.randomNormal([12], 1, 0.5, 'float32', 13) as tf.Tensor1D;
  const beta = tf.randomNormal([12], 0, 0.5, 'float32', 14) as tf.Tensor1D;

  test('layerNorm: value and gradients equal autodiff of the formula', () => {
    const plain = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
      const { mean, variance } = tf.moments(t, 2, true);
      return tf.add(tf.mul(tf.mul(tf.sub(t, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), b);
    };
    const ours = (t: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => layerNorm(t, g as tf.Tensor1D, b as tf.Tensor1D);
    const input = x();
    expect(ours(input, gamma, beta).arraySync()).toEqual(plain(input, gamma, beta).arraySync());
    const want = tf.grads(plain)([input, gamma, beta], dy);
    const got = tf.grads(ours)([input, gamma, beta], dy);
    for (let i = 0; i < 3; i++) expect(maxRelativeError(got[i]!.dataSync(), want[i]!.dataSync())).toBeLessThan(1e-4);
  });

  test('dense with a bias: the bias gradient is the column sums of dy', () => {
    const w = tf.randomNormal([12, 12], 0, 0.3, 'float32', 15) as tf.Tensor2D;
    const input = x();
    const [, , db] = tf.grads((t: tf.Tensor, ww: tf.Tensor, b: tf.Tensor) =>
      dense(t, ww as tf.Tensor2D, b as tf.Tensor1D),
    )([input, w, beta], dy);
    expect(maxRelativeError(db!.dataSync(), tf.sum(dy, [0, 1]).dataSync())).toBeLessThan(1e-5);
    expect(columnSums(tf.tensor2d([1, 2, 3, 4, 5, 6], [3, 2])).arraySync()).toEqual([9, 12]);
  });
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

test('forwardAsync (no synchronous reads) equals forward', async () => {
  const model = new ReformerLM(tinyConfig());
  const tokens = randomTokens(2, 48, 16, 31);
  const a = model.forward(tokens);
  const b = await model.forwardAsync(tokens);
  expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
  tf.dispose([tokens, a, b]);
  model.dispose();
});

describe('attention in pieces (bounded memory)', () => {
  test('forward and gradients are the same in pieces of one group, in runs of chunks, and with the per-position passes in slices', () => {
    const config = tinyConfig({ layers: ['lsh', 'local', 'full'], nHashes: 3, dropout: 0.1 }); // dropout: slices take their part of one mask
    const tokens = randomTokens(2, 48, 16, 41);
    const run = () => {
      const model = new ReformerLM(config);
      const logits = model.forward(tokens).dataSync().slice();
      const g = model.computeGradients(tokens, { stepSeed: 2 });
      const grads = [0, 1, 2].map((i) =>
        g.grads[model.variables.get(`layers.${i}.attention.wqk`)!.name].dataSync().slice(),
      );
      tf.dispose(Object.values(g.grads));
      model.dispose();
      return { logits, grads, loss: g.loss };
    };
    const whole = run();
    expect(fullAttentionPieces(4, 48)).toEqual([[0, 4]]);
    const saved = attentionMemory.pieceScoreBytes;
    const savedSlice = projectionMemory.sliceBytes;
    projectionMemory.sliceBytes = 2 * 16 * 4 * 5; // the projections' backward in slices of 5 positions (48 = 9 × 5 + 3)
    const chunkScores = 8 * 16 * 4; // one chunk's [C, 2C] scores, C = 8
    const plan = sortByBucket(
      new Int32Array(3 * 4 * 48).map((_, i) => (i * 7) % 4),
      3,
      4,
      48,
      4,
    );
    // One group per piece: 3 rounds × 4 groups (LSH), 4 groups (full). Then a group's 6 chunks in
    // runs of 1 and of 2 (each with the chunk before it), as at 64k tokens with C 64.
    const budgets: [string, number, number][] = [
      ['one group a piece', 6 * chunkScores, 12],
      ['runs of 2 chunks', 3 * chunkScores, 3 * 4 * 3],
      ['runs of 1 chunk', 1, 3 * 4 * 6],
    ];
    try {
      for (const [label, budget, count] of budgets) {
        attentionMemory.pieceScoreBytes = budget;
        expect(attentionPieces(plan, 8), label).toHaveLength(count);
        expect(fullAttentionPieces(4, 48)).toHaveLength(4);
        const pieces = run();
        expect(maxRelativeError(pieces.logits, whole.logits), label).toBeLessThan(1e-5);
        pieces.grads.forEach((grad, i) =>
          expect(maxRelativeError(grad, whole.grads[i]), `${label}: layer ${i}`).toBeLessThan(1e-4),
        );
        expect(pieces.loss, label).toBeCloseTo(whole.loss, 5);
      }
    } finally {
      attentionMemory.pieceScoreBytes = saved;
      projectionMemory.sliceBytes = savedSlice;
    }
    tokens.dispose();
  });
});

describe('attention in pieces, padded', () => {
  test('a sequence padded to whole chunks (44 → 48) gives the same gradients in chunk runs and position slices', () => {
    const config = tinyConfig({ layers: ['lsh', 'local'], nHashes: 2, dropout: 0.1 });
    const tokens = randomTokens(3, 44, 16, 43);
    const run = () => {
      const model = new ReformerLM(config);
      const g = model.computeGradients(tokens, { stepSeed: 5 });
      const grads = [0, 1].map((i) =>
        g.grads[model.variables.get(`layers.${i}.attention.wqk`)!.name].dataSync().slice(),
      );
      tf.dispose(Object.values(g.grads));
      model.dispose();
      return { grads, loss: g.loss };
    };
    const whole = run();
    const [savedScores, savedSlice] = [attentionMemory.pieceScoreBytes, projectionMemory.sliceBytes];
    attentionMemory.pieceScoreBytes = 1; // runs of one chunk
    projectionMemory.sliceBytes = 3 * 16 * 4 * 5; // slices of 5 positions: 44 = 8 × 5 + 4
    try {
      const pieces = run();
      pieces.grads.forEach((grad, i) =>
        expect(maxRelativeError(grad, whole.grads[i]), `layer ${i}`).toBeLessThan(1e-4),
      );
      expect(pieces.loss).toBeCloseTo(whole.loss, 5);
    } finally {
      attentionMemory.pieceScoreBytes = savedScores;
      projectionMemory.sliceBytes = savedSlice;
    }
    tokens.dispose();
  });
});

test('hashing in row blocks gives the same buckets as hashing all rows at once', () => {
  const qk = tf.randomNormal([300, 8], 0, 1, 'float32', 5) as tf.Tensor2D;
  const rot = hashRotations(8, 3, [16], 9);
  const whole = hashBuckets(qk, rot, 3, [16]);
  const saved = hashingMemory.blockBytes;
  hashingMemory.blockBytes = 4 * 3 * 16 * 7; // 7 rows per block
  try {
    expect(Array.from(hashBuckets(qk, rot, 3, [16]))).toEqual(Array.from(whole));
  } finally {
    hashingMemory.blockBytes = saved;
  }
  expect(new Set(whole).size).toBeGreaterThan(8); // many buckets used: the comparison is not vacuous
  tf.dispose([qk, rot]);
});

test("factorised hashing: a round's bucket is the first factor's bucket + f1 × the second's, each hashed on its own columns", () => {
  const qk = tf.randomNormal([200, 8], 0, 1, 'float32', 6) as tf.Tensor2D;
  const rot = hashRotations(8, 2, [4, 6], 3); // per round: 2 columns for f1 = 4, then 3 for f2 = 6
  expect(rot.shape).toEqual([8, 2 * 5]);
  const buckets = hashBuckets(qk, rot, 2, [4, 6]);
  const columns = (round: number, from: number, n: number) => rot.slice([0, round * 5 + from], [8, n]) as tf.Tensor2D;
  for (let r = 0; r < 2; r++) {
    const a = hashBuckets(qk, columns(r, 0, 2), 1, [4]);
    const b = hashBuckets(qk, columns(r, 2, 3), 1, [6]);
    const combined = Array.from(a, (x, i) => x + 4 * b[i]);
    expect(Array.from(buckets.subarray(r * 200, (r + 1) * 200))).toEqual(combined);
  }
  expect(new Set(buckets).size).toBeGreaterThan(16); // most of the 24 buckets are used
  expect(Math.max(...buckets)).toBeLessThan(24);
  tf.dispose([qk, rot]);
});
