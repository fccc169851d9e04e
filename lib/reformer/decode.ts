/**
 * Fast autoregressive decoding with a cache: each step feeds one token per sequence and returns the
 * next-token logits without recomputing the prefix (cf. trax's predict mode and transformers'
 * `past_buckets_states`).
 *
 * Per layer the cache keeps every position's normalised key and value ([batch, heads, L, dHead],
 * on the CPU) and, for LSH layers, per (sequence, head, round, bucket) a ring of the C most recent
 * positions hashed there. A step attends to exactly what the training forward lets that position
 * see (attention.ts): full → all earlier positions; local → the C before it; LSH → in each round
 * the ≤ C most recent earlier positions of its own bucket, rounds combined by log-sum-exp. That set
 * is O(C·nHashes) per step whatever the position, so LSH steps cost the same at token 60k as at 1k.
 *
 * A class-conditional model's decoder takes one class id per sequence, fixed for the run; its
 * class row is added to every step's input as in the forward pass (embeddings.ts). Classifier-free
 * guidance (guidance.ts) runs one decoder over both streams side by side.
 *
 * Projections, norms and feed-forwards run on the tfjs backend, the LSH rotations folded into the
 * query/key projection (so the new position's hash is an argmax over one matMul's output); the
 * small gather-and-dot over cached rows runs in JS, where it needs no per-step tensor of the cache.
 *
 * Memory, bounded by the model's seqLength L (float32):
 *   keys + values: layers × 2 × batch × L × dModel × 4 bytes
 *   LSH rings:     lshLayers × batch × heads × nHashes × nBuckets × (chunkLength + 1) × 4 bytes
 * e.g. 65,536 tokens, dModel 128, 4 LSH layers, 4 heads, 4 hashes, C 64 (2,048 buckets), batch 1:
 *   256 MiB + 34 MiB. Beyond that only the weights and one step's [batch, d] tensors: position
 *   embeddings are built per step from the axial tables, not held as an [L, d] table.
 */
import { ATTENTION_SCORES } from './attention';
import type { AttentionKind, ResolvedConfig } from './config';
import type { ReformerLM } from './model';
import { rotationColumns } from './hashing';
import { neighbourSources } from './embeddings';
import { gelu } from './ops';
import * as tf from './tf';

/*
 * Inference-only forms of the model's ops with fewer kernels: a step runs a few dozen tiny kernels
 * per layer, so on WASM its time is mostly per-kernel overhead, not arithmetic. Same functions as
 * ops.ts (the tests compare decoding with the forward pass), no gradients. A layer norm's γ and β
 * are folded into the matrix that follows it: (n ⊙ γ + β)·W + b = n·(diag(γ)·W) + (β·W + b).
 */

/** x·w + b in one kernel. */
function denseStep(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
}

/** (x − mean) / √(var + ε) over the last axis, without γ and β (folded, see `Folded`). */
function normalizeStep(x: tf.Tensor2D, eps = 1e-5): tf.Tensor2D {
  const centered = tf.sub(x, tf.mean(x, 1, true));
  return tf.mul(centered, tf.rsqrt(tf.add(tf.mean(tf.square(centered), 1, true), eps))) as tf.Tensor2D;
}

/** A layer norm followed by a dense layer, as one matrix and bias for normalised inputs. */
interface Folded {
  w: tf.Tensor2D;
  b: tf.Tensor1D;
}

function foldNorm(gamma: tf.Tensor1D, beta: tf.Tensor1D, w: tf.Tensor2D, b?: tf.Tensor1D): Folded {
  const [folded, bias] = tf.tidy(() => {
    // A Sum, not a reshaped matMul: WASM's fused kernel checks the rank its buffer was made with.
    const betaW = tf.sum(tf.mul(beta.reshape([-1, 1]), w), 0);
    return [tf.mul(gamma.reshape([-1, 1]), w), b ? tf.add(betaW, b) : betaW];
  });
  return { w: folded as tf.Tensor2D, b: bias as tf.Tensor1D };
}

/** Bytes of cache a decoder for `batch` sequences of `config.seqLength` tokens holds. */
export function decodeCacheBytes(c: ResolvedConfig, batch: number): number {
  const kv = c.layers.length * 2 * batch * c.seqLength * c.dModel * 4;
  const lshLayers = c.layers.filter((k) => k === 'lsh').length;
  const rings = lshLayers * batch * c.nHeads * c.nHashes * c.nBuckets * (c.chunkLength + 1) * 4;
  return kv + rings;
}

