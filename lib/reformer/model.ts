/**
 * ReformerLM (paper §5, the "Reformer" model): token + axial position embeddings, a stack of
 * reversible layers (attention kind per layer, chunked feed-forward), final norm and logits.
 * Autoregressive over image tokens: logits[t] predicts token t from tokens < t, via a start token.
 * With config.classes > 0, each sequence also takes a class id (embeddings.ts, class embedding).
 *
 * Training gradients come from `computeGradients`, which runs the reversible backward of
 * reversible.ts layer by layer instead of one tape over the whole model.
 */
import * as tf from './tf';
import {
  attentionBlock,
  attentionVjp,
  feedForwardChunk,
  prehashAttention,
  type AttentionWeights,
  type FeedForwardWeights,
  type LayerTape,
} from './blocks';
import { axialDims, resolveConfig, type ReformerConfig, type ResolvedConfig } from './config';
import {
  axialPositionTable,
  checkClassIds,
  embedClasses,
  embedNeighbours,
  embedTokens,
  neighbourIndex,
} from './embeddings';
import { hashRotations } from './hashing';
import { dense, layerNorm, mixSeed } from './ops';
import {
  accumulate,
  plainResidualForward,
  reversibleBackward,
  reversibleForward,
  type Halves,
  type ReversibleLayer,
} from './reversible';

let modelCounter = 0;

export interface LayerWeights {
  attention: AttentionWeights;
  feedForward: FeedForwardWeights;
}

export interface StepOptions {
  /**
   * Seed of this training step: fresh hash rotations and dropout masks per step. Omit at
   * inference: fixed rotations (from config.seed) and no dropout.
   */
  stepSeed?: number;
  /**
   * Class-conditional models (config.classes > 0): one class id per sequence, Int32 [batch], each
   * in [0, classes], `classes` = "no class". Omitted: every sequence has "no class". Unconditional
   * models take none.
   */
  classIds?: Int32Array;
}

export interface Gradients {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** Gradient per variable, keyed by the variable's registered name (what tf.train optimizers expect). */
  grads: tf.NamedTensorMap;
}

/** Cross-entropy in nats per token → bits per dimension (rgb: 1 dimension a token; palette: 3). */
export function bitsPerDim(natsPerToken: number, dimsPerToken = 1): number {
  return natsPerToken / Math.LN2 / dimsPerToken;
}

export class ReformerLM {
  readonly config: ResolvedConfig;
  /** Local name (e.g. `layers.0.attention.wqk`) → variable. Names are stable across save/load. */
  readonly variables = new Map<string, tf.Variable>();
  readonly layers: LayerWeights[];
  private readonly prefix: string;
  private inferenceRotations: (tf.Tensor2D | undefined)[] | undefined;
  /** neighbourIndex for the last sequence length embedded. */
  private neighbourIndexCache?: { length: number; index: Int32Array[] };

