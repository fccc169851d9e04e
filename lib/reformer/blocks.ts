/**
 * The two residual functions of a Reformer layer (paper §3): F = attention (pre-norm, shared QK,
 * one of lsh | local | full per layer) and G = the position-wise feed-forward, applied in chunks of
 * positions so that the dFF-wide activations never exist for the whole sequence at once.
 */
import * as tf from './tf';
import { chunkedAttention, fullAttention } from './attention';
import type { AttentionKind, ResolvedConfig } from './config';
import { hashBuckets, identityPlan, sortByBucket } from './hashing';
import { dense, gelu, layerNorm, mixSeed, seededDropout } from './ops';

export interface AttentionWeights {
  lnGamma: tf.Tensor1D;
  lnBeta: tf.Tensor1D;
  wqk: tf.Tensor2D; // [d, d]
  wv: tf.Tensor2D; // [d, d]
  wo: tf.Tensor2D; // [d, d]
  bo: tf.Tensor1D;
}

export interface FeedForwardWeights {
  lnGamma: tf.Tensor1D;
  lnBeta: tf.Tensor1D;
  w1: tf.Tensor2D; // [d, dFF]
  b1: tf.Tensor1D;
  w2: tf.Tensor2D; // [dFF, d]
  b2: tf.Tensor1D;
}

/**
 * What one layer's forward must hand to its recompute in the backward pass: the hash buckets it
 * drew and the seed of its dropout masks. Filled by the first forward, replayed afterwards.
 */
export interface LayerTape {
  /** [nHashes, batch·heads, paddedLength] buckets, recorded by the first LSH forward. */
  buckets?: Int32Array;
  /** Dropout seed for this layer and step; undefined = no dropout (inference). */
  dropoutSeed?: number;
}

/** Splits heads: [B, L, d] → [B·H, L, dHead]. */
function splitHeads(x: tf.Tensor, heads: number): tf.Tensor3D {
  const [B, L, d] = x.shape;
  return x.reshape([B, L, heads, d / heads]).transpose([0, 2, 1, 3]).reshape([B * heads, L, d / heads]) as tf.Tensor3D;
}

/** Merges heads: [B·H, L, dHead] → [B, L, d]. */
function mergeHeads(x: tf.Tensor, batch: number): tf.Tensor3D {
  const [BH, L, dh] = x.shape;
  const H = BH / batch;
  return x.reshape([batch, H, L, dh]).transpose([0, 2, 1, 3]).reshape([batch, L, H * dh]) as tf.Tensor3D;
}

/** Pads axis 1 of [G, L, D] with zeros up to a multiple of `m`. Padding sorts after every real position. */
function padLength(x: tf.Tensor3D, m: number): tf.Tensor3D {
  const extra = (m - (x.shape[1] % m)) % m;
  return extra === 0 ? x : tf.pad(x, [[0, 0], [0, extra], [0, 0]]);
}

/**
 * F(x) = Attention(LayerNorm(x)): x [B, L, d] → [B, L, d].
 * `rotations` [dHead, nHashes·nBuckets/2] are needed for LSH unless `tape.buckets` replays them.
 */
export function attentionBlock(
  x: tf.Tensor3D,
  w: AttentionWeights,
  kind: AttentionKind,
  cfg: ResolvedConfig,
  rotations: tf.Tensor2D | undefined,
  tape: LayerTape,
): tf.Tensor3D {
  const [B, L] = x.shape;
  const h = layerNorm(x, w.lnGamma, w.lnBeta);
  const qk = splitHeads(dense(h, w.wqk), cfg.nHeads); // [B·H, L, dHead]
  const v = splitHeads(dense(h, w.wv), cfg.nHeads);
  let attended: tf.Tensor3D;
  if (kind === 'full') {
    attended = fullAttention(qk, v);
  } else {
    const C = cfg.chunkLength;
    const qkP = padLength(qk, C);
    const vP = padLength(v, C);
    const [G, Lp, D] = qkP.shape;
    let plan;
    if (kind === 'local') {
      plan = identityPlan(G, Lp);
    } else {
      if (!tape.buckets) {
        if (!rotations && cfg.nBuckets > 1) throw new Error('attentionBlock: LSH needs rotations or recorded buckets');
        tape.buckets = hashBuckets(qkP.reshape([G * Lp, D]) as tf.Tensor2D, rotations, cfg.nHashes, cfg.nBuckets);
      }
      plan = sortByBucket(tape.buckets, cfg.nHashes, G, Lp, cfg.nBuckets);
    }
    attended = chunkedAttention(qkP, vP, plan, C);
    if (Lp !== L) attended = attended.slice([0, 0, 0], [G, L, D]);
  }
  const out = dense(mergeHeads(attended, B), w.wo, w.bo) as tf.Tensor3D;
  return seededDropout(out, cfg.dropout, tape.dropoutSeed) as tf.Tensor3D;
}

/** G(x) = FeedForward(LayerNorm(x)) on one chunk of positions: x [B, l, d] → [B, l, d]. */
export function feedForwardChunk(x: tf.Tensor3D, w: FeedForwardWeights, cfg: ResolvedConfig, tape: LayerTape, chunkIndex: number): tf.Tensor3D {
  const h = layerNorm(x, w.lnGamma, w.lnBeta);
  const out = dense(gelu(dense(h, w.w1, w.b1)), w.w2, w.b2) as tf.Tensor3D;
  const seed = tape.dropoutSeed === undefined ? undefined : mixSeed(tape.dropoutSeed, 7, chunkIndex);
  return seededDropout(out, cfg.dropout, seed) as tf.Tensor3D;
}

/** The chunk boundaries [start, length] along the sequence for the feed-forward. */
export function feedForwardChunks(length: number, chunk: number): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let s = 0; s < length; s += chunk) out.push([s, Math.min(chunk, length - s)]);
  return out;
}

/** G over the whole sequence, chunk by chunk (each chunk's dFF activations freed before the next). */
export function feedForwardBlock(x: tf.Tensor3D, w: FeedForwardWeights, cfg: ResolvedConfig, tape: LayerTape): tf.Tensor3D {
  const [B, L, d] = x.shape;
  const parts = feedForwardChunks(L, cfg.ffChunkLength).map(([s, n], i) =>
    tf.tidy(() => feedForwardChunk(x.slice([0, s, 0], [B, n, d]), w, cfg, tape, i)),
  );
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1) as tf.Tensor3D;
  parts.forEach((p) => p.dispose());
  return out;
}
