/**
 * Analytic FLOP count of one Reformer training step (multiply-add = 2 FLOPs), used to turn a measured
 * step time into GFLOP/s. Only the matmul-shaped work is counted; element-wise ops, layer norms,
 * softmax, gathers and the embedding lookup are not.
 */
import type { ResolvedConfig } from '../../lib/reformer/config';
import { rotationColumns } from '../../lib/reformer/hashing';

export interface StepFlops {
  /** One layer's forward: projections, attention dots and weighted sums, feed-forward. */
  layerForward: number;
  /** LSH hashing of one layer (qk · rotations), done once per step: the recompute replays the buckets. */
  layerHash: number;
  /** Final projection to logits, forward. */
  headForward: number;
  /** The whole step. */
  total: number;
  /** What was counted, for the report. */
  counted: string;
}

export function trainStepFlops(c: ResolvedConfig, batch: number, length: number): StepFlops {
  const N = batch * length;
  const d = c.dModel;
  const proj = 3 * 2 * N * d * d; // qk, v, out
  const ff = 2 * 2 * N * d * c.dFF; // w1, w2
  // Per hash round and head: L·2C·dHead·2 for the scores and again for the weighted sum.
  const rounds = (kind: string) => (kind === 'lsh' ? c.nHashes : 1);
  const attn = (kind: string) => rounds(kind) * c.nHeads * 2 * (N * 2 * c.chunkLength * c.dHead * 2);
  const hash = (kind: string) =>
    kind === 'lsh' ? c.nHeads * 2 * N * c.dHead * c.nHashes * rotationColumns(c.bucketFactors) : 0;
  const layers = c.layers.map((k) => proj + ff + attn(k));
  const layerForward = layers[0];
  const headForward = 2 * N * d * c.vocabSize;
  const sumLayers = layers.reduce((a, b) => a + b, 0);
  const hashes = c.layers.map(hash).reduce((a, b) => a + b, 0);
  const recompute = c.reversible ? sumLayers : 0;
  const total = 3 * (sumLayers + headForward) + recompute + hashes;
  const counted =
    `3 × forward (forward + backward ≈ 2× forward) of [qk, v, out projections; feed-forward w1, w2; ` +
    `attention scores and weighted sums within chunks: L·2C·dHead·2 each, per round and head; head logits]` +
    (c.reversible ? ` + 1 × the layers' forward again (reversible recompute)` : '') +
    ` + LSH hashing once; not counted: norms, softmax, gathers, element-wise ops, embeddings. ` +
    `On WASM the fused attention kernel scores only the slots a row may attend to (its bucket's run, at most a chunk back), ` +
    `fewer than the 2C per row counted here, so the attention share of this count includes work it skips`;
  return { layerForward, layerHash: hash(c.layers[0]), headForward, total, counted };
}
