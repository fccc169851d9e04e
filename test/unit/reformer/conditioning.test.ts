import { beforeAll, describe, expect, test } from 'vitest';
import { ConfigError, resolveConfig } from '@/lib/reformer/config';
import { ReformerDecoder } from '@/lib/reformer/decode';
import { generate } from '@/lib/reformer/generate';
import { guidedLogits } from '@/lib/reformer/guidance';
import { ReformerLM } from '@/lib/reformer/model';
import { createRng } from '@/lib/reformer/random';
import { sampleFromLogits, type SamplingOptions } from '@/lib/reformer/sampling';
import { modelArtifacts, modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { maxRelativeError, randomTokens, tinyConfig } from './helpers';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const CLASSES = 3;
const NO_CLASS = CLASSES;
const conditional = (over = {}) =>
  tinyConfig({
    classes: CLASSES,
    neighbours: [
      [-1, 0, 0],
      [0, -1, 0],
    ],
    ...over,
  });
const SAMPLING: SamplingOptions = { temperature: 1, topK: 0, topP: 1 };

async function logitsAt(model: ReformerLM, tokens: tf.Tensor2D, classIds?: Int32Array): Promise<Float32Array> {
  const logits = model.forward(tokens, { classIds });
  const data = (await logits.data()) as Float32Array;
  logits.dispose();
  return data;
}

describe('class embedding', () => {
  test('the config takes a class count and refuses a bad one with a fix', () => {
    expect(resolveConfig(tinyConfig()).classes).toBe(0);
    expect(resolveConfig(conditional()).classes).toBe(CLASSES);
    expect(() => resolveConfig(tinyConfig({ classes: -1 }))).toThrow(ConfigError);
    expect(() => resolveConfig(tinyConfig({ classes: 2.5 }))).toThrow(/classes 2.5 must be a whole number/);
  });

  test('the table has a row per class and one for "no class", and the class changes the logits', async () => {
    const model = new ReformerLM(conditional());
    expect(model.weight('embed.classes').shape).toEqual([CLASSES + 1, 16]);
    const tokens = randomTokens(1, 48, 16, 3);
    const a = await logitsAt(model, tokens, Int32Array.of(0));
    const b = await logitsAt(model, tokens, Int32Array.of(1));
    const none = await logitsAt(model, tokens, Int32Array.of(NO_CLASS));
    expect(maxRelativeError(a, b)).toBeGreaterThan(1e-3);
    // Omitted ids are "no class".
    expect(Array.from(await logitsAt(model, tokens))).toEqual(Array.from(none));
    tokens.dispose();
    model.dispose();
  });

  test('an invalid class id throws a clear error, as does one given to an unconditional model', () => {
    const model = new ReformerLM(conditional());
    const plain = new ReformerLM(tinyConfig());
    const tokens = randomTokens(2, 48, 16, 4);
    expect(() => model.forward(tokens, { classIds: Int32Array.of(0, 4) })).toThrow(
      /class id 4 \(sequence 1\) is not a class of this model: use 0 to 2, or 3 for "no class"/,
    );
    expect(() => model.forward(tokens, { classIds: Int32Array.of(0) })).toThrow(/1 class ids for 2 sequences/);
    expect(() => model.computeGradients(tokens, { classIds: Int32Array.of(-1, 0) })).toThrow(/class id -1/);
    expect(() => new ReformerDecoder(model, 1, Int32Array.of(9))).toThrow(/class id 9/);
    expect(() => plain.forward(tokens, { classIds: Int32Array.of(0, 0) })).toThrow(/unconditional/);
    tokens.dispose();
    model.dispose();
    plain.dispose();
  });

  test('the cached decoder equals the forward pass with a class and with "no class"', async () => {
    const model = new ReformerLM(conditional());
    const tokens = randomTokens(2, 48, 16, 5);
    const classIds = Int32Array.of(1, NO_CLASS);
    const full = await logitsAt(model, tokens, classIds); // [2, 48, 16]
    const rows = (await tokens.array()) as number[][];
    const decoder = new ReformerDecoder(model, 2, classIds);
    const V = 16;
    let worst = 0;
    for (let t = 0; t < 48; t++) {
      const step = await decoder.step(t === 0 ? undefined : [rows[0][t - 1], rows[1][t - 1]]);
      for (let b = 0; b < 2; b++) {
        const expected = full.subarray((b * 48 + t) * V, (b * 48 + t + 1) * V);
        worst = Math.max(worst, maxRelativeError(step.subarray(b * V, (b + 1) * V), expected));
      }
    }
    expect(worst).toBeLessThan(1e-4);
    decoder.dispose();
    tokens.dispose();
    model.dispose();
  });

  test('the class table gradient: the reversible path agrees with autodiff and with finite differences', async () => {
    const tokens = randomTokens(2, 48, 16, 6);
    const classIds = Int32Array.of(2, 0);
    const reversible = new ReformerLM(conditional({ reversible: true }));
    const plain = new ReformerLM(conditional({ reversible: false }));
    const gradOf = (m: ReformerLM) => {
      const { grads } = m.computeGradients(tokens, { classIds });
      const g = grads[m.weight<tf.Variable>('embed.classes').name].dataSync() as Float32Array;
      tf.dispose(Object.values(grads));
      return g;
    };
    const gRev = gradOf(reversible);
    const gPlain = gradOf(plain);
    expect(maxRelativeError(gRev, gPlain)).toBeLessThan(1e-3);
    // Rows of classes no sequence has get no gradient; used rows do.
    const d = 16;
    const rowNorm = (r: number) => gRev.subarray(r * d, (r + 1) * d).reduce((n, v) => n + Math.abs(v), 0);
    expect(rowNorm(1)).toBe(0);
    expect(rowNorm(NO_CLASS)).toBe(0);
    expect(rowNorm(2)).toBeGreaterThan(0);

    // Central differences on the entry with the largest gradient.
    let k = 0;
    for (let i = 0; i < gRev.length; i++) if (Math.abs(gRev[i]) > Math.abs(gRev[k])) k = i;
    const table = reversible.weight<tf.Variable>('embed.classes');
    const original = table.dataSync().slice() as Float32Array;
    const lossWith = (delta: number) => {
      const nudged = original.slice();
      nudged[k] += delta;
      table.assign(tf.tensor(nudged, table.shape));
      return reversible.evaluate(tokens, classIds);
    };
    const eps = 1e-2;
    const numeric = (lossWith(eps) - lossWith(-eps)) / (2 * eps);
    table.assign(tf.tensor(original, table.shape));
    expect(Math.abs(numeric - gRev[k])).toBeLessThan(0.05 * Math.abs(gRev[k]) + 1e-4);
    tokens.dispose();
    reversible.dispose();
    plain.dispose();
  });

  test('save and load keep the classes and the table; a model saved before classes existed still loads', async () => {
    const model = new ReformerLM(conditional());
    const tokens = randomTokens(1, 48, 16, 8);
    const { model: loaded } = modelFromArtifacts(await modelArtifacts(model));
    expect(loaded.config.classes).toBe(CLASSES);
    expect(Array.from(loaded.weight('embed.classes').dataSync())).toEqual(
      Array.from(model.weight('embed.classes').dataSync()),
    );
    const classIds = Int32Array.of(1);
    expect(Array.from(await logitsAt(loaded, tokens, classIds))).toEqual(
      Array.from(await logitsAt(model, tokens, classIds)),
    );

    const plain = new ReformerLM(tinyConfig());
    const old = await modelArtifacts(plain);
    const topology = old.modelTopology as unknown as { config: Record<string, unknown> };
    delete topology.config.classes; // as written before the field existed
    const { model: reloaded } = modelFromArtifacts(old);
    expect(reloaded.config.classes).toBe(0);
    expect(reloaded.variables.has('embed.classes')).toBe(false);
    [tokens, model, loaded, plain, reloaded].forEach((t) => t.dispose());
  });
});

describe('classifier-free guidance', () => {
  async function run(model: ReformerLM, opts: Partial<Parameters<typeof generate>[1]>): Promise<number[][]> {
    const rows: number[][] = [[], []];
    for await (const step of generate(model, { batch: 2, seed: 11, sampling: SAMPLING, ...opts }))
      rows.forEach((row, b) => row.push(step.tokens[b]));
    return rows;
  }

  /** Sampling driven by hand: one decoder of `classIds.length` rows, the logits combined by `combine`. */
  async function byHand(
    model: ReformerLM,
    classIds: Int32Array,
    combine: (logits: Float32Array) => Float32Array,
  ): Promise<number[][]> {
    const B = 2;
    const root = createRng(11);
    const rngs = [root.fork(0), root.fork(1)];
    const decoder = new ReformerDecoder(model, classIds.length, classIds);
    const rows: number[][] = [[], []];
    let logits = combine(await decoder.step());
    for (let t = 0; t < 48; t++) {
      const tokens = sampleFromLogits(logits, B, 16, SAMPLING, rngs);
      rows.forEach((row, b) => row.push(tokens[b]));
      if (t + 1 < 48) {
        const fed = classIds.length === B ? tokens : Int32Array.from([...tokens, ...tokens]);
        logits = combine(await decoder.step(fed));
      }
    }
    decoder.dispose();
    return rows;
  }

  test('guidance s = 0 equals plain conditional sampling, also when both streams are decoded', async () => {
    const model = new ReformerLM(conditional());
    const plain = await byHand(model, Int32Array.of(1, 1), (l) => l);
    // Both streams side by side ([class, class, none, none]), combined at s = 0.
    const doubled = await byHand(model, Int32Array.of(1, 1, NO_CLASS, NO_CLASS), (l) => guidedLogits(l, 2, 16, 0));
    expect(doubled).toEqual(plain);
    expect(await run(model, { classId: 1, guidance: 0 })).toEqual(plain);
    expect(await run(model, { classId: 1 })).toEqual(plain);
    model.dispose();
  });

  test('guided sampling combines cond + s·(cond − uncond), is reproducible by seed, and differs from plain', async () => {
    const model = new ReformerLM(conditional());
    const s = 1.5;
    const a = await run(model, { classId: 2, guidance: s });
    expect(await run(model, { classId: 2, guidance: s })).toEqual(a);
    const byFormula = await byHand(model, Int32Array.of(2, 2, NO_CLASS, NO_CLASS), (l) => guidedLogits(l, 2, 16, s));
    expect(a).toEqual(byFormula);
    expect(a).not.toEqual(await run(model, { classId: 2 }));
    model.dispose();
  });

  test('guidedLogits is cond + s·(cond − uncond) row by row', () => {
    const logits = Float32Array.of(1, 2, 3, 4, /* uncond: */ 0, 2, 5, 4);
    expect(Array.from(guidedLogits(logits, 2, 2, 2))).toEqual([3, 2, -1, 4]); // 1 + 2·(1 − 0), 2 + 2·0, 3 + 2·(3 − 5), 4
    expect(() => guidedLogits(logits, 1, 2, 1)).toThrow(/2 × 1 rows of 2/);
  });

  test('bad conditioning is refused with a clear error, and generation frees what it made', async () => {
    const model = new ReformerLM(conditional());
    const plain = new ReformerLM(tinyConfig());
    const first = (m: ReformerLM, opts: Partial<Parameters<typeof generate>[1]>) =>
      generate(m, { batch: 1, seed: 1, length: 1, ...opts }).next();
    await first(model, { classId: 1, guidance: 1 }); // builds the model's fixed hash rotations once
    const before = tf.memory().numTensors;
    await expect(first(model, { classId: 7 })).rejects.toThrow(/class 7 is not one of this model's: use 0 to 2/);
    await expect(first(model, { classId: 1, guidance: -1 })).rejects.toThrow(/guidance -1 must be/);
    await expect(first(plain, { classId: 0 })).rejects.toThrow(/unconditional model/);
    for await (const _ of generate(model, { batch: 2, seed: 1, length: 3, classId: 0, guidance: 2 }));
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    plain.dispose();
  });
});
