/**
 * The gradients of LSH / local attention piece by piece (pieces.ts): each piece's forward is
 * recomputed on a short tape of its own and differentiated there, so the backward pass holds one
 * piece's intermediates at a time (paper §2, "Memory-efficient attention"; trax's
 * `EfficientAttentionBase.forward_and_or_backward` takes one vjp per slice the same way).
 */
import * as tf from './tf';
import { chunkPieceForward, pieceForward } from './attention';
import type { SortPlan } from './hashing';
import { gatherRows } from './ops';
import { attentionPieces, byRoundAndGroup, chunkSlots, groupRows, pieceInput, type AttentionPiece } from './pieces';

/** The value and gradients of `fn` with respect to `xs` for the cotangent `dy` (blocks.ts: one short tape). */
export type VjpFn = (fn: () => tf.Tensor, xs: tf.Tensor[], dy: tf.Tensor) => { value: tf.Tensor; grads: tf.Tensor[] };

/**
 * The gradients of qk and v [G, L, D] through LSH / local attention, from the layer's dOut
 * [R, G, L, D] and dLse [R, G, L, 1], piece by piece (attentionPieces), each piece on a tape of its
 * own (`vjp`): group slices, or for a group over the budget alone, runs of sorted chunks.
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
    // This round's sorted rows of group g0: queries, values [L, D] and the cotangent [L, D + 1].
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
        // The piece's sorted slots, its context chunk first: [end − from, D] each.
        const [q, vv] = [sq.slice([from, 0], [end - from, D]), sv.slice([from, 0], [end - from, D])];
        return vjp(() => chunkPieceForward(q, vv, piece, chunk), [q, vv], cot.slice([keep, 0], [end - keep, D + 1]))
          .grads as tf.Tensor2D[];
      });
      grads.forEach((grad, i) => {
        const own = parts[i]!;
        if (context > 0) {
          // grad [end − from, D]: its first `context` rows belong to the previous piece's last chunk.
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

/** Group slices' gradients joined along the groups (axis 0); the slices are freed. */
export function joinGroups(parts: tf.Tensor[]): tf.Tensor {
  if (parts.length === 1) return parts[0]!;
  const joined = tf.concat(parts, 0);
  tf.dispose(parts);
  return joined;
}
