/**
 * Attention cores over heads folded into a group axis G = batch·heads, with shared query/key
 * (paper §2, "Causal masking for shared-QK attention"): keys are the L2-normalised queries, and a
 * position attends to itself only when it has no other target (its score is −1e5, masked scores
 * are −1e9).
 *
 * - `chunkedAttention`: LSH (paper §2, "LSH attention" and "Multi-round LSH attention") and local
 *   attention. Positions are sorted per hash round by (bucket, position) and cut into chunks of C;
 *   each chunk attends to itself and the previous chunk, so the work is O(L·C) per round. Within
 *   that window a query keeps only keys of its own bucket among the C slots before it: "the ≤ C
 *   most recent earlier positions of my bucket". This depends on the past alone — plain chunk
 *   windows let a later token's bucket shift every chunk boundary, which breaks causality and
 *   makes cached decoding impossible to match. Rounds are combined with their log-sum-exp
 *   weights. Local attention is the same core with one round, one bucket and the identity order:
 *   a sliding window of C. Outside a gradient tape it runs piece by piece (pieces.ts).
 * - `fullAttention`: quadratic; the reference the tests compare against, and bench:quality's baseline.
 */
import * as tf from './tf';
import type { SortPlan } from './hashing';
import { writtenTensor } from './kernels/heap';
import { canUseSimdAttention, exp, fusedChunkAttention } from './kernels/simd';
import { batchMatMulNT } from './matmul';
import { gatherRows, logSumExpLast, permuteRows } from './ops';
import {
  attentionPieces,
  byRoundAndGroup,
  chunkSlots,
  fullAttentionPieces,
  groupRows,
  pieceInput,
  type AttentionPiece,
} from './pieces';

const SELF_SCORE = -1e5;
const MASKED_SCORE = -1e9;

/** Keys from shared query/keys: qk / ‖qk‖ over the last axis. */
export function normalizeKeys(qk: tf.Tensor): tf.Tensor {
  return tf.mul(qk, tf.rsqrt(tf.add(tf.sum(tf.square(qk), -1, true), 1e-12)));
}

/** The chunk before each chunk along axis 1, with `fill` in front of chunk 0: x [RG, nC, ...]. */
function previousChunk(x: tf.Tensor, fill: number): tf.Tensor {
  const nC = x.shape[1]!;
  const front = tf.fill([x.shape[0], 1, ...x.shape.slice(2)], fill, x.dtype);
  if (nC === 1) return front;
  const begin = x.shape.map(() => 0);
  const size = [...x.shape];
  size[1] = nC - 1;
  return tf.concat([front, tf.slice(x, begin, size)], 1);
}

/**
 * The additive score bias of every sorted slot's key window [slots, 2C]: key j of [previous
 * chunk; this chunk] is the slot's (C + i − j)-th predecessor in sorted order (i = slot within its
 * chunk). 0 where the slot may attend — j < C + i and j at or after the later of "C slots back"
 * and "the start of its bucket's run" (sorted order keeps a bucket's positions together) — −1e5 on
 * the slot itself, −1e9 elsewhere. Built here as one constant, so the gradient tape holds no mask
 * arithmetic of the scores' size. The plain path's mask; on WASM the fused kernel skips the slots
 * it masks instead (kernels/simd.ts), and its unit test checks the two agree.
 */
export function windowBias(sortedBuckets: Int32Array, length: number, chunk: number): tf.Tensor3D {
  const n = sortedBuckets.length;
  return writtenTensor<tf.Rank.R3>([n / chunk, chunk, 2 * chunk], (out) =>
    writeWindowBias(out, sortedBuckets, length, chunk),
  );
}

function writeWindowBias(out: Float32Array, sortedBuckets: Int32Array, length: number, chunk: number): void {
  const n = sortedBuckets.length;
  const width = 2 * chunk;
  out.fill(MASKED_SCORE);
  let runStart = 0;
  for (let s = 0; s < n; s++) {
    const slotInRound = s % length;
    if (slotInRound === 0 || sortedBuckets[s] !== sortedBuckets[s - 1]) runStart = s;
    const i = slotInRound % chunk;
    const windowStart = s - i - chunk; // slot of window index 0
    const first = Math.max(s - chunk, runStart) - windowStart;
    const row = s * width;
    for (let j = first; j < chunk + i; j++) out[row + j] = 0;
    out[row + chunk + i] = SELF_SCORE;
  }
}

/**
 * The chunked attention of sorted rows: sq, sv [S, nC, C, D] (S sequences of nC chunks, each chunk
 * attending to itself and the chunk before it, within the run of its slots' buckets:
 * `sortedBuckets` [S·nC·C]). Returns the output and the log-sum-exp side by side, [S·nC·C, D + 1],
 * in sorted order.
 */
