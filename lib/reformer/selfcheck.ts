/**
 * A backend self-check: the same small, seeded model's forward pass and first decode steps, so two
 * backends can be compared number for number (the diagnostics page and its browser test use it).
 */
import { ReformerDecoder } from './decode';
import { ReformerLM } from './model';
import * as tf from './tf';

export const SELF_CHECK_CONFIG = {
  vocabSize: 16,
  seqLength: 64,
  dModel: 32,
  nHeads: 2,
  dFF: 64,
  layers: ['lsh', 'local', 'full'] as ('lsh' | 'local' | 'full')[],
  chunkLength: 16,
  nHashes: 2,
  nBuckets: 4,
  axialShape: [8, 8],
  neighbours: [
    [-1, 0],
    [-1, -1],
    [0, -2],
  ],
  seed: 11,
};

const DECODE_STEPS = 12;

export interface SelfCheckResult {
  backend: string;
  /** Logits of the forward pass over fixed tokens [1, 64, 16], flattened. */
  forward: Float32Array;
  /** Logits of the first DECODE_STEPS decode steps (into the second row: neighbours above), concatenated. */
  decode: Float32Array;
  ms: number;
}

/** Runs the check on the current backend. */
export async function runSelfCheck(): Promise<SelfCheckResult> {
  const started = performance.now();
  const model = new ReformerLM(SELF_CHECK_CONFIG);
  const tokens = Array.from({ length: 64 }, (_, i) => (i * 7 + 3) % 16);
  const x = tf.tensor2d([tokens], [1, 64], 'int32');
  const logits = await model.forwardAsync(x);
  const forward = (await logits.data()) as Float32Array;
  tf.dispose([x, logits]);
  const decoder = new ReformerDecoder(model, 1);
  const steps = [await decoder.step()];
  for (let t = 1; t < DECODE_STEPS; t++) steps.push(await decoder.step([tokens[t - 1]]));
  decoder.dispose();
  model.dispose();
  const decode = new Float32Array(steps.reduce((n, s) => n + s.length, 0));
  let offset = 0;
  for (const s of steps) {
    decode.set(s, offset);
    offset += s.length;
  }
  return { backend: tf.getBackend(), forward, decode, ms: performance.now() - started };
}

/** Largest absolute difference between two results' logits. */
export function maxDifference(a: SelfCheckResult, b: SelfCheckResult): number {
  let worst = 0;
  for (const [x, y] of [
    [a.forward, b.forward],
    [a.decode, b.decode],
  ]) {
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  }
  return worst;
}
