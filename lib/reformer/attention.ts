/**
 * Attention cores over heads folded into a group axis G = batch·heads, with shared query/key
 * (paper §2): keys are the L2-normalised queries, and a position attends to itself only when it
 * has no other target (its score is −1e5, masked scores are −1e9).
 *
 * - `chunkedAttention`: LSH (paper §2) and local attention. Positions are sorted per hash round by
 *   (bucket, position) and cut into chunks of C; each chunk attends to itself and the previous
 *   chunk, so the work is O(L·C) per round. Within that window a query keeps only keys of its own
 *   bucket among the C slots before it: "the ≤ C most recent earlier positions of my bucket". This
 *   depends on the past alone — plain chunk windows let a later token's bucket shift every chunk
 *   boundary, which breaks causality and makes cached decoding impossible to match. Rounds are
 *   combined with their log-sum-exp weights. Local attention is the same core with one round, one
 *   bucket and the identity order: a sliding window of C.
 * - `fullAttention`: quadratic; the reference the tests compare against, and bench:quality's baseline.
 */
import * as tf from './tf';
import type { SortPlan } from './hashing';
import { writtenTensor } from './kernels/heap';
import { exp, fusedChunkAttention, simdAttention } from './kernels/simd';
import { batchMatMulNT } from './matmul';
import { gatherRows, logSumExpLast, permuteRows } from './ops';

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
 * The chunked attention of sorted rows: sq, sv [S, nC, C, D] (S sequences of nC chunks, each chunk
 * attending to itself and the chunk before it, within the run of its slots' buckets:
 * `sortedBuckets` [S·nC·C]). Returns the output and the log-sum-exp side by side, [S·nC·C, D + 1],
 * in sorted order.
 */
function attendSorted(sq: tf.Tensor4D, sv: tf.Tensor4D, sortedBuckets: Int32Array): tf.Tensor2D {
  const [S, nC, chunk, D] = sq.shape;
  const rows = S * nC * chunk;
  const sk = normalizeKeys(sq);
  if (simdAttention(sq)) {
    // On WASM, one kernel per direction (kernels/simd.ts): the scores are never stored, and the
    // slots windowBias masks are never computed.
    const flat = (x: tf.Tensor) => x.reshape([rows, D]) as tf.Tensor2D;
    return fusedChunkAttention(flat(sq), flat(sk), flat(sv), sortedBuckets, chunk, nC * chunk);
  }
  const bias = windowBias(sortedBuckets, nC * chunk, chunk);
  const kWin = tf.concat([previousChunk(sk, 0), sk], 2).reshape([S * nC, 2 * chunk, D]); // [S·nC, 2C, D]
  const vWin = tf.concat([previousChunk(sv, 0), sv], 2).reshape([S * nC, 2 * chunk, D]);
  const scaled = tf.mul(sq, 1 / Math.sqrt(D)).reshape([S * nC, chunk, D]) as tf.Tensor3D;
  // Masked scores become −1e9 + q·k and the self score −1e5 + q·k: both still vanish beside any
  // real key, and a slot with only itself attends to itself, as in decode.ts.
  const scores = tf.add(batchMatMulNT(scaled, kWin as tf.Tensor3D), bias); // [S·nC, C, 2C]
  const lse = logSumExpLast(scores); // [S·nC, C, 1]
  const o = batchMatMulNT(exp(tf.sub(scores, lse)) as tf.Tensor3D, vWin.transpose([0, 2, 1]) as tf.Tensor3D); // [S·nC, C, D]
  return tf.concat([o.reshape([rows, D]), lse.reshape([rows, 1])], 1) as tf.Tensor2D;
}

/**
 * Rounds combined by their log-sum-exp weights: out [R, G, L, D], lse [R, G, L, 1] → [G, L, D].
 * The softmax over rounds is max-subtracted: a round with only the self score has lse ≈ −1e5,
 * where float32 steps are 0.008, and exp(lse − logSumExp) would misweight equal rounds by that much.
 */