/** Attention scratch reused across steps: candidate rows and scores (+1 for the position itself), each group's output and log-sum-exp. */
interface Scratch {
  rows: Int32Array;
  scores: Float64Array;
  outs: Float64Array;
  lses: Float64Array;
}

interface LayerCache {
  keys: Float32Array; // [B, H, L, D] normalised keys
  values: Float32Array; // [B, H, L, D]
  /** LSH only: [B, H, R, NB, C] ring of recent positions, and [B, H, R, NB] how many were pushed. */
  ring?: Int32Array;
  ringCount?: Int32Array;
  /** LSH with more than one bucket: the hash projections follow qk and v in the `qkv` output. */
  hashed: boolean;
  /**
   * Attention's layer norm folded into [wqk | wv] ([d, 2d]), for LSH followed by each head's
   * wqk·R (its rotations, [d, H · nHashes · Σ f/2]): the new position's rotated query/keys come
   * out of the same matMul, and hashing is an argmax over them. The feed-forward's norm into w1.
   */
  qkv: Folded;
  ff1: Folded;
}

export class ReformerDecoder {
  /** Tokens consumed so far, the start token included; the next step predicts target `length`. */
  length = 0;
  private readonly caches: LayerCache[];
  /** Attention scratch (see attend), sized for the largest layer kind seen. */
  private scratch?: Scratch;
  /** The axial position tables, read once: a step builds its one position row from them. */
  private axial?: Float32Array[];
  /** Pixel-neighbour embedding tables [vocab + 1, d], read once, and the targets fed so far [B, L]. */
  private neighbourTables?: Float32Array[];
  private readonly history: Int32Array;
  /** Class-conditional models: each sequence's class id [B], and its class row [B · d] once read. */
  private readonly classIds?: Int32Array;
  private classRows?: Float32Array;
  private readonly head: Folded;
  private readonly c: ResolvedConfig;
  private disposed = false;

