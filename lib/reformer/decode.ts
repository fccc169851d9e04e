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
 * Projections, norms and feed-forwards run on the tfjs backend; the small gather-and-dot over
 * cached rows runs in JS, where it needs no per-step tensor of the whole cache.
 *
 * Memory, bounded by the model's seqLength L (float32):
 *   keys + values: layers × 2 × batch × L × dModel × 4 bytes
 *   LSH rings:     lshLayers × batch × heads × nHashes × nBuckets × (chunkLength + 1) × 4 bytes
 * e.g. 65,536 tokens, dModel 128, 4 LSH layers, 4 heads, 4 hashes, C 64 (2,048 buckets), batch 1:
 *   256 MiB + 34 MiB.
 */
import { ATTENTION_SCORES } from './attention';
import type { ResolvedConfig } from './config';
import type { ReformerLM } from './model';
import { dense, gelu, layerNorm } from './ops';
import * as tf from './tf';

/** Bytes of cache a decoder for `batch` sequences of `config.seqLength` tokens holds. */
export function decodeCacheBytes(c: ResolvedConfig, batch: number): number {
  const kv = c.layers.length * 2 * batch * c.seqLength * c.dModel * 4;
  const lshLayers = c.layers.filter((k) => k === 'lsh').length;
  const rings = lshLayers * batch * c.nHeads * c.nHashes * c.nBuckets * (c.chunkLength + 1) * 4;
  return kv + rings;
}

interface LayerCache {
  keys: Float32Array; // [B, H, L, D] normalised keys
  values: Float32Array; // [B, H, L, D]
  /** LSH only: [B, H, R, NB, C] ring of recent positions, and [B, H, R, NB] how many were pushed. */
  ring?: Int32Array;
  ringCount?: Int32Array;
  rotations?: tf.Tensor2D;
  fusedQkv: tf.Tensor2D; // [d, 2d]: wqk | wv
}

export class ReformerDecoder {
  /** Tokens consumed so far, the start token included; the next step predicts target `length`. */
  length = 0;
  private readonly caches: LayerCache[];
  private readonly positions: tf.Tensor2D;
  private readonly c: ResolvedConfig;
  private disposed = false;