export function combineRounds(out: tf.Tensor4D, lse: tf.Tensor4D): tf.Tensor3D {
  const [R, G, L, D] = out.shape;
  if (R === 1) return out.reshape([G, L, D]);
  const weights = tf.softmax(lse.transpose([1, 2, 3, 0]), -1).transpose([3, 0, 1, 2]); // [R, G, L, 1]
  return tf.sum(tf.mul(out, weights), 0) as tf.Tensor3D;
}

/**
 * A piece of the chunked attention: one hash round over groups [g0, g1), or, when one group's
 * scores alone are over the budget (long sequences), a run of sorted chunks [c0, c1) of one group.
 * Pieces are independent, so attention can run (and be differentiated) piece by piece with
 * bounded memory: pieceForward and pieceCotangent.
 */
export interface AttentionPiece {
  round: number;
  g0: number;
  g1: number;
  /** The sort of this round over groups [g0, g1) (rebased: rows index the piece's groups). */
  plan: SortPlan;
  /** Set on a piece of chunks [c0, c1) of the one group g0 (g1 = g0 + 1). */
  chunks?: { c0: number; c1: number };
}

/** Bytes of one [chunks, C, 2C] score tensor above which a piece is split further (tests lower it). */
export const attentionMemory = { pieceScoreBytes: 8 * 2 ** 20 };

/**
 * The pieces of a plan: every round, groups in slices whose score tensor stays under 8 MiB; a
 * group over it alone (past 16,384 tokens at C 64) in runs of chunks that are. On the plain path
 * a piece's tape holds ~50× its score tensor (one LSH layer's step at 16k tokens peaked at 566 MiB
 * inside a piece, on a baseline of ~160 MiB); on WASM the fused kernel stores no scores, and the
 * same step peaks at 298 MiB (bench:engine). A run of chunks also
 * computes the chunk before it, whose keys its first chunk attends to, and drops that chunk's own
 * output.
 */
export function attentionPieces(plan: SortPlan, chunk: number): AttentionPiece[] {
  const perChunk = chunk * 2 * chunk * 4;
  const perGroup = plan.length * 2 * chunk * 4;
  const pieces: AttentionPiece[] = [];
  if (perGroup > attentionMemory.pieceScoreBytes && plan.length > chunk) {
    const nC = plan.length / chunk;
    // Each run carries one chunk more than it keeps: at least one kept, whatever the budget.
    const run = Math.max(1, Math.floor(attentionMemory.pieceScoreBytes / perChunk) - 1);
    for (let r = 0; r < plan.rounds; r++) {
      for (let g = 0; g < plan.groups; g++) {
        const groupPlan = piecePlan(plan, r, g, g + 1);
        for (let c0 = 0; c0 < nC; c0 += run)
          pieces.push({ round: r, g0: g, g1: g + 1, plan: groupPlan, chunks: { c0, c1: Math.min(nC, c0 + run) } });
      }
    }
    return pieces;
  }
  const step = Math.max(1, Math.floor(attentionMemory.pieceScoreBytes / perGroup));
  for (let r = 0; r < plan.rounds; r++) {
    for (let g0 = 0; g0 < plan.groups; g0 += step) {
      const g1 = Math.min(plan.groups, g0 + step);
      pieces.push({ round: r, g0, g1, plan: piecePlan(plan, r, g0, g1) });
    }
  }
  return pieces;
}

/** First sorted slot a chunk piece computes (its context chunk's), first it keeps, and its end. */
function chunkSlots(piece: AttentionPiece, chunk: number): { from: number; keep: number; end: number } {
  const { c0, c1 } = piece.chunks!;
  return { from: Math.max(0, c0 - 1) * chunk, keep: c0 * chunk, end: c1 * chunk };
}

