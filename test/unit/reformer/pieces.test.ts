import { beforeAll, describe, expect, test } from 'vitest';
import { attendInPieces, attendRounds, fullAttention } from '@/lib/reformer/attention';
import { projectionMemory } from '@/lib/reformer/blocks';
import { sortByBucket } from '@/lib/reformer/hashing';
import { ReformerLM } from '@/lib/reformer/model';
import { attentionMemory, attentionPieces, fullAttentionPieces } from '@/lib/reformer/pieces';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
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

describe('attention forward in pieces, function by function', () => {
  const [R, G, L, D, C] = [3, 4, 32, 8, 8];
  const chunkScores = C * 2 * C * 4; // one chunk's [C, 2C] scores in bytes
  const plan = sortByBucket(
    Int32Array.from({ length: R * G * L }, (_, i) => (i * 3 + (i >> 3)) % 4),
    R,
    G,
    L,
    4,
  );

  test.each([
    ['two groups a piece', 2 * (L / C) * chunkScores, R * 2],
    ['one group a piece', (L / C) * chunkScores, R * G],
    ['runs of 2 chunks', 3 * chunkScores, R * G * 2],
    ['runs of 1 chunk', 1, R * G * (L / C)],
  ])('%s: every round and group is covered once, and out and lse equal attendRounds whole', (label, budget, count) => {
    const qk = tf.randomNormal([G, L, D], 0, 1, 'float32', 71) as tf.Tensor3D;
    const v = tf.randomNormal([G, L, D], 0, 1, 'float32', 72) as tf.Tensor3D;
    const whole = attendRounds(qk, v, plan, C);
    const saved = attentionMemory.pieceScoreBytes;
    attentionMemory.pieceScoreBytes = budget;
    try {
      const pieces = attentionPieces(plan, C);
      expect(pieces, label).toHaveLength(count);
      // Each (round, group, chunk) exactly once.
      const covered = new Map<string, number>();
      for (const p of pieces)
        for (let g = p.g0; g < p.g1; g++)
          for (let c = p.chunks?.c0 ?? 0; c < (p.chunks?.c1 ?? L / C); c++) {
            const key = `${p.round}/${g}/${c}`;
            covered.set(key, (covered.get(key) ?? 0) + 1);
          }
      expect(covered.size).toBe(R * G * (L / C));
      expect(Math.max(...covered.values())).toBe(1);
      const before = tf.memory().numTensors;
      const { out, lse } = attendInPieces(qk, v, plan, C);
      expect(tf.memory().numTensors).toBe(before + 2);
      expect(out.shape).toEqual([R, G, L, D]);
      expect(lse.shape).toEqual([R, G, L, 1]);
      expect(maxRelativeError(out.dataSync(), whole.out.dataSync()), label).toBeLessThan(1e-6);
      expect(maxRelativeError(lse.dataSync(), whole.lse.dataSync()), label).toBeLessThan(1e-6);
      tf.dispose([out, lse]);
    } finally {
      attentionMemory.pieceScoreBytes = saved;
      tf.dispose([qk, v, whole.out, whole.lse]);
    }
  });

  test('full attention a group at a time equals full attention on all groups at once', () => {
    const qk = tf.randomNormal([G, L, D], 0, 1, 'float32', 73) as tf.Tensor3D;
    const v = tf.randomNormal([G, L, D], 0, 1, 'float32', 74) as tf.Tensor3D;
    const whole = fullAttention(qk, v);
    const saved = attentionMemory.pieceScoreBytes;
    attentionMemory.pieceScoreBytes = L * L * 4; // one group's [L, L] scores
    try {
      expect(fullAttentionPieces(G, L)).toEqual([
        [0, 1],
        [1, 2],
        [2, 3],
        [3, 4],
      ]);
      const before = tf.memory().numTensors;
      const pieces = fullAttention(qk, v);
      expect(tf.memory().numTensors).toBe(before + 1);
      expect(maxRelativeError(pieces.dataSync(), whole.dataSync())).toBeLessThan(1e-6);
      pieces.dispose();
    } finally {
      attentionMemory.pieceScoreBytes = saved;
      tf.dispose([qk, v, whole]);
    }
  });
});