  constructor(config: Partial<ReformerConfig>, initial?: tf.NamedTensorMap) {
    this.config = resolveConfig(config);
    this.prefix = `reformer${++modelCounter}`;
    const c = this.config;
    const depth = c.layers.length;
    let paramIndex = 0;
    const param = (name: string, shape: number[], init: 'normal' | 'zeros' | 'ones', std = 0.02): tf.Variable => {
      const seed = mixSeed(c.seed, ++paramIndex);
      const given = initial?.[name];
      // A refused weight frees those made before it: the half-built model is never returned.
      const refuse = (why: string): never => {
        tf.dispose([...this.variables.values()]);
        this.variables.clear();
        throw new Error(why);
      };
      if (initial && !given) refuse(`weights are missing "${name}"`);
      if (given && given.shape.join() !== shape.join())
        refuse(`weight "${name}" has shape [${given.shape}] but the config needs [${shape}]`);
      if (given && given.dtype !== 'float32')
        refuse(`weight "${name}" is ${given.dtype}; the model's weights are float32`);
      const value = tf.tidy(() =>
        given
          ? given.clone()
          : init === 'normal'
            ? tf.randomNormal(shape, 0, std, 'float32', seed)
            : init === 'ones'
              ? tf.ones(shape)
              : tf.zeros(shape),
      );
      const v = tf.variable(value, true, `${this.prefix}/${name}`);
      value.dispose();
      this.variables.set(name, v);
      return v;
    };
    const d = c.dModel;
    const outStd = 0.02 / Math.sqrt(2 * depth);
    param('embed.tokens', [c.vocabSize + 1, d], 'normal');
    axialDims(d, c.axialShape.length).forEach((dk, k) => param(`embed.axial.${k}`, [c.axialShape[k], dk], 'normal'));
    c.neighbours.forEach((_, k) => param(`embed.neighbours.${k}`, [c.vocabSize + 1, d], 'normal'));
    this.layers = c.layers.map((_, i) => ({
      attention: {
        lnGamma: param(`layers.${i}.attention.ln.gamma`, [d], 'ones'),
        lnBeta: param(`layers.${i}.attention.ln.beta`, [d], 'zeros'),
        wqk: param(`layers.${i}.attention.wqk`, [d, d], 'normal'),
        wv: param(`layers.${i}.attention.wv`, [d, d], 'normal'),
        wo: param(`layers.${i}.attention.wo`, [d, d], 'normal', outStd),
        bo: param(`layers.${i}.attention.bo`, [d], 'zeros'),
      } as AttentionWeights,
      feedForward: {
        lnGamma: param(`layers.${i}.ff.ln.gamma`, [d], 'ones'),
        lnBeta: param(`layers.${i}.ff.ln.beta`, [d], 'zeros'),
        w1: param(`layers.${i}.ff.w1`, [d, c.dFF], 'normal'),
        b1: param(`layers.${i}.ff.b1`, [c.dFF], 'zeros'),
        w2: param(`layers.${i}.ff.w2`, [c.dFF, d], 'normal', outStd),
        b2: param(`layers.${i}.ff.b2`, [d], 'zeros'),
      } as FeedForwardWeights,
    }));
    param('final.ln.gamma', [d], 'ones');
    param('final.ln.beta', [d], 'zeros');
    param('head.w', [d, c.vocabSize], 'normal');
    param('head.b', [c.vocabSize], 'zeros');
    // Last, so a conditional model's other weights start as its unconditional twin's.
    if (c.classes > 0) param('embed.classes', [c.classes + 1, d], 'normal');
  }

  /** The variable for a local name. */
  weight<T extends tf.Tensor = tf.Tensor>(name: string): T {
    const v = this.variables.get(name);
    if (!v) throw new Error(`no weight named "${name}"`);
    return v as unknown as T;
  }

  /** The start-of-image token id (one past the data vocabulary). */
  get startToken(): number {
    return this.config.vocabSize;
  }

  /** Total number of scalar weights. */
  get parameterCount(): number {
    let n = 0;
    for (const v of this.variables.values()) n += v.size;
    return n;
  }

  /** The class id that means "no class" (config.classes; unconditional models have none). */
  get noClass(): number {
    return this.config.classes;
  }

  /**
   * The class ids a batch of `batch` sequences is embedded with: `classIds` checked (a clear error
   * for a bad id), "no class" for every row when omitted, undefined for an unconditional model.
   */
  classIdsFor(batch: number, classIds?: Int32Array): Int32Array | undefined {
    if (classIds === undefined) return this.config.classes > 0 ? new Int32Array(batch).fill(this.noClass) : undefined;
    checkClassIds(classIds, this.config.classes, batch);
    return classIds;
  }

  /** Axial position table [seqLength, d] from the current axial weights. */
  positions(): tf.Tensor2D {
    const tables = this.config.axialShape.map((_, k) => this.weight<tf.Tensor2D>(`embed.axial.${k}`));
    return axialPositionTable(tables, this.config.seqLength);
  }