/**
 * A group-slice piece's attention from its groups' qk, v [g1 − g0, L, D] (pieceInput): output and
 * log-sum-exp in the original order, [1, g1 − g0, L, D + 1]. Differentiable: blocks.ts runs it on
 * a tape.
 */
function pieceForward(qk: tf.Tensor3D, v: tf.Tensor3D, piece: AttentionPiece, chunk: number): tf.Tensor {
  return attendRoundsJoined(qk, v, piece.plan, chunk);
}

/** The cotangent of pieceForward's value, from the layer's dOut [R, G, L, D] and dLse [R, G, L, 1]. */
function pieceCotangent(dOut: tf.Tensor4D, dLse: tf.Tensor4D, piece: AttentionPiece): tf.Tensor {
  const [, , L, D] = dOut.shape;
  const n = piece.g1 - piece.g0;
  return tf.tidy(() =>
    tf.concat(
      [
        dOut.slice([piece.round, piece.g0, 0, 0], [1, n, L, D]),
        dLse.slice([piece.round, piece.g0, 0, 0], [1, n, L, 1]),
      ],
      3,
    ),
  );
}

/**
 * A chunk piece's attention from its sorted slots [from, end) of qk and v ([end − from, D] each):
 * output and log-sum-exp of the slots it keeps, [end − keep, D + 1], in sorted order.
 * Differentiable in those rows alone, so a piece's tape and gradients are of its own size.
 */
function chunkPieceForward(sq: tf.Tensor2D, sv: tf.Tensor2D, piece: AttentionPiece, chunk: number): tf.Tensor2D {
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

/** Chunk pieces in runs of the same round and group (attentionPieces lists them so). */
function byRoundAndGroup(pieces: AttentionPiece[]): AttentionPiece[][] {
  const runs: AttentionPiece[][] = [];
  for (const p of pieces) {
    const last = runs[runs.length - 1]?.[0];
    if (last && last.round === p.round && last.g0 === p.g0) runs[runs.length - 1]!.push(p);
    else runs.push([p]);
  }
  return runs;
}

/** Row g of x [G, L, D] as [L, D]. */
function groupRows(x: tf.Tensor3D, g: number): tf.Tensor2D {
  const [, L, D] = x.shape;
  return x.slice([g, 0, 0], [1, L, D]).reshape([L, D]) as tf.Tensor2D;
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
    return gatherRows(tf.concat(parts, 0) as tf.Tensor2D, plan.inverse);
  });
}

/** The value and gradients of `fn` with respect to `xs` for the cotangent `dy` (blocks.ts: one short tape). */
export type VjpFn = (fn: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor) => { value: tf.Tensor; grads: tf.Tensor[] };

/**
 * The gradients of qk and v [G, L, D] through attention in chunk pieces, from the layer's dOut
 * [R, G, L, D] and dLse [R, G, L, 1]: each piece on a tape of its own (`vjp`) over its sorted
 * slots. A piece's context chunk is the previous piece's last chunk, so its gradient there is added
 * to that piece's; the sorted gradients go back to the original order once per round and group.
 */