  constructor(
    private readonly model: ReformerLM,
    readonly batch: number,
  ) {
    if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch ${batch} must be a positive integer`);
    const c = (this.c = model.config);
    const perLayer = batch * c.seqLength * c.dModel;
    this.positions = tf.keep(model.positions());
    this.caches = c.layers.map((kind, i) => {
      const w = model.layers[i].attention;
      const cache: LayerCache = {
        keys: new Float32Array(perLayer),
        values: new Float32Array(perLayer),
        fusedQkv: tf.keep(tf.concat([w.wqk, w.wv], 1) as tf.Tensor2D),
      };
      if (kind === 'lsh') {
        const slots = batch * c.nHeads * c.nHashes * c.nBuckets;
        cache.ring = new Int32Array(slots * c.chunkLength);
        cache.ringCount = new Int32Array(slots);
        cache.rotations = model.rotations(i);
      }
      return cache;
    });
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
      if (tokens !== undefined) throw new Error('the first step feeds the start token itself: call step() with no tokens');
      input.fill(this.model.startToken);
    } else {
      if (!tokens || tokens.length !== this.batch) throw new Error(`step needs ${this.batch} tokens, one per sequence`);
      for (let b = 0; b < this.batch; b++) {
        const t = tokens[b];
        if (!Number.isInteger(t) || t < 0 || t >= c.vocabSize) throw new Error(`token ${t} is outside the vocabulary [0, ${c.vocabSize})`);
        input[b] = t;
      }
    }

    let x1 = tf.tidy(() => {
      const ids = tf.tensor1d(input, 'int32');
      const emb = tf.gather(this.model.weight<tf.Tensor2D>('embed.tokens'), ids, 0); // [B, d]
      return tf.add(emb, this.positions.slice([p, 0], [1, c.dModel])) as tf.Tensor2D;
    });
    let x2 = tf.clone(x1);
    for (let i = 0; i < c.layers.length; i++) {
      const attended = await this.attend(i, x2, p); // [B, d]
      const w = this.model.layers[i];
      const y1 = tf.tidy(() => tf.add(x1, dense(attended, w.attention.wo, w.attention.bo)) as tf.Tensor2D);
      attended.dispose();
      const y2 = tf.tidy(() => {
        const h = layerNorm(y1, w.feedForward.lnGamma, w.feedForward.lnBeta);
        return tf.add(x2, dense(gelu(dense(h, w.feedForward.w1, w.feedForward.b1)), w.feedForward.w2, w.feedForward.b2)) as tf.Tensor2D;
      });
      x1.dispose();
      x2.dispose();
      x1 = y1;
      x2 = y2;
    }
    const logits = tf.tidy(() => this.model.head({ x1: x1.expandDims(1), x2: x2.expandDims(1) }).reshape([this.batch, c.vocabSize]));
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
    const w = this.model.layers[i].attention;
    const qkv = tf.tidy(() => tf.matMul(layerNorm(x, w.lnGamma, w.lnBeta), cache.fusedQkv)); // [B, 2d]: qk | v
    const bucketsT =
      cache.rotations &&
      tf.tidy(() => {
        const half = c.nBuckets / 2;
        const rotated = tf.matMul(qkv.slice([0, 0], [B, d]).reshape([B * H, D]), cache.rotations!).reshape([B * H, c.nHashes, half]);
        return tf.argMax(tf.concat([rotated, tf.neg(rotated)], 2), 2); // [B·H, R]
      });
    const qkvData = (await qkv.data()) as Float32Array;
    qkv.dispose();
    let buckets: Int32Array | undefined;
    if (bucketsT) {
      buckets = (await bucketsT.data()) as Int32Array;
      bucketsT.dispose();
    } else if (kind === 'lsh') {
      buckets = new Int32Array(B * H * c.nHashes); // nBuckets = 1
    }

    const out = new Float32Array(B * d);
    const scale = 1 / Math.sqrt(D);
    const C = c.chunkLength;
    const scores: number[] = [];
    const rows: number[] = [];
    const acc = new Float64Array(D);
    for (let b = 0; b < B; b++) {
      for (let h = 0; h < H; h++) {
        const q = qkvData.subarray(b * 2 * d + h * D, b * 2 * d + (h + 1) * D);
        const v = qkvData.subarray(b * 2 * d + d + h * D, b * 2 * d + d + (h + 1) * D);
        const base = (b * H + h) * L; // row of position 0 in this (sequence, head)
        let norm = 0;
        for (let j = 0; j < D; j++) norm += q[j] * q[j];
        const inv = 1 / Math.sqrt(norm + 1e-12);
        for (let j = 0; j < D; j++) {
          cache.keys[(base + p) * D + j] = q[j] * inv;
          cache.values[(base + p) * D + j] = v[j];
        }
        // Candidate groups: one for full/local, one per hash round for LSH.
        const groups: number[][] = [];
        if (kind === 'full') groups.push(range(0, p));
        else if (kind === 'local') groups.push(range(Math.max(0, p - C), p));
        else {
          for (let r = 0; r < c.nHashes; r++) {
            const bucket = buckets![(b * H + h) * c.nHashes + r];
            const slot = ((b * H + h) * c.nHashes + r) * c.nBuckets + bucket;
            const count = cache.ringCount![slot];
            const group: number[] = [];
            for (let k = Math.max(0, count - C); k < count; k++) group.push(cache.ring![slot * C + (k % C)]);
            groups.push(group);
            cache.ring![slot * C + (count % C)] = p;
            cache.ringCount![slot] = count + 1;
          }
        }
        // Each group: softmax over its rows plus the position itself (score −1e5), then combine
        // groups by their log-sum-exp weights.
        const outs: Float64Array[] = [];
        const lses: number[] = [];
        for (const group of groups) {
          scores.length = 0;
          rows.length = 0;
          for (const pos of group) {
            let s = 0;
            const kOff = (base + pos) * D;
            for (let j = 0; j < D; j++) s += q[j] * cache.keys[kOff + j];
            scores.push(s * scale);
            rows.push(pos);
          }
          scores.push(ATTENTION_SCORES.self);
          rows.push(p);
          let max = -Infinity;
          for (const s of scores) max = Math.max(max, s);
          let sum = 0;
          acc.fill(0);
          for (let k = 0; k < scores.length; k++) {
            const e = Math.exp(scores[k] - max);
            sum += e;
            const vOff = (base + rows[k]) * D;
            for (let j = 0; j < D; j++) acc[j] += e * cache.values[vOff + j];
          }
          const o = new Float64Array(D);
          for (let j = 0; j < D; j++) o[j] = acc[j] / sum;
          outs.push(o);
          lses.push(max + Math.log(sum));
        }
        let lseMax = -Infinity;
        for (const l of lses) lseMax = Math.max(lseMax, l);
        let total = 0;
        for (const l of lses) total += Math.exp(l - lseMax);
        for (let g = 0; g < outs.length; g++) {
          const wg = Math.exp(lses[g] - lseMax) / total;
          for (let j = 0; j < D; j++) out[b * d + h * D + j] += wg * outs[g][j];
        }
      }
    }
    return tf.tensor2d(out, [B, d]);
  }

  /** Frees the decoder's tensors (the model stays). */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.positions.dispose();
    for (const cache of this.caches) cache.fusedQkv.dispose();
  }
}

function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}