  /**
   * A decoder of `batch` sequences; `classIds` [batch] as in the model's StepOptions (omitted:
   * "no class" for a class-conditional model).
   */
  constructor(
    private readonly model: ReformerLM,
    readonly batch: number,
    classIds?: Int32Array,
  ) {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch ${batch} must be a positive integer`);
    this.classIds = model.classIdsFor(batch, classIds && Int32Array.from(classIds));
    const c = (this.c = model.config);
    const perLayer = batch * c.seqLength * c.dModel;
    this.history = new Int32Array(c.neighbours.length > 0 ? batch * c.seqLength : 0);
    this.head = foldNorm(
      model.weight<tf.Tensor1D>('final.ln.gamma'),
      model.weight<tf.Tensor1D>('final.ln.beta'),
      model.weight<tf.Tensor2D>('head.w'),
      model.weight<tf.Tensor1D>('head.b'),
    );
    this.caches = c.layers.map((kind, i) => {
      const w = model.layers[i].attention;
      const rotations = kind === 'lsh' ? model.rotations(i) : undefined; // the model's, kept by it
      const qkvWeights = tf.tidy(() => {
        const parts: tf.Tensor2D[] = [w.wqk, w.wv];
        if (rotations) {
          for (let h = 0; h < c.nHeads; h++)
            parts.push(tf.matMul(w.wqk.slice([0, h * c.dHead], [c.dModel, c.dHead]), rotations));
        }
        return tf.concat(parts, 1) as tf.Tensor2D;
      });
      const cache: LayerCache = {
        keys: new Float32Array(perLayer),
        values: new Float32Array(perLayer),
        hashed: rotations !== undefined,
        qkv: foldNorm(w.lnGamma, w.lnBeta, qkvWeights),
        ff1: foldNorm(
          model.layers[i].feedForward.lnGamma,
          model.layers[i].feedForward.lnBeta,
          model.layers[i].feedForward.w1,
          model.layers[i].feedForward.b1,
        ),
      };
      qkvWeights.dispose();
      if (kind === 'lsh') {
        const slots = batch * c.nHeads * c.nHashes * c.nBuckets;
        cache.ring = new Int32Array(slots * c.chunkLength);
        cache.ringCount = new Int32Array(slots);
      }
      return cache;
    });
  }

  /**
   * What input position p adds to its token's embedding: its axial position row [1, d], plus with
   * pixel-neighbour embeddings each sequence's neighbour rows, and with classes each sequence's
   * class row ([B, d] then; embeddings.ts). Records
   * `input` (target p − 1) in the history the neighbours are read from.
   */
  private async addedToInput(p: number, input: Int32Array): Promise<Float32Array> {
    const c = this.c;
    this.axial ??= await Promise.all(
      c.axialShape.map(
        async (_, k) => (await this.model.weight<tf.Tensor2D>(`embed.axial.${k}`).data()) as Float32Array,
      ),
    );
    const position = axialRow(this.axial, c.axialShape, p);
    if (c.neighbours.length === 0 && !this.classIds) return position;
    this.neighbourTables ??= await Promise.all(
      c.neighbours.map(
        async (_, k) => (await this.model.weight<tf.Tensor2D>(`embed.neighbours.${k}`).data()) as Float32Array,
      ),
    );
    this.classRows ??= await this.readClassRows();
    const L = c.seqLength;
    const d = c.dModel;
    if (p > 0 && c.neighbours.length > 0) for (let b = 0; b < this.batch; b++) this.history[b * L + p - 1] = input[b];
    const sources = neighbourSources(c.axialShape, c.neighbours, p);
    const out = new Float32Array(this.batch * d);
    for (let b = 0; b < this.batch; b++) {
      const row = out.subarray(b * d, (b + 1) * d);
      row.set(position);
      if (this.classRows) for (let j = 0; j < d; j++) row[j] += this.classRows[b * d + j];
      sources.forEach((source, k) => {
        const id = source < 0 ? this.model.startToken : this.history[b * L + source];
        const table = this.neighbourTables![k];
        for (let j = 0; j < d; j++) row[j] += table[id * d + j];
      });
    }
    return out;
  }

  /** Each sequence's class row [B · d], or undefined for an unconditional model. */
  private async readClassRows(): Promise<Float32Array | undefined> {
    if (!this.classIds) return undefined;
    const d = this.c.dModel;
    const table = (await this.model.weight<tf.Tensor2D>('embed.classes').data()) as Float32Array;
    const rows = new Float32Array(this.batch * d);
    this.classIds.forEach((id, b) => rows.set(table.subarray(id * d, (id + 1) * d), b * d));
    return rows;
  }

  /** Bytes held by this decoder's cache. */
  get cacheBytes(): number {
    return decodeCacheBytes(this.c, this.batch);
  }

  /**
   * Feeds one token per sequence at input position `length` (omit at position 0: the start token)
   * and returns the logits for the target at that position: Float32Array [batch · vocab].
   */
  async step(tokens?: ArrayLike<number>): Promise<Float32Array> {
    if (this.disposed) throw new Error('decoder was disposed');
    const c = this.c;
    const p = this.length;
    if (p >= c.seqLength) throw new Error(`sequence is complete: the model's seqLength is ${c.seqLength}`);
    const input = new Int32Array(this.batch);
    if (p === 0) {
      if (tokens !== undefined)
        throw new Error('the first step feeds the start token itself: call step() with no tokens');
      input.fill(this.model.startToken);
    } else {
      if (!tokens || tokens.length !== this.batch) throw new Error(`step needs ${this.batch} tokens, one per sequence`);
      for (let b = 0; b < this.batch; b++) {
        const t = tokens[b];
        if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize)
          throw new Error(`token ${t} is outside the vocabulary [0, ${c.vocabSize})`);
        input[b] = t;
      }
    }

