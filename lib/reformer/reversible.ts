/**
 * Reversible residual layers (paper §3, after Gomez et al. 2017; cf. reformer-pytorch
 * `reversible.py`): Y1 = X1 + F(X2), Y2 = X2 + G(Y1). The backward pass rebuilds each layer's
 * inputs from its outputs, X2 = Y2 − G(Y1), X1 = Y1 − F(X2), and recomputes F and G under a short
 * gradient tape of its own, one layer (and one feed-forward chunk) at a time. Training therefore
 * keeps two [B, L, d] tensors alive, not every layer's activations. Randomness the recompute needs
 * (buckets, dropout masks) comes from each layer's LayerTape.
 *
 * `plainResidualForward` is the reference: the same equations under ordinary autodiff.
 */
import * as tf from './tf';
import { feedForwardChunks, type LayerTape } from './blocks';

export interface ReversibleLayer {
  /** F: attention. [B, L, d] → [B, L, d]. */
  f(x: tf.Tensor3D, tape: LayerTape): tf.Tensor3D;
  /** F's value and VJP computed piecewise (optional; else one tape over F). Weight grads go to addGrad. */
  fVjp?(
    x: tf.Tensor3D,
    tape: LayerTape,
    dy: tf.Tensor3D,
    addGrad: (v: tf.Tensor, g: tf.Tensor) => void,
  ): { value: tf.Tensor3D; dx: tf.Tensor3D };
  /** G on one chunk of positions. [B, l, d] → [B, l, d]. */
  gChunk(x: tf.Tensor3D, tape: LayerTape, chunkIndex: number): tf.Tensor3D;
  /** Chunk length for G along the sequence. */
  gChunkLength: number;
  fVariables: tf.Variable[];
  gVariables: tf.Variable[];
}

export interface Halves {
  x1: tf.Tensor3D;
  x2: tf.Tensor3D;
}

/** Applies G chunk by chunk with `fn` collecting each chunk's result, then concatenates. */
function overChunks(
  x: tf.Tensor3D,
  chunk: number,
  fn: (part: tf.Tensor3D, i: number, start: number) => tf.Tensor3D,
): tf.Tensor3D {
  const [B, L, d] = x.shape;
  const parts = feedForwardChunks(L, chunk).map(([s, n], i) => {
    const part = x.slice([0, s, 0], [B, n, d]);
    const out = fn(part, i, s);
    part.dispose();
    return out;
  });
  if (parts.length === 1) return parts[0];
  const out = tf.concat(parts, 1) as tf.Tensor3D;
  parts.forEach((p) => p.dispose());
  return out;
}

function applyG(layer: ReversibleLayer, y1: tf.Tensor3D, tape: LayerTape): tf.Tensor3D {
  return overChunks(y1, layer.gChunkLength, (part, i) => tf.tidy(() => layer.gChunk(part, tape, i)));
}

/** One layer forward without a gradient tape. Does not dispose its inputs. */
export function reversibleForward(layer: ReversibleLayer, { x1, x2 }: Halves, tape: LayerTape): Halves {
  const y1 = tf.tidy(() => tf.add(x1, layer.f(x2, tape)) as tf.Tensor3D);
  const y2 = tf.tidy(() => tf.add(x2, applyG(layer, y1, tape)) as tf.Tensor3D);
  return { x1: y1, x2: y2 };
}

/** Rebuilds a layer's inputs from its outputs. Does not dispose its inputs. */
export function reversibleInverse(layer: ReversibleLayer, { x1: y1, x2: y2 }: Halves, tape: LayerTape): Halves {
  const x2 = tf.tidy(() => tf.sub(y2, applyG(layer, y1, tape)) as tf.Tensor3D);
  const x1 = tf.tidy(() => tf.sub(y1, layer.f(x2, tape)) as tf.Tensor3D);
  return { x1, x2 };
}

export interface ReversibleBackward {
  inputs: Halves;
  dInputs: Halves;
  /** Gradient per variable (keyed by the variable's registered name). */
  grads: Map<string, tf.Tensor>;
}

