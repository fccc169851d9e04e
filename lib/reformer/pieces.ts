/**
 * The memory budget of attention: which pieces it runs in. Hash rounds and groups (batch·heads)
 * are independent (paper §2, "Multi-round LSH attention"), and so are runs of sorted chunks given
 * the chunk before them, so attention can be computed, and recomputed for its gradient, a piece at
 * a time (paper §2, "Memory-efficient attention"; §3, "Chunking"). This file only plans: pieces,
 * their sort plans and slices. attention.ts runs them forward, piece-gradients.ts backward.
 */
import * as tf from './tf';
import type { SortPlan } from './hashing';

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
 * The pieces of a plan: every round, groups in slices whose score tensor stays under
 * attentionMemory's budget; a group over it alone (long sequences) in runs of chunks that are. On
 * the plain path a piece's tape holds many times its score tensor, so the score tensor bounds a
 * step's peak memory; on WASM the fused kernel stores no scores at all. A run of chunks also
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

/** First sorted slot a chunk piece computes (its context chunk's), first it keeps, and its end. */
export function chunkSlots(piece: AttentionPiece, chunk: number): { from: number; keep: number; end: number } {
  const { c0, c1 } = piece.chunks!;
  return { from: Math.max(0, c0 - 1) * chunk, keep: c0 * chunk, end: c1 * chunk };
}

/** Chunk pieces in runs of the same round and group (attentionPieces lists them so). */
export function byRoundAndGroup(pieces: AttentionPiece[]): AttentionPiece[][] {
  const runs: AttentionPiece[][] = [];
  for (const p of pieces) {
    const last = runs[runs.length - 1]?.[0];
    if (last && last.round === p.round && last.g0 === p.g0) runs[runs.length - 1]!.push(p);
    else runs.push([p]);
  }
  return runs;
}

/** The piece's slice of [G, L, D]. */
export function pieceInput(x: tf.Tensor3D, piece: AttentionPiece): tf.Tensor3D {
  const [G, L, D] = x.shape;
  return piece.g0 === 0 && piece.g1 === G ? x : x.slice([piece.g0, 0, 0], [piece.g1 - piece.g0, L, D]);
}

/** Row g of x [G, L, D] as [L, D]. */
export function groupRows(x: tf.Tensor3D, g: number): tf.Tensor2D {
  const [, L, D] = x.shape;
  return x.slice([g, 0, 0], [1, L, D]).reshape([L, D]) as tf.Tensor2D;
}

/** Group slices [g0, g1) of full attention whose [g1 − g0, L, L] scores stay under attentionMemory.pieceScoreBytes. */
export function fullAttentionPieces(groups: number, length: number): Array<[number, number]> {
  const step = Math.max(1, Math.floor(attentionMemory.pieceScoreBytes / (length * length * 4)));
  const out: Array<[number, number]> = [];
  for (let g0 = 0; g0 < groups; g0 += step) out.push([g0, Math.min(groups, g0 + step)]);
  return out;
}