  /** Fixed hash rotations of LSH layer `i` (inference), or fresh ones for a training step's seed. */
  rotations(i: number, stepSeed?: number): tf.Tensor2D | undefined {
    const c = this.config;
    if (c.layers[i] !== 'lsh' || c.nBuckets === 1) return undefined;
    if (stepSeed !== undefined)
      return hashRotations(c.dHead, c.nHashes, c.bucketFactors, mixSeed(c.seed, 1000 + i, stepSeed));
    this.inferenceRotations ??= c.layers.map((_, j) =>
      c.layers[j] === 'lsh' && c.nBuckets > 1
        ? tf.keep(hashRotations(c.dHead, c.nHashes, c.bucketFactors, mixSeed(c.seed, 1000 + j)))
        : undefined,
    );
    return this.inferenceRotations[i];
  }

  /** Layer i as the F/G pair the reversible machinery drives. */
  reversibleLayer(i: number, rotations: tf.Tensor2D | undefined): ReversibleLayer {
    const w = this.layers[i];
    const c = this.config;
    const kind = c.layers[i];
    return {
      f: (x, tape) => attentionBlock(x, w.attention, kind, c, rotations, tape),
      fVjp: (x, tape, dy, addGrad) => attentionVjp(x, w.attention, kind, c, rotations, tape, dy, addGrad),
      gChunk: (x, tape, chunk) => feedForwardChunk(x, w.feedForward, c, tape, chunk),
      gChunkLength: c.ffChunkLength,
      fVariables: Object.values(w.attention) as tf.Variable[],
      gVariables: Object.values(w.feedForward) as tf.Variable[],
    };
  }