function chunkPiecesVjp(
  qk: tf.Tensor3D,
  v: tf.Tensor3D,
  dOut: tf.Tensor4D,
  dLse: tf.Tensor4D,
  pieces: AttentionPiece[],
  chunk: number,
  vjp: VjpFn,
): { dqk: tf.Tensor3D; dv: tf.Tensor3D } {
  const [G, L, D] = qk.shape;
  const dq: (tf.Tensor2D | undefined)[] = new Array(G);
  const dv: (tf.Tensor2D | undefined)[] = new Array(G);
  const accumulate = (acc: (tf.Tensor2D | undefined)[], g: number, t: tf.Tensor2D) => {
    const before = acc[g];
    acc[g] = before ? (tf.add(before, t) as tf.Tensor2D) : t;
    if (before) tf.dispose([before, t]);
  };
  for (const run of byRoundAndGroup(pieces)) {
    const { plan, g0, round } = run[0]!;
    const [sq, sv, cot] = tf.tidy(() => [
      gatherRows(groupRows(qk, g0), plan.perm),
      gatherRows(groupRows(v, g0), plan.perm),
      gatherRows(
        tf.concat(
          [
            dOut.slice([round, g0, 0, 0], [1, 1, L, D]).reshape([L, D]),
            dLse.slice([round, g0, 0, 0], [1, 1, L, 1]).reshape([L, 1]),
          ],
          1,
        ) as tf.Tensor2D,
        plan.perm,
      ),
    ]);
    // The gradients of the sorted slots, piece by piece: [q, v] parts, each freed once joined.
    const parts: [tf.Tensor2D[], tf.Tensor2D[]] = [[], []];
    for (const piece of run) {
      const { from, keep, end } = chunkSlots(piece, chunk);
      const context = keep - from;
      const grads = tf.tidy(() => {
        const [q, vv] = [sq.slice([from, 0], [end - from, D]), sv.slice([from, 0], [end - from, D])];
        return vjp(() => chunkPieceForward(q, vv, piece, chunk), [q, vv], cot.slice([keep, 0], [end - keep, D + 1]))
          .grads as tf.Tensor2D[];
      });
      grads.forEach((grad, i) => {
        const own = parts[i]!;
        if (context > 0) {
          const prev = own.pop()!;
          const n = prev.shape[0];
          own.push(
            tf.tidy(
              () =>
                tf.concat(
                  [
                    prev.slice([0, 0], [n - context, D]),
                    tf.add(prev.slice([n - context, 0], [context, D]), grad.slice([0, 0], [context, D])),
                  ],
                  0,
                ) as tf.Tensor2D,
            ),
          );
          prev.dispose();
        }
        own.push(context > 0 ? grad.slice([context, 0], [end - keep, D]) : grad);
        if (context > 0) grad.dispose();
      });
    }
    tf.dispose([sq, sv, cot]);
    parts.forEach((own, i) => {
      const sorted = tf.concat(own, 0) as tf.Tensor2D;
      tf.dispose(own);
      const original = gatherRows(sorted, plan.inverse);
      sorted.dispose();
      accumulate(i === 0 ? dq : dv, g0, original);
    });
  }
  const join = (parts: (tf.Tensor2D | undefined)[]) => {
    const out = tf.stack(parts as tf.Tensor2D[], 0) as tf.Tensor3D;
    tf.dispose(parts as tf.Tensor2D[]);
    return out;
  };
  return { dqk: join(dq), dv: join(dv) };
}

/**
 * The gradients of qk and v [G, L, D] through attention in group-slice pieces: each piece (a round
 * over a slice of groups) on its own tape, gradients summed over rounds per slice, then joined
 * along the groups.
 */
function groupPiecesVjp(
  qk: tf.Tensor3D,
  v: tf.Tensor3D,
  dOut: tf.Tensor4D,
  dLse: tf.Tensor4D,
  pieces: AttentionPiece[],
  chunk: number,
  vjp: VjpFn,
): { dqk: tf.Tensor3D; dv: tf.Tensor3D } {
  const slices = new Map<number, { dq?: tf.Tensor; dv?: tf.Tensor }>();
  const sum = (acc: tf.Tensor | undefined, t: tf.Tensor) => {
    if (!acc) return t;
    const next = tf.add(acc, t);
    tf.dispose([acc, t]);
    return next;
  };
  for (const piece of pieces) {
    const qs = pieceInput(qk, piece);
    const vs = pieceInput(v, piece);
    const cot = pieceCotangent(dOut, dLse, piece);
    const g = vjp(() => pieceForward(qs, vs, piece, chunk), [qs, vs], cot);
    tf.dispose([cot, g.value]);
    if (qs !== qk) tf.dispose([qs, vs]);
    const entry = slices.get(piece.g0) ?? {};
    entry.dq = sum(entry.dq, g.grads[0]);
    entry.dv = sum(entry.dv, g.grads[1]);
    slices.set(piece.g0, entry);
  }
  const ordered = [...slices.entries()].sort((a, b) => a[0] - b[0]).map(([, e]) => e);
  return {
    dqk: joinGroups(ordered.map((e) => e.dq!)) as tf.Tensor3D,
    dv: joinGroups(ordered.map((e) => e.dv!)) as tf.Tensor3D,
  };
}