function attendSorted(sq: tf.Tensor4D, sv: tf.Tensor4D, sortedBuckets: Int32Array): tf.Tensor2D {
  const [S, nC, chunk, D] = sq.shape;
  const rows = S * nC * chunk;
  const sk = normalizeKeys(sq);
  if (canUseSimdAttention(sq)) {
    // On WASM, one kernel per direction (kernels/simd.ts): the scores are never stored, and the
    // slots windowBias masks are never computed.
    const flat = (x: tf.Tensor) => x.reshape([rows, D]) as tf.Tensor2D;
    return fusedChunkAttention(flat(sq), flat(sk), flat(sv), sortedBuckets, chunk, nC * chunk);
  }
  const bias = windowBias(sortedBuckets, nC * chunk, chunk);
  const kWin = tf.concat([previousChunk(sk, 0), sk], 2).reshape([S * nC, 2 * chunk, D]); // [S·nC, 2C, D]
  const vWin = tf.concat([previousChunk(sv, 0), sv], 2).reshape([S * nC, 2 * chunk, D]); // [S·nC, 2C, D]
  const scaled = tf.mul(sq, 1 / Math.sqrt(D)).reshape([S * nC, chunk, D]) as tf.Tensor3D; // [S·nC, C, D]
  // Masked scores become −1e9 + q·k and the self score −1e5 + q·k: both still vanish beside any
  // real key, and a slot with only itself attends to itself, as in decode.ts.
  const scores = tf.add(batchMatMulNT(scaled, kWin as tf.Tensor3D), bias); // [S·nC, C, 2C]
  const lse = logSumExpLast(scores); // [S·nC, C, 1]
  const o = batchMatMulNT(exp(tf.sub(scores, lse)) as tf.Tensor3D, vWin.transpose([0, 2, 1]) as tf.Tensor3D); // [S·nC, C, D]
  return tf.concat([o.reshape([rows, D]), lse.reshape([rows, 1])], 1) as tf.Tensor2D;
}

/** Rows of x [G·L, D] in each round's sorted order: [R·G·L, D]. Gradient: the inverse gathers, summed over rounds. */
function gatherRounds(x: tf.Tensor2D, plan: SortPlan): tf.Tensor2D {
  const M = plan.groups * plan.length;
  const index = new Int32Array(plan.perm.length);
  for (let s = 0; s < index.length; s++) index[s] = plan.perm[s] % M;
  return permuteRows(x, index, plan.inverse, plan.rounds);
}

/** Sorted rows [R·G·L, D] back to the original order of each round: [R·G·L, D]. */
function scatterRounds(x: tf.Tensor2D, plan: SortPlan): tf.Tensor2D {
  return permuteRows(x, plan.inverse, plan.perm, 1);
}

/** attendRounds' output and log-sum-exp side by side, [R, G, L, D + 1]: sorted back in one gather. */
function attendRoundsJoined(qk: tf.Tensor3D, v: tf.Tensor3D, plan: SortPlan, chunk: number): tf.Tensor4D {
  const [G, L, D] = qk.shape;
  const R = plan.rounds;
  if (L % chunk !== 0) throw new Error(`chunkedAttention: length ${L} must be a multiple of chunk ${chunk}`);
  const nC = L / chunk;
  const RG = R * G;
  return tf.tidy(() => {
    const sq = gatherRounds(qk.reshape([G * L, D]) as tf.Tensor2D, plan).reshape([RG, nC, chunk, D]) as tf.Tensor4D; // sorted queries
    const sv = gatherRounds(v.reshape([G * L, D]) as tf.Tensor2D, plan).reshape([RG, nC, chunk, D]) as tf.Tensor4D;
    return scatterRounds(attendSorted(sq, sv, plan.sortedBuckets), plan).reshape([R, G, L, D + 1]) as tf.Tensor4D;
  });
}

/** [..., D + 1] → the output [..., D] and the log-sum-exp [..., 1]. */
function splitOutLse<T extends tf.Tensor>(both: T): { out: T; lse: T } {
  const [out, lse] = tf.split(both, [both.shape[both.rank - 1]! - 1, 1], both.rank - 1);
  return { out: out as T, lse: lse as T };
}

/**
 * Per-round LSH / local attention before rounds are combined. qk, v: [G, L, D] with L a multiple of
 * `chunk`; `plan` sorts R copies of the G·L rows (see hashing.ts). Returns each round's output
 * [R, G, L, D] and log-sum-exp [R, G, L, 1] in the original order.
 */
