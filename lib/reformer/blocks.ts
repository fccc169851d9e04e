/**
 * The two residual functions of a Reformer layer (paper §3): F = attention (pre-norm, shared QK,
 * one of lsh | local | full per layer) and G = the position-wise feed-forward, applied in chunks of
 * positions so that the dFF-wide activations never exist for the whole sequence at once.
 */
import * as tf from './tf';
import { attendInPieces, chunkedAttention, combineRounds, fullAttention } from './attention';
import type { AttentionKind, ResolvedConfig } from './config';
import { hashBuckets, hashBucketsAsync, identityPlan, sortByBucket, type SortPlan } from './hashing';
import { joinGroups, piecesVjp, type VjpFn } from './piece-gradients';
import { fullAttentionPieces } from './pieces';
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
  return x
    .reshape([B, L, heads, d / heads])
    .transpose([0, 2, 1, 3])
    .reshape([B * heads, L, d / heads]) as tf.Tensor3D;
}

/** Merges heads: [B·H, L, dHead] → [B, L, d]. */
function mergeHeads(x: tf.Tensor, batch: number): tf.Tensor3D {
  const [BH, L, dh] = x.shape;
  const H = BH / batch;
  return x
    .reshape([batch, H, L, dh])
    .transpose([0, 2, 1, 3])
    .reshape([batch, L, H * dh]) as tf.Tensor3D;
}

/** Pads axis 1 of [G, L, D] with zeros up to a multiple of `m`. Padding sorts after every real position. */
function padLength(x: tf.Tensor3D, m: number): tf.Tensor3D {
  const extra = (m - (x.shape[1] % m)) % m;
  return extra === 0
    ? x
    : tf.pad(x, [
        [0, 0],
        [0, extra],
        [0, 0],
      ]);
}

/** LayerNorm then the shared-QK and value projections: x [B, L, d] → qk, v [B·H, L', dHead], L' padded to C for chunked kinds. */
function projectHeads(
  x: tf.Tensor3D,
  w: AttentionWeights,
  kind: AttentionKind,
  cfg: ResolvedConfig,
): { qk: tf.Tensor3D; v: tf.Tensor3D } {
  const h = layerNorm(x, w.lnGamma, w.lnBeta);
  const qk = splitHeads(dense(h, w.wqk), cfg.nHeads); // [B·H, L, dHead]
  const v = splitHeads(dense(h, w.wv), cfg.nHeads);
  if (kind === 'full') return { qk, v };
  return { qk: padLength(qk, cfg.chunkLength), v: padLength(v, cfg.chunkLength) };
}

/** The sort plan of a chunked layer, hashing (and recording the buckets in the tape) on first use. */
function sortPlan(
  qk: tf.Tensor3D,
  kind: AttentionKind,
  cfg: ResolvedConfig,
  rotations: tf.Tensor2D | undefined,
  tape: LayerTape,
): SortPlan {
  const [G, Lp, D] = qk.shape;
  if (kind === 'local') return identityPlan(G, Lp);
  if (!tape.buckets) {
    if (!rotations && cfg.nBuckets > 1) throw new Error('attentionBlock: LSH needs rotations or recorded buckets');
    tape.buckets = tf.tidy(() =>
      hashBuckets(qk.reshape([G * Lp, D]) as tf.Tensor2D, rotations, cfg.nHashes, cfg.bucketFactors),
    );
  }
  return sortByBucket(tape.buckets, cfg.nHashes, G, Lp, cfg.nBuckets);
}

/**
 * Hashes an LSH layer's input ahead of its forward and records the buckets in the tape, reading
 * them back asynchronously, so the forward that follows needs no synchronous GPU read.
 */
export async function prehashAttention(
  x: tf.Tensor3D,
  w: AttentionWeights,
  cfg: ResolvedConfig,
  rotations: tf.Tensor2D | undefined,
  tape: LayerTape,
): Promise<void> {
  if (tape.buckets) return;
  const qk = tf.tidy(() => {
    const p = projectHeads(x, w, 'lsh', cfg);
    return p.qk.reshape([-1, cfg.dHead]) as tf.Tensor2D;
  });
  tape.buckets = await hashBucketsAsync(qk, rotations, cfg.nHashes, cfg.bucketFactors);
  qk.dispose();
}