/** Group slices' gradients joined along the groups (axis 0); the slices are freed. */
export function joinGroups(parts: tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return parts[0]!;
  const joined = tf.concat(parts, 0);
  tf.dispose(parts);
  return joined;
}

/**
 * The gradients of qk and v [G, L, D] through LSH / local attention, from the layer's dOut
 * [R, G, L, D] and dLse [R, G, L, 1], piece by piece (attentionPieces), each piece on a tape of its
 * own (`vjp`): group slices, or past 16k tokens a group, runs of sorted chunks.
 */
export function piecesVjp(
  qk: tf.Tensor3D,
  v: tf.Tensor3D,
  dOut: tf.Tensor4D,
  dLse: tf.Tensor4D,
  plan: SortPlan,
  chunk: number,
  vjp: VjpFn,
): { dqk: tf.Tensor3D; dv: tf.Tensor3D } {
  const pieces = attentionPieces(plan, chunk);
  return pieces[0]!.chunks
    ? chunkPiecesVjp(qk, v, dOut, dLse, pieces, chunk, vjp)
    : groupPiecesVjp(qk, v, dOut, dLse, pieces, chunk, vjp);
}

/** The plan of round r over groups [g0, g1) of a multi-round plan (indices rebased to the piece). */
function piecePlan(plan: SortPlan, r: number, g0: number, g1: number): SortPlan {
  const M = plan.groups * plan.length;
  const start = r * M + g0 * plan.length;
  const end = r * M + g1 * plan.length;
  const rebase = (a: Int32Array) => {
    const out = a.slice(start, end);
    for (let i = 0; i < out.length; i++) out[i] -= start;
    return out;
  };
  return {
    rounds: 1,
    groups: g1 - g0,
    length: plan.length,
    perm: rebase(plan.perm),
    inverse: rebase(plan.inverse),
    sortedBuckets: plan.sortedBuckets.slice(start, end),
  };
}

/** The piece's slice of [G, L, D]. */
function pieceInput(x: tf.Tensor3D, piece: AttentionPiece): tf.Tensor3D {
  const [G, L, D] = x.shape;
  return piece.g0 === 0 && piece.g1 === G ? x : x.slice([piece.g0, 0, 0], [piece.g1 - piece.g0, L, D]);
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
  // Pieces come round-major, group slices (or groups) in order within a round.
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

/** Group slices [g0, g1) of full attention whose [g1 − g0, L, L] scores stay under attentionMemory.pieceScoreBytes. */
export function fullAttentionPieces(groups: number, length: number): Array<[number, number]> {
  const step = Math.max(1, Math.floor(attentionMemory.pieceScoreBytes / (length * length * 4)));
  const out: Array<[number, number]> = [];
  for (let g0 = 0; g0 < groups; g0 += step) out.push([g0, Math.min(groups, g0 + step)]);
  return out;
}

/**
 * Full causal attention with the same shared-QK and self rules: qk, v [G, L, D] → [G, L, D]. The
 * quadratic reference the tests compare against, and the `full` layers that bench:quality trains
 * beside LSH: both products are in the A·Bᵀ layout (the SIMD kernel on WASM) and the softmax is
 * the backend's (XNNPACK's on WASM). Outside a tape it runs a few groups at a time
 * (fullAttentionPieces), so 3,072 tokens at batch 2 need ~40 MB of scores rather than 300 MB.
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