export function attendRounds(
  qk: tf.Tensor3D,
  v: tf.Tensor3D,
  plan: SortPlan,
  chunk: number,
): { out: tf.Tensor4D; lse: tf.Tensor4D } {
  return tf.tidy(() => splitOutLse(attendRoundsJoined(qk, v, plan, chunk)));
}

/**
 * Rounds combined by their log-sum-exp weights: out [R, G, L, D], lse [R, G, L, 1] → [G, L, D].
 * The softmax over rounds is max-subtracted: a round with only the self score has lse ≈ −1e5,
 * where float32 steps are 0.008, and exp(lse − logSumExp) would misweight equal rounds by that much.
 */
export function combineRounds(out: tf.Tensor4D, lse: tf.Tensor4D): tf.Tensor3D {
  const [R, G, L, D] = out.shape;
  if (R === 1) return out.reshape([G, L, D]);
  return tf.tidy(() => {
    const weights = tf.softmax(lse.transpose([1, 2, 3, 0]), -1).transpose([3, 0, 1, 2]); // [R, G, L, 1]
    return tf.sum(tf.mul(out, weights), 0) as tf.Tensor3D; // [G, L, D]
  });
}

/**
 * LSH / local attention: qk, v [G, L, D] → [G, L, D] (see attendRounds). Under a gradient tape it
 * runs whole (the tape keeps everything anyway; training uses attentionVjp's pieces instead).
 */
export function chunkedAttention(qk: tf.Tensor3D, v: tf.Tensor3D, plan: SortPlan, chunk: number): tf.Tensor3D {
  const taped = (tf.engine().state as { gradientDepth: number }).gradientDepth > 0;
  const { out, lse } = taped ? attendRounds(qk, v, plan, chunk) : attendInPieces(qk, v, plan, chunk);
  const combined = combineRounds(out, lse);
  if (!taped) tf.dispose([out, lse]);
  return combined;
}

/**
 * A group-slice piece's attention from its groups' qk, v [g1 − g0, L, D] (pieceInput): output and
 * log-sum-exp in the original order, [1, g1 − g0, L, D + 1]. Differentiable: blocks.ts runs it on
 * a tape.
 */
export function pieceForward(qk: tf.Tensor3D, v: tf.Tensor3D, piece: AttentionPiece, chunk: number): tf.Tensor {
  return attendRoundsJoined(qk, v, piece.plan, chunk);
}

/**
 * A chunk piece's attention from its sorted slots [from, end) of qk and v ([end − from, D] each):
 * output and log-sum-exp of the slots it keeps, [end − keep, D + 1], in sorted order.
 * Differentiable in those rows alone, so a piece's tape and gradients are of its own size.
 */
export function chunkPieceForward(sq: tf.Tensor2D, sv: tf.Tensor2D, piece: AttentionPiece, chunk: number): tf.Tensor2D {
  return tf.tidy(() => {
    const { from, keep, end } = chunkSlots(piece, chunk);
    const D = sq.shape[1];
    const nC = (end - from) / chunk;
    const both = attendSorted(
      sq.reshape([1, nC, chunk, D]) as tf.Tensor4D,
      sv.reshape([1, nC, chunk, D]) as tf.Tensor4D,
      piece.plan.sortedBuckets.subarray(from, end),
    );
    return keep === from ? both : both.slice([keep - from, 0], [end - keep, D + 1]);
  });
}

/**
 * One round of one group in chunk pieces: its rows are sorted once, each piece reads a slice of
 * them, and the pieces' outputs are joined and put back in the original order once. Work outside
 * the pieces is per group, not per piece, so it stays linear in the length. → [L, D + 1].
 */
function chunkRunsForward(qk: tf.Tensor3D, v: tf.Tensor3D, run: AttentionPiece[], chunk: number): tf.Tensor2D {
  const { plan, g0 } = run[0]!;
  const D = qk.shape[2];
  return tf.tidy(() => {
    const sq = gatherRows(groupRows(qk, g0), plan.perm);
    const sv = gatherRows(groupRows(v, g0), plan.perm);
    const parts = run.map((piece) => {
      const { from, end } = chunkSlots(piece, chunk);
      return chunkPieceForward(
        sq.slice([from, 0], [end - from, D]),
        sv.slice([from, 0], [end - from, D]),
        piece,
        chunk,
      );
    });
    return gatherRows(tf.concat(parts, 0) as tf.Tensor2D, plan.inverse); // [L, D + 1], original order
  });
}