/** Attended heads [B·H, L', dHead] → output projection (+ dropout): [B, L, d]. */
function outputProjection(
  attended: tf.Tensor3D,
  batch: number,
  length: number,
  w: AttentionWeights,
  cfg: ResolvedConfig,
  tape: LayerTape,
): tf.Tensor3D {
  const [G, , D] = attended.shape;
  const trimmed = attended.shape[1] === length ? attended : attended.slice([0, 0, 0], [G, length, D]);
  const out = dense(mergeHeads(trimmed, batch), w.wo, w.bo) as tf.Tensor3D;
  return seededDropout(out, cfg.dropout, tape.dropoutSeed) as tf.Tensor3D;
}

/**
 * F(x) = Attention(LayerNorm(x)): x [B, L, d] → [B, L, d].
 * `rotations` [dHead, nHashes·Σ f/2] (hashing.ts) are needed for LSH unless `tape.buckets` replays them.
 */
export function attentionBlock(
  x: tf.Tensor3D,
  w: AttentionWeights,
  kind: AttentionKind,
  cfg: ResolvedConfig,
  rotations: tf.Tensor2D | undefined,
  tape: LayerTape,
): tf.Tensor3D {
  const { qk, v } = projectHeads(x, w, kind, cfg);
  const attended =
    kind === 'full'
      ? fullAttention(qk, v)
      : chunkedAttention(qk, v, sortPlan(qk, kind, cfg, rotations, tape), cfg.chunkLength);
  return outputProjection(attended, x.shape[0], x.shape[1], w, cfg, tape);
}

/** value and gradients of fn with respect to xs for cotangent dy, under one short top-level tape. */
const vjpOf: VjpFn = (fn, xs, dy) => tf.valueAndGrads((..._xs: tf.Tensor[]) => fn())(xs, dy);

/**
 * F's value and vector-Jacobian product, computed in pieces, each under its own short tape:
 * projections, then one hash round at a time, then the output projection. Peak memory is one
 * round's chunk tensors rather than all rounds' (what lets one LSH layer train at 65,536 tokens
 * inside WASM's 4 GiB). Weight gradients go to `addGrad(variable, gradient)`.
 */
export function attentionVjp(
  x: tf.Tensor3D,
  w: AttentionWeights,
  kind: AttentionKind,
  cfg: ResolvedConfig,
  rotations: tf.Tensor2D | undefined,
  tape: LayerTape,
  dy: tf.Tensor3D,
  addGrad: (v: tf.Tensor, g: tf.Tensor) => void,
): { value: tf.Tensor3D; dx: tf.Tensor3D } {
  const [B, L] = x.shape;
  const pre = () => projectHeads(x, w, kind, cfg);
  const { qk, v } = tf.tidy(pre);
  const preVars = [w.lnGamma, w.lnBeta, w.wqk, w.wv];
  const postVars = [w.wo, w.bo];
  if (kind === 'full') {
    // Forward a few groups at a time, the output projection on its tape, then each group slice's
    // attention again on a tape of its own: peak memory is one slice's [L, L] tensors.
    const attended = fullAttention(qk, v);
    const post = vjpOf(() => outputProjection(attended, B, L, w, cfg, tape), [attended, ...postVars], dy);
    postVars.forEach((t, i) => addGrad(t, post.grads[i + 1]));
    attended.dispose();
    const dAttended = post.grads[0] as tf.Tensor3D;
    const [G, , D] = qk.shape;
    const dqs: tf.Tensor[] = [];
    const dvs: tf.Tensor[] = [];
    for (const [g0, g1] of fullAttentionPieces(G, L)) {
      const part = (t: tf.Tensor3D) => t.slice([g0, 0, 0], [g1 - g0, L, D]);
      const [qs, vs, cot] = [part(qk), part(v), part(dAttended)];
      const g = vjpOf(() => fullAttention(qs, vs), [qs, vs], cot);
      tf.dispose([qs, vs, cot, g.value]);
      dqs.push(g.grads[0]);
      dvs.push(g.grads[1]);
    }
    tf.dispose([dAttended, qk, v]);
    return {
      value: post.value as tf.Tensor3D,
      dx: projectionsVjp(x, w, cfg, preVars, joinGroups(dqs), joinGroups(dvs), addGrad),
    };
  }
  const plan = sortPlan(qk, kind, cfg, rotations, tape);
  // Forward piece by piece (one round × a slice of groups), keeping only outputs and log-sum-exps.
  const { out, lse } = attendInPieces(qk, v, plan, cfg.chunkLength); // [R, G, L', D], [R, G, L', 1]

  // Output projection and round combination, in slices of positions.
  const post = roundsOutputVjp(out, lse, B, L, w, cfg, tape, dy, postVars, addGrad);
  const { dOut, dLse } = post;
  tf.dispose([out, lse]);

  const { dqk, dv } = piecesVjp(qk, v, dOut, dLse, plan, cfg.chunkLength, vjpOf);
  tf.dispose([dOut, dLse, qk, v]);

  return { value: post.value as tf.Tensor3D, dx: projectionsVjp(x, w, cfg, preVars, dqk, dv, addGrad) };
}