    const added = await this.addedToInput(p, input); // [1 or B, d]
    let x1 = tf.tidy(() => {
      const ids = tf.tensor1d(input, 'int32');
      const emb = tf.gather(this.model.weight<tf.Tensor2D>('embed.tokens'), ids, 0); // [B, d]
      return tf.add(emb, tf.tensor2d(added, [added.length / c.dModel, c.dModel])) as tf.Tensor2D;
    });
    let x2 = tf.clone(x1);
    for (let i = 0; i < c.layers.length; i++) {
      const attended = await this.attend(i, x2, p); // [B, d]
      const w = this.model.layers[i];
      const y1 = tf.tidy(() => tf.add(x1, denseStep(attended, w.attention.wo, w.attention.bo)) as tf.Tensor2D);
      attended.dispose();
      const y2 = tf.tidy(() => {
        const ff1 = this.caches[i].ff1;
        return tf.add(
          x2,
          denseStep(gelu(denseStep(normalizeStep(y1), ff1.w, ff1.b)), w.feedForward.w2, w.feedForward.b2),
        ) as tf.Tensor2D;
      });
      x1.dispose();
      x2.dispose();
      x1 = y1;
      x2 = y2;
    }
    const logits = tf.tidy(() => {
      const mean = tf.mul(tf.add(x1, x2), 0.5) as tf.Tensor2D;
      return denseStep(normalizeStep(mean), this.head.w, this.head.b);
    });
    x1.dispose();
    x2.dispose();
    const out = (await logits.data()) as Float32Array;
    logits.dispose();
    this.length = p + 1;
    return out;
  }

  /** Attention of layer i for the new position p: writes the cache, returns [B, d] (before the output projection). */
  private async attend(i: number, x: tf.Tensor2D, p: number): Promise<tf.Tensor2D> {
    const c = this.c;
    const cache = this.caches[i];
    const kind = c.layers[i];
    const { batch: B } = this;
    const H = c.nHeads;
    const D = c.dHead;
    const d = c.dModel;
    const L = c.seqLength;
    const qkv = tf.tidy(() => denseStep(normalizeStep(x), cache.qkv.w, cache.qkv.b)); // [B, 2d (+ hash projections)]: qk | v | xR
    const qkvData = (await qkv.data()) as Float32Array;
    qkv.dispose();
    const stride = qkvData.length / B; // one sequence's row
    let buckets: Int32Array | undefined;
    if (cache.hashed) {
      buckets = hashStep(qkvData, stride, 2 * d, B, H, c.nHashes, c.bucketFactors);
    } else if (kind === 'lsh') {
      buckets = new Int32Array(B * H * c.nHashes); // nBuckets = 1
    }

    const out = new Float32Array(B * d);
    const C = c.chunkLength;
    // Scratch reused across steps (no per-group arrays: at batch 8 those allocations were most of a step's JS time).
    const s = (this.scratch ??= {
      rows: new Int32Array((kind === 'full' ? L : C) + 1),
      scores: new Float64Array((kind === 'full' ? L : C) + 1),
      outs: new Float64Array(c.nHashes * D),
      lses: new Float64Array(c.nHashes),
    });
    if (s.rows.length < (kind === 'full' ? L : C) + 1) {
      s.rows = new Int32Array(L + 1);
      s.scores = new Float64Array(L + 1);
    }
    attendCached(out, qkvData, stride, cache, s, buckets, kind, p, {
      B,
      H,
      D,
      d,
      L,
      C,
      nHashes: c.nHashes,
      nBuckets: c.nBuckets,
    });
    return tf.tensor2d(out, [B, d]);
  }

  /** Frees the decoder's tensors (the model stays). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose([this.head.w, this.head.b]);
    for (const cache of this.caches) tf.dispose([cache.qkv.w, cache.qkv.b, cache.ff1.w, cache.ff1.b]);
  }
}

/**
 * The JS half of a decoding step's attention, for layer cache `cache` at position p: stores the new
 * position's key and value, attends over its candidates, and adds each head's output to `out`
 * [B, d]. Much of a step's time: the candidates' cached rows it reads are scattered over the
 * image.
 */