/**
 * attendRounds piece by piece, each piece's chunk tensors freed before the next: qk, v [G, L, D]
 * → out [R, G, L, D], lse [R, G, L, 1]. Runs outside gradient tapes (inference, and the forward
 * half of attentionVjp).
 */
export function attendInPieces(
  qk: tf.Tensor3D,
  v: tf.Tensor3D,
  plan: SortPlan,
  chunk: number,
): { out: tf.Tensor4D; lse: tf.Tensor4D } {
  const pieces = attentionPieces(plan, chunk);
  if (pieces.length === 1) return attendRounds(qk, v, plan, chunk);
  const [, L, D] = qk.shape;
  const outs: tf.Tensor4D[] = [];
  const lses: tf.Tensor4D[] = [];
  const keep = (both: tf.Tensor) => {
    outs.push(both.slice([0, 0, 0, 0], [1, both.shape[1]!, L, D]) as tf.Tensor4D);
    lses.push(both.slice([0, 0, 0, D], [1, both.shape[1]!, L, 1]) as tf.Tensor4D);
    both.dispose();
  };
  if (pieces[0]!.chunks) {
    // Each round of each group in runs of sorted chunks.
    for (const run of byRoundAndGroup(pieces))
      keep(tf.tidy(() => chunkRunsForward(qk, v, run, chunk).reshape([1, 1, L, D + 1])));
  } else {
    for (const piece of pieces) {
      const inputs = [pieceInput(qk, piece), pieceInput(v, piece)] as const;
      const both = pieceForward(inputs[0], inputs[1], piece, chunk);
      if (inputs[0] !== qk) tf.dispose([...inputs]);
      keep(both);
    }
  }
  // Pieces come round-major, group slices (or groups) in order within a round: join the groups
  // (axis 1) of each round, then the rounds (axis 0) → [R, G, L, ·].
  const perRound = outs.length / plan.rounds;
  const join = (parts: tf.Tensor4D[]) =>
    tf.tidy(
      () =>
        tf.concat(
          Array.from({ length: plan.rounds }, (_, r) => tf.concat(parts.slice(r * perRound, (r + 1) * perRound), 1)),
          0,
        ) as tf.Tensor4D,
    );
  const out = join(outs);
  const lse = join(lses);
  tf.dispose([...outs, ...lses]);
  return { out, lse };
}

/** The additive causal bias [L, L]: 0 before the diagonal, −1e5 on it, −1e9 after. */
function causalBias(L: number): Float32Array {
  const out = new Float32Array(L * L).fill(MASKED_SCORE);
  for (let i = 0; i < L; i++) {
    out.fill(0, i * L, i * L + i);
    out[i * L + i] = SELF_SCORE;
  }
  return out;
}

/** Full attention on all of qk, v [G, L, D] at once (under a tape: the tape holds [G, L, L] several times). */
function fullAttentionWhole(qk: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  const [, L, D] = qk.shape;
  return tf.tidy(() => {
    const scaled = tf.mul(qk, 1 / Math.sqrt(D)) as tf.Tensor3D;
    const scores = tf.add(batchMatMulNT(scaled, normalizeKeys(qk) as tf.Tensor3D), tf.tensor2d(causalBias(L), [L, L])); // [G, L, L]
    return batchMatMulNT(tf.softmax(scores, -1) as tf.Tensor3D, v.transpose([0, 2, 1]) as tf.Tensor3D);
  });
}

/**
 * Full causal attention with the same shared-QK and self rules: qk, v [G, L, D] → [G, L, D]. The
 * quadratic reference the tests compare against, and the `full` layers that bench:quality trains
 * beside LSH: both products are in the A·Bᵀ layout (the SIMD kernel on WASM) and the softmax is
 * the backend's (XNNPACK's on WASM). Outside a tape it runs a few groups at a time
 * (fullAttentionPieces), so its [G, L, L] scores never exist for every group at once.
 */
export function fullAttention(qk: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  const [G, L, D] = qk.shape;
  const taped = (tf.engine().state as { gradientDepth: number }).gradientDepth > 0;
  const pieces = fullAttentionPieces(G, L);
  if (taped || pieces.length === 1) return fullAttentionWhole(qk, v);
  const parts = pieces.map(([g0, g1]) =>
    tf.tidy(() => fullAttentionWhole(qk.slice([g0, 0, 0], [g1 - g0, L, D]), v.slice([g0, 0, 0], [g1 - g0, L, D]))),
  );
  const out = tf.concat(parts, 0) as tf.Tensor3D;
  tf.dispose(parts);
  return out;
}

export const ATTENTION_SCORES = { self: SELF_SCORE, masked: MASKED_SCORE } as const;