/**
 * The round combination and output projection with their VJP: out [R, G, L′, D] and lse
 * [R, G, L′, 1] (L′ ≥ L, a padded tail) → value [B, L, d], and the cotangents of out and lse
 * (zeros on the tail; lse's are zeros with one round, whose combination ignores it). Both act on
 * each position alone, so this runs in slices of positions (projectionMemory), each on a tape of
 * its own: whole, the tape holds some ten [R, G, L, D] tensors, the
 * step's peak. Dropout takes its mask for the whole output once and slices it, so the values
 * are the forward pass's.
 */
function roundsOutputVjp(
  out: tf.Tensor4D,
  lse: tf.Tensor4D,
  B: number,
  L: number,
  w: AttentionWeights,
  cfg: ResolvedConfig,
  tape: LayerTape,
  dy: tf.Tensor3D,
  postVars: tf.Tensor[],
  addGrad: (v: tf.Tensor, g: tf.Tensor) => void,
): { value: tf.Tensor3D; dOut: tf.Tensor4D; dLse: tf.Tensor4D } {
  const [R, G, Lp, D] = out.shape;
  const d = dy.shape[2];
  const multi = R > 1;
  const n = Math.max(1, Math.floor(projectionMemory.sliceBytes / (R * G * D * 4)));
  // seededDropout(x) is x times this multiplier (0 or 1/keep) for the same shape and seed.
  const seed = tape.dropoutSeed;
  const mask =
    cfg.dropout > 0 && seed !== undefined
      ? tf.tidy(() => seededDropout(tf.ones([B, L, d]), cfg.dropout, seed) as tf.Tensor3D)
      : undefined;
  const values: tf.Tensor[] = [];
  const dOuts: tf.Tensor[] = [];
  const dLses: tf.Tensor[] = [];
  for (let s = 0; s < L; s += n) {
    const m = Math.min(n, L - s);
    const whole = m === Lp;
    const outS = whole ? out : out.slice([0, 0, s, 0], [R, G, m, D]);
    const lseS = whole ? lse : lse.slice([0, 0, s, 0], [R, G, m, 1]);
    const dyS = m === L ? dy : dy.slice([0, s, 0], [B, m, d]);
    const maskS = mask && (m === L ? mask : mask.slice([0, s, 0], [B, m, d]));
    const g = vjpOf(
      () => {
        const y = dense(mergeHeads(combineRounds(outS, lseS), B), w.wo, w.bo);
        return maskS ? tf.mul(y, maskS) : y;
      },
      multi ? [outS, lseS, ...postVars] : [outS, ...postVars],
      dyS,
    );
    for (const [slice, of] of [
      [outS, out],
      [lseS, lse],
      [dyS, dy],
      [maskS, mask],
    ] as const)
      if (slice && slice !== of) slice.dispose();
    const nIn = multi ? 2 : 1;
    postVars.forEach((t, i) => addGrad(t, g.grads[i + nIn]));
    values.push(g.value);
    dOuts.push(g.grads[0]);
    if (multi) dLses.push(g.grads[1]);
  }
  mask?.dispose();
  // The padded tail [L, L′) has no cotangent.
  const tail = Lp - L;
  if (tail > 0) {
    dOuts.push(tf.zeros([R, G, tail, D]));
    if (multi) dLses.push(tf.zeros([R, G, tail, 1]));
  }
  const join = (parts: tf.Tensor[], axis: number) => {
    if (parts.length === 1) return parts[0];
    const joined = tf.concat(parts, axis);
    tf.dispose(parts);
    return joined;
  };
  return {
    value: join(values, 1) as tf.Tensor3D,
    dOut: join(dOuts, 2) as tf.Tensor4D,
    dLse: multi ? (join(dLses, 2) as tf.Tensor4D) : tf.zeros([R, G, Lp, 1]),
  };
}

