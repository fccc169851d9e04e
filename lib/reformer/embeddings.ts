/**
 * Input embeddings: tokens (with a start token appended to the vocabulary) and axial position
 * embeddings (paper §5; Ho et al. 2019): one small table per image axis, [n_k, d_k] with Σ d_k = d,
 * broadcast and concatenated, so 256×256×1 positions need 256 + 256 rows, not a 65,536-row table.
 *
 * Optional pixel-neighbour embeddings: the input at target t also adds, per configured offset, a
 * learned embedding of the token at that offset on the image grid (the pixel above, to the left,
 * …; PixelCNN's masked first layer, as lookups). LSH attends by content, so an exact relative
 * position such as "96 tokens back" is hard for it to find; these hand every layer the
 * neighbours a pixel most depends on and leave attention the long range.
 *
 * Optional class embedding (class-conditional generation; Ho & Salimans 2022, "Classifier-Free
 * Diffusion Guidance", for the "no class" row): a table [classes + 1, d] whose last row is "no
 * class", one row per sequence added to every position's input. An embedding rather than a class
 * prefix token, because it leaves the sequence as it is: no change of length (seqLength, the axial
 * shape and the chunking stay those of the image), and decoding positions stay image positions.
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

/**
 * The target each neighbour offset (config.neighbours) reads for target t, or −1 where it falls
 * off the image. Offsets point strictly back in row-major order (resolveConfig checks), so < t.
 */
export function neighbourSources(axialShape: number[], offsets: number[][], t: number): number[] {
  return offsets.map((o) => {
    let source = 0;
    let stride = axialShape.reduce((a, b) => a * b, 1);
    for (let k = 0; k < axialShape.length; k++) {
      stride /= axialShape[k];
      const coordinate = (Math.floor(t / stride) % axialShape[k]) + o[k];
      if (coordinate < 0 || coordinate >= axialShape[k]) return -1;
      source += coordinate * stride;
    }
    return source;
  });
}

/** neighbourSources for every target t < length: Int32Array [length] per offset. */
export function neighbourIndex(axialShape: number[], offsets: number[][], length: number): Int32Array[] {
  const index = offsets.map(() => new Int32Array(length));
  for (let t = 0; t < length; t++)
    neighbourSources(axialShape, offsets, t).forEach((source, k) => (index[k][t] = source));
  return index;
}

/**
 * The neighbour embeddings' sum for targets [B, L]: Σ_k table_k[token at offset k], with row
 * `none` (the start-token id) where the offset leaves the image. tables [vocab + 1, d] → [B, L, d].
 */
export function embedNeighbours(
  targets: tf.Tensor2D,
  tables: tf.Tensor2D[],
  index: Int32Array[],
  none: number,
): tf.Tensor3D {
  const [B, L] = targets.shape;
  const d = tables[0].shape[1];
  return tf.tidy(() => {
    const padded = tf.concat([tf.fill([B, 1], none, 'int32'), targets.toInt()], 1); // [B, 1 + L]: column 0 is "none"
    const parts = tables.map((table, k) => {
      const columns = tf.tensor1d(
        index[k].map((i) => i + 1),
        'int32',
      );
      const ids = tf.gather(padded, columns, 1); // [B, L]
      return embeddingLookup(table, ids.reshape([B * L]) as tf.Tensor1D);
    });
    return tf.addN(parts).reshape([B, L, d]) as tf.Tensor3D;
  });
}

/**
 * Checks one class id per sequence against a model of `classes` classes: integers in
 * [0, classes], `classes` meaning "no class". Throws an Error that says what is allowed.
 */
export function checkClassIds(classIds: ArrayLike<number>, classes: number, batch: number): void {
  if (classes === 0)
    throw new Error('this model is unconditional (config.classes 0): it takes no class ids; omit them');
  if (classIds.length !== batch)
    throw new Error(`got ${classIds.length} class ids for ${batch} sequences; give one per sequence`);
  for (let b = 0; b < classIds.length; b++) {
    const id = classIds[b];
    if (!Number.isInteger(id) || id < 0 || id > classes)
      throw new Error(
        `class id ${id} (sequence ${b}) is not a class of this model: use 0 to ${classes - 1}, or ${classes} for "no class"`,
      );
  }
}

/** Each sequence's class row: table [classes + 1, d], ids [B] → [B, 1, d], to add to [B, L, d]. */
export function embedClasses(table: tf.Tensor2D, classIds: tf.Tensor1D): tf.Tensor3D {
  return tf.tidy(() => embeddingLookup(table, classIds).expandDims(1) as tf.Tensor3D);
}