function attendCached(
  out: Float32Array,
  qkvData: Float32Array,
  stride: number,
  cache: LayerCache,
  s: Scratch,
  buckets: Int32Array | undefined,
  kind: AttentionKind,
  p: number,
  dims: { B: number; H: number; D: number; d: number; L: number; C: number; nHashes: number; nBuckets: number },
): void {
  const { keys, values, ring, ringCount } = cache;
  const { rows, scores, outs, lses } = s;
  const { B, H, D, d, L, C, nHashes, nBuckets } = dims;
  const nGroups = kind === 'lsh' ? nHashes : 1;
  const scale = 1 / Math.sqrt(D);
  const selfScore: number = ATTENTION_SCORES.self;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const qOff = b * stride + h * D;
      const vOff = qOff + d;
      const base = (b * H + h) * L; // row of position 0 in this (sequence, head)
      let norm = 0;
      for (let j = 0; j < D; j++) norm += qkvData[qOff + j] * qkvData[qOff + j];
      const inv = 1 / Math.sqrt(norm + 1e-12);
      const pOff = (base + p) * D;
      for (let j = 0; j < D; j++) {
        keys[pOff + j] = qkvData[qOff + j] * inv;
        values[pOff + j] = qkvData[vOff + j];
      }
      for (let g = 0; g < nGroups; g++) {
        // The group's candidates: full → all earlier positions; local → the C before; LSH →
        // round g's ring of the ≤ C most recent earlier positions in this position's bucket.
        let n = 0;
        if (kind === 'full') for (let pos = 0; pos < p; pos++) rows[n++] = pos;
        else if (kind === 'local') for (let pos = Math.max(0, p - C); pos < p; pos++) rows[n++] = pos;
        else {
          const bucket = buckets![(b * H + h) * nHashes + g];
          const slot = ((b * H + h) * nHashes + g) * nBuckets + bucket;
          const count = ringCount![slot];
          for (let k = Math.max(0, count - C); k < count; k++) rows[n++] = ring![slot * C + (k % C)];
          ring![slot * C + (count % C)] = p;
          ringCount![slot] = count + 1;
        }
        // Softmax over the candidates plus the position itself (score −1e5).
        let max = selfScore;
        for (let k = 0; k < n; k++) {
          const kOff = (base + rows[k]) * D;
          let dot = 0;
          for (let j = 0; j < D; j++) dot += qkvData[qOff + j] * keys[kOff + j];
          const score = dot * scale;
          scores[k] = score;
          if (score > max) max = score;
        }
        scores[n] = selfScore;
        rows[n] = p;
        const o = g * D;
        outs.fill(0, o, o + D);
        let sum = 0;
        for (let k = 0; k <= n; k++) {
          const e = Math.exp(scores[k] - max);
          sum += e;
          const rOff = (base + rows[k]) * D;
          for (let j = 0; j < D; j++) outs[o + j] += e * values[rOff + j];
        }
        for (let j = 0; j < D; j++) outs[o + j] /= sum;
        lses[g] = max + Math.log(sum);
      }
      // Groups combined by their log-sum-exp weights.
      let lseMax = -Infinity;
      for (let g = 0; g < nGroups; g++) lseMax = Math.max(lseMax, lses[g]);
      let total = 0;
      for (let g = 0; g < nGroups; g++) total += Math.exp(lses[g] - lseMax);
      const outOff = b * d + h * D;
      for (let g = 0; g < nGroups; g++) {
        const wg = Math.exp(lses[g] - lseMax) / total;
        for (let j = 0; j < D; j++) out[outOff + j] += wg * outs[g * D + j];
      }
    }
  }
}

/**
 * The bucket of each (sequence, head, round) for one position from its rotated query/key xR
 * (the `qkv` rows from column `offset`: per head, per round, Σ f/2 columns): per bucket factor f,
 * argmax over [xR; −xR] of that factor's f/2 columns, combined as hashing.ts does with tensors
 * (ties go to the first index, as tf.argMax).
 */
function hashStep(
  qkv: Float32Array,
  stride: number,
  offset: number,
  B: number,
  H: number,
  nHashes: number,
  factors: number[],
): Int32Array {
  const columns = rotationColumns(factors);
  const out = new Int32Array(B * H * nHashes);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      for (let r = 0; r < nHashes; r++) {
        let bucket = 0;
        let scale = 1;
        let first = b * stride + offset + (h * nHashes + r) * columns; // this factor's first column
        for (const f of factors) {
          const half = f / 2;
          // argmax over [xR; −xR] in one pass: the first maximum and the first minimum of xR,
          // then the halves (ties go to the first half, whose indices come first).
          let up = 0;
          let down = 0;
          for (let k = 1; k < half; k++) {
            const v = qkv[first + k];
            if (v > qkv[first + up]) up = k;
            if (v < qkv[first + down]) down = k;
          }
          bucket += scale * (qkv[first + up] >= -qkv[first + down] ? up : half + down);
          scale *= f;
          first += half;
        }
        out[(b * H + h) * nHashes + r] = bucket;
      }
    }
  }
  return out;
}

/**
 * Position p's embedding from the axial tables (embeddings.ts): p's row-major index along each
 * axis picks a row of that axis's table, and the rows are concatenated. No [L, d] table: at
 * 65,536 positions that would be 16–33 MB held for the whole run.
 */
function axialRow(tables: Float32Array[], shape: number[], p: number): Float32Array {
  const dims = tables.map((t, k) => t.length / shape[k]);
  const out = new Float32Array(dims.reduce((a, b) => a + b, 0));
  let stride = shape.reduce((a, b) => a * b, 1);
  let offset = 0;
  for (let k = 0; k < shape.length; k++) {
    stride /= shape[k];
    const index = Math.floor(p / stride) % shape[k];
    out.set(tables[k].subarray(index * dims[k], (index + 1) * dims[k]), offset);
    offset += dims[k];
  }
  return out;
}