/** Adds `g` into `acc[name]`, disposing what it replaces. */
export function accumulate(acc: Map<string, tf.Tensor>, name: string, g: tf.Tensor): void {
  const prev = acc.get(name);
  if (!prev) {
    acc.set(name, g);
    return;
  }
  acc.set(name, tf.add(prev, g));
  prev.dispose();
  g.dispose();
}

/** Vector-Jacobian product of fn at `x` and the variables, with cotangent dy. */
function vjp(
  fn: () => tf.Tensor,
  x: tf.Tensor,
  variables: tf.Variable[],
  dy: tf.Tensor,
  grads: Map<string, tf.Tensor>,
): { value: tf.Tensor; dx: tf.Tensor } {
  const { value, grads: g } = tf.valueAndGrads((..._xs: tf.Tensor[]) => fn())([x, ...variables], dy);
  variables.forEach((v, i) => accumulate(grads, v.name, g[i + 1]));
  return { value, dx: g[0] };
}

/**
 * Backward through one layer: given its outputs and their gradients, returns its inputs, their
 * gradients, and the variables' gradients. Disposes nothing it was given.
 */
export function reversibleBackward(
  layer: ReversibleLayer,
  outputs: Halves,
  dOutputs: Halves,
  tape: LayerTape,
  grads: Map<string, tf.Tensor>,
): ReversibleBackward {
  const { x1: y1, x2: y2 } = outputs;
  const { x1: dy1, x2: dy2 } = dOutputs;
  const [B, , d] = y1.shape;

  // G, chunk by chunk: X2 = Y2 − G(Y1); dY1 += Gᵀ·dY2.
  const gValues: tf.Tensor3D[] = [];
  const dY1fromG = overChunks(y1, layer.gChunkLength, (part, i, s) => {
    const dyPart = dy2.slice([0, s, 0], [B, part.shape[1], d]);
    const { value, dx } = vjp(() => layer.gChunk(part, tape, i), part, layer.gVariables, dyPart, grads);
    dyPart.dispose();
    gValues.push(value as tf.Tensor3D);
    return dx as tf.Tensor3D;
  });
  const gOut = gValues.length === 1 ? gValues[0] : (tf.concat(gValues, 1) as tf.Tensor3D);
  if (gValues.length > 1) gValues.forEach((t) => t.dispose());
  const x2 = tf.sub(y2, gOut) as tf.Tensor3D;
  gOut.dispose();
  const dY1 = tf.add(dy1, dY1fromG) as tf.Tensor3D;
  dY1fromG.dispose();

  // F: X1 = Y1 − F(X2); dX2 = dY2 + Fᵀ·dY1; dX1 = dY1.
  const { value: fOut, dx: dX2fromF } = layer.fVjp
    ? layer.fVjp(x2, tape, dY1, (v, g) => accumulate(grads, (v as tf.Variable).name, g))
    : vjp(() => layer.f(x2, tape), x2, layer.fVariables, dY1, grads);
  const x1 = tf.sub(y1, fOut) as tf.Tensor3D;
  fOut.dispose();
  const dX2 = tf.add(dy2, dX2fromF) as tf.Tensor3D;
  dX2fromF.dispose();
  return { inputs: { x1, x2 }, dInputs: { x1: dY1, x2: dX2 }, grads };
}

/** Reference: the same stack under plain autodiff (keeps every activation). */
export function plainResidualForward(layers: ReversibleLayer[], input: Halves, tapes: LayerTape[]): Halves {
  let { x1, x2 } = input;
  layers.forEach((layer, i) => {
    const y1 = tf.add(x1, layer.f(x2, tapes[i])) as tf.Tensor3D;
    const [B, L, d] = y1.shape;
    const g = feedForwardChunks(L, layer.gChunkLength).map(([s, n], c) =>
      layer.gChunk(y1.slice([0, s, 0], [B, n, d]), tapes[i], c),
    );
    const y2 = tf.add(x2, g.length === 1 ? g[0] : tf.concat(g, 1)) as tf.Tensor3D;
    x1 = y1;
    x2 = y2;
  });
  return { x1, x2 };
}
