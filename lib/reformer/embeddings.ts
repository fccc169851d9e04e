/**
 * Input embeddings: tokens (with a start token appended to the vocabulary) and axial position
 * embeddings (paper §5; Ho et al. 2019): one small table per image axis, [n_k, d_k] with Σ d_k = d,
 * broadcast and concatenated, so 256×256×1 positions need 256 + 256 rows, not a 65,536-row table.
 */
import * as tf from './tf';
import { embeddingLookup } from './ops';

/**
 * The position table [length, d] from axial tables [n_k, d_k]: position p = row-major index over
 * the axes (height, width, channel), its embedding the concatenation of each axis's row.
 */
export function axialPositionTable(tables: tf.Tensor2D[], length: number): tf.Tensor2D {
  return tf.tidy(() => {
    const shape = tables.map((t) => t.shape[0]);
    // Broadcast by adding to zeros, not with tf.broadcastTo: that runs Tile, whose gradient is one
    // Slice and one Add per copy (2,048 kernels a step at 32×32×3); this one's is a single Sum.
    const parts = tables.map((t, k) => {
      const view = shape.map((n, j) => (j === k ? n : 1)); // [1, .., n_k, .., 1]
      return tf.add(tf.zeros([...shape, t.shape[1]]), t.reshape([...view, t.shape[1]]));
    });
    const total = shape.reduce((a, b) => a * b, 1);
    const full = tf.concat(parts, shape.length).reshape([total, -1]);
    return full.slice([0, 0], [length, full.shape[1]!]) as tf.Tensor2D;
  });
}

/** Token + position embeddings: tokens [B, L] int32 → [B, L, d]. */
export function embedTokens(tokens: tf.Tensor2D, tokenTable: tf.Tensor2D, positions: tf.Tensor2D): tf.Tensor3D {
  const [B, L] = tokens.shape;
  const d = tokenTable.shape[1];
  const emb = embeddingLookup(tokenTable, tokens.reshape([B * L]) as tf.Tensor1D).reshape([B, L, d]);
  return tf.add(emb, positions.slice([0, 0], [L, d])) as tf.Tensor3D;
}