  /** Model inputs for targets [B, L]: the start token, then targets shifted right by one. */
  inputsFor(tokens: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const [B, L] = tokens.shape;
      const start = tf.fill([B, 1], this.startToken, 'int32');
      return (L === 1 ? start : tf.concat([start, tokens.slice([0, 0], [B, L - 1])], 1)) as tf.Tensor2D;
    });
  }

  /** Final norm and logits from the two halves: [B, L, d] ×2 → [B, L, vocab]. */
  head(h: Halves): tf.Tensor3D {
    const mean = tf.mul(tf.add(h.x1, h.x2), 0.5);
    const normed = layerNorm(
      mean,
      this.weight<tf.Tensor1D>('final.ln.gamma'),
      this.weight<tf.Tensor1D>('final.ln.beta'),
    );
    return dense(normed, this.weight<tf.Tensor2D>('head.w'), this.weight<tf.Tensor1D>('head.b')) as tf.Tensor3D;
  }

  private tapes(stepSeed: number | undefined): LayerTape[] {
    return this.config.layers.map((_, i) => ({
      dropoutSeed:
        stepSeed === undefined || this.config.dropout === 0 ? undefined : mixSeed(this.config.seed, 2000 + i, stepSeed),
    }));
  }

  private checkTokens(tokens: tf.Tensor2D): void {
    if (tokens.rank !== 2) throw new Error(`tokens must be [batch, length], got shape [${tokens.shape}]`);
    if (tokens.shape[1] > this.config.seqLength) {
      throw new Error(
        `sequence of ${tokens.shape[1]} tokens is longer than the model's seqLength ${this.config.seqLength}`,
      );
    }
  }

  /** Logits [B, L, vocab] for targets [B, L] (int32): logits[:, t] predict tokens[:, t]. No gradient tape. */
  forward(tokens: tf.Tensor2D, opts: StepOptions = {}): tf.Tensor3D {
    const run = this.startForward(tokens, opts);
    for (let i = 0; i < this.config.layers.length; i++) run.layer(i);
    return run.finish();
  }

  /**
   * `forward` without synchronous reads: each LSH layer's buckets are read back asynchronously
   * before the layer runs. Use it on WebGPU/WebGL.
   */
  async forwardAsync(tokens: tf.Tensor2D, opts: StepOptions = {}): Promise<tf.Tensor3D> {
    const run = this.startForward(tokens, opts);
    for (let i = 0; i < this.config.layers.length; i++) {
      if (this.config.layers[i] === 'lsh') await run.prehash(i);
      run.layer(i);
    }
    return run.finish();
  }

  /** The embedded halves and a layer-by-layer driver over them, shared by both forwards. */
  private startForward(tokens: tf.Tensor2D, opts: StepOptions) {
    this.checkTokens(tokens);
    const classIds = this.classIdsFor(tokens.shape[0], opts.classIds); // before any tensor: a bad id leaks none
    const tapes = this.tapes(opts.stepSeed);
    const rotations = this.config.layers.map((_, i) => this.rotations(i, opts.stepSeed));
    let h: Halves = tf.tidy(() => {
      const x = this.embed(tokens, classIds);
      return { x1: x, x2: tf.clone(x) };
    });
    return {
      prehash: (i: number) => prehashAttention(h.x2, this.layers[i].attention, this.config, rotations[i], tapes[i]),
      layer: (i: number) => {
        const next = reversibleForward(this.reversibleLayer(i, rotations[i]), h, tapes[i]);
        h.x1.dispose();
        h.x2.dispose();
        h = next;
      },
      finish: () => {
        const logits = tf.tidy(() => this.head(h));
        h.x1.dispose();
        h.x2.dispose();
        if (opts.stepSeed !== undefined) rotations.forEach((r) => r?.dispose());
        return logits;
      },
    };
  }

  /** Mean cross-entropy (nats per token) of logits [B, L, V] against targets [B, L]. */
  crossEntropy(logits: tf.Tensor3D, tokens: tf.Tensor2D): tf.Scalar {
    const V = this.config.vocabSize;
    const labels = tf.oneHot(tokens.reshape([-1]).toInt() as tf.Tensor1D, V);
    return tf.losses.softmaxCrossEntropy(labels, logits.reshape([-1, V]), undefined, 0, tf.Reduction.MEAN) as tf.Scalar;
  }

  /** Mean cross-entropy in nats per token, no tape; `classIds` as in StepOptions. */
  evaluate(tokens: tf.Tensor2D, classIds?: Int32Array): number {
    const logits = this.forward(tokens, { classIds });
    const loss = tf.tidy(() => this.crossEntropy(logits, tokens));
    logits.dispose();
    const value = loss.dataSync()[0];
    loss.dispose();
    return value;
  }

  /**
   * Loss and gradients for one batch of targets [B, L]. Reversible configs keep only the two
   * halves of the residual stream between layers and rebuild the rest in the backward pass.
   */
  computeGradients(tokens: tf.Tensor2D, opts: StepOptions = {}): Gradients {
    this.checkTokens(tokens);
    const withClasses = { ...opts, classIds: this.classIdsFor(tokens.shape[0], opts.classIds) };
    return this.config.reversible
      ? this.reversibleGradients(tokens, withClasses)
      : this.plainGradients(tokens, withClasses);
  }

  private embedVariables(): tf.Variable[] {
    const names = [
      'embed.tokens',
      ...this.config.axialShape.map((_, k) => `embed.axial.${k}`),
      ...this.config.neighbours.map((_, k) => `embed.neighbours.${k}`),
      ...(this.config.classes > 0 ? ['embed.classes'] : []),
    ];
    return names.map((n) => this.variables.get(n)!);
  }

  /** For each neighbour offset, the target each position reads, −1 off the image (embeddings.ts). */
  private neighbourIndex(length: number): Int32Array[] {
    if (this.neighbourIndexCache?.length !== length) {
      this.neighbourIndexCache = {
        length,
        index: neighbourIndex(this.config.axialShape, this.config.neighbours, length),
      };
    }
    return this.neighbourIndexCache.index;
  }

  private headVariables(): tf.Variable[] {
    return ['final.ln.gamma', 'final.ln.beta', 'head.w', 'head.b'].map((n) => this.variables.get(n)!);
  }

  /**
   * Model inputs embedded: [B, L] targets → [B, L, d] (token before each + position + neighbours
   * + each sequence's class row). `classIds` [B] already checked (classIdsFor).
   */
  private embed(tokens: tf.Tensor2D, classIds: Int32Array | undefined): tf.Tensor3D {
    return tf.tidy(() => {
      let x = embedTokens(this.inputsFor(tokens), this.weight('embed.tokens'), this.positions());
      const c = this.config;
      if (c.neighbours.length > 0) {
        const tables = c.neighbours.map((_, k) => this.weight<tf.Tensor2D>(`embed.neighbours.${k}`));
        x = tf.add(x, embedNeighbours(tokens, tables, this.neighbourIndex(tokens.shape[1]), this.startToken));
      }
      if (classIds !== undefined)
        x = tf.add(x, embedClasses(this.weight('embed.classes'), tf.tensor1d(classIds, 'int32'))); // [B, L, d] + [B, 1, d]
      return x;
    });
  }

  private plainGradients(tokens: tf.Tensor2D, opts: StepOptions): Gradients {
    const tapes = this.tapes(opts.stepSeed);
    const rots = this.config.layers.map((_, i) => this.rotations(i, opts.stepSeed));
    const vars = [...this.variables.values()];
    const { value, grads } = tf.tidy(() =>
      tf.variableGrads(() => {
        const x = this.embed(tokens, opts.classIds);
        const h = plainResidualForward(
          this.config.layers.map((_, i) => this.reversibleLayer(i, rots[i])),
          { x1: x, x2: x },
          tapes,
        );
        return this.crossEntropy(this.head(h), tokens);
      }, vars),
    );
    if (opts.stepSeed !== undefined) rots.forEach((r) => r?.dispose());
    const loss = value.dataSync()[0];
    value.dispose();
    return { loss, grads };
  }

  private reversibleGradients(tokens: tf.Tensor2D, opts: StepOptions): Gradients {
    const c = this.config;
    const tapes = this.tapes(opts.stepSeed);
    const rots = c.layers.map((_, i) => this.rotations(i, opts.stepSeed));
    const layers = c.layers.map((_, i) => this.reversibleLayer(i, rots[i]));
    const acc = new Map<string, tf.Tensor>();

    // Forward with no tape: only the halves between layers live, and only the current pair.
    const x0 = tf.tidy(() => this.embed(tokens, opts.classIds));
    let h: Halves = { x1: x0, x2: x0 };
    layers.forEach((layer, i) => {
      const next = reversibleForward(layer, h, tapes[i]);
      if (i > 0) {
        h.x1.dispose();
        h.x2.dispose();
      }
      h = next;
    });
    x0.dispose();

    // Head: loss and its gradient with respect to the last halves.
    const top = h;
    const headVars = this.headVariables();
    const { value, grads: g } = tf.valueAndGrads((..._xs: tf.Tensor[]) => this.crossEntropy(this.head(top), tokens))([
      top.x1,
      top.x2,
      ...headVars,
    ]);
    headVars.forEach((v, i) => accumulate(acc, v.name, g[i + 2]));
    const loss = value.dataSync()[0];
    value.dispose();
    let dh: Halves = { x1: g[0] as tf.Tensor3D, x2: g[1] as tf.Tensor3D };

    // Layers, last to first: rebuild inputs from outputs, recompute, accumulate.
    for (let i = layers.length - 1; i >= 0; i--) {
      const back = reversibleBackward(layers[i], h, dh, tapes[i], acc);
      [h.x1, h.x2, dh.x1, dh.x2].forEach((t) => t.dispose());
      h = back.inputs;
      dh = back.dInputs;
    }
    if (opts.stepSeed !== undefined) rots.forEach((r) => r?.dispose());

    // Embeddings: both halves started as x, so dx = dx1 + dx2.
    const dx = tf.add(dh.x1, dh.x2) as tf.Tensor3D;
    [h.x1, h.x2, dh.x1, dh.x2].forEach((t) => t.dispose());
    const embedVars = this.embedVariables();
    const { grads: ge, value: xv } = tf.valueAndGrads((..._xs: tf.Tensor[]) => this.embed(tokens, opts.classIds))(
      embedVars,
      dx,
    );
    xv.dispose();
    dx.dispose();
    embedVars.forEach((v, i) => accumulate(acc, v.name, ge[i]));
    return { loss, grads: Object.fromEntries(acc) };
  }

  /** Frees every tensor the model owns. */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
    this.inferenceRotations?.forEach((r) => r?.dispose());
  }
}