/**
 * Positions per slice of the projections' backward pass: its tape holds some 40 tensors of
 * [B, n, d] (layer norm, two projections, head splits, and their gradients), so slices keep each
 * under this many bytes: in one piece at long lengths that tape, not attention, sets the step's
 * peak memory.
 */
export const projectionMemory = { sliceBytes: 4 * 2 ** 20 };

/**
 * The projections' VJP: x → (qk, v) with cotangents (dqk, dv) [B·H, L′, dHead] (L′ ≥ L: a padded
 * tail, which has no gradient), which it frees. The projections act on each position alone, so it
 * runs in slices of positions (projectionMemory): dx slice by slice, weight gradients summed over
 * the slices through addGrad. Returns dx.
 */
function projectionsVjp(
  x: tf.Tensor3D,
  w: AttentionWeights,
  cfg: ResolvedConfig,
  preVars: tf.Tensor[],
  dqk: tf.Tensor,
  dv: tf.Tensor,
  addGrad: (v: tf.Tensor, g: tf.Tensor) => void,
): tf.Tensor3D {
  const [B, L, d] = x.shape;
  const [G, Lp, D] = dqk.shape as [number, number, number];
  const cotPre = tf.concat([dqk, dv], 2); // [B·H, L′, 2·dHead]
  tf.dispose([dqk, dv]);
  const n = Math.max(1, Math.floor(projectionMemory.sliceBytes / (B * d * 4)));
  const dxs: tf.Tensor[] = [];
  for (let s = 0; s < L; s += n) {
    const m = Math.min(n, L - s);
    const xs = m === L ? x : x.slice([0, s, 0], [B, m, d]);
    const cot = m === Lp ? cotPre : cotPre.slice([0, s, 0], [G, m, 2 * D]);
    // 'full' projects without padding: the slice's own positions.
    const g = vjpOf(
      () => {
        const p = projectHeads(xs, w, 'full', cfg);
        return tf.concat([p.qk, p.v], 2);
      },
      [xs, ...preVars],
      cot,
    );
    if (xs !== x) xs.dispose();
    if (cot !== cotPre) cot.dispose();
    g.value.dispose();
    preVars.forEach((t, i) => addGrad(t, g.grads[i + 1]));
    dxs.push(g.grads[0]);
  }
  cotPre.dispose();
  if (dxs.length === 1) return dxs[0] as tf.Tensor3D;
  const dx = tf.concat(dxs, 1) as tf.Tensor3D;
  tf.dispose(dxs);
  return dx;
}

/** G(x) = FeedForward(LayerNorm(x)) on one chunk of positions: x [B, l, d] → [B, l, d]. */
export function feedForwardChunk(
  x: tf.Tensor3D,
  w: FeedForwardWeights,
  cfg: ResolvedConfig,
  tape: LayerTape,
  chunkIndex: number,
): tf.Tensor3D {
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
export function feedForwardBlock(
  x: tf.Tensor3D,
  w: FeedForwardWeights,
  cfg: ResolvedConfig,
  tape: LayerTape,
): tf.Tensor3D {
  const [B, L, d] = x.shape;
  const parts = feedForwardChunks(L, cfg.ffChunkLength).map(([s, n], i) =>
    tf.tidy(() => feedForwardChunk(x.slice([0, s, 0], [B, n, d]), w, cfg, tape, i)),
  );
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1) as tf.Tensor3D;
  parts.forEach((p) => p.dispose());
  return out;
}
