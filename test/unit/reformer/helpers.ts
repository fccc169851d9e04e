import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@/lib/reformer/tf';
import type { ReformerConfig } from '@/lib/reformer/config';

/** A small config that still exercises hashing, chunking, several rounds and padding. */
export function tinyConfig(over: Partial<ReformerConfig> = {}): Partial<ReformerConfig> {
  return {
    vocabSize: 16,
    seqLength: 48,
    dModel: 16,
    nHeads: 2,
    dFF: 32,
    layers: ['lsh', 'local', 'full'],
    chunkLength: 8,
    nHashes: 2,
    nBuckets: 4,
    axialShape: [4, 4, 3],
    ffChunkLength: 16,
    seed: 7,
    ...over,
  };
}

/** Pixel neighbours on tinyConfig's [4, 4, 3] grid: left, above, above-right, own first channel. */
export const NEIGHBOURS = [
  [0, -1, 0],
  [-1, 0, 0],
  [-1, 1, 0],
  [0, 0, -2],
];

export function randomTokens(batch: number, length: number, vocab: number, seed: number): tf.Tensor2D {
  return tf.randomUniform([batch, length], 0, vocab, 'int32', seed) as tf.Tensor2D;
}

export function maxRelativeError(
  a: Float32Array | Int32Array | Uint8Array,
  b: Float32Array | Int32Array | Uint8Array,
): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < a.length; i++) {
    num = Math.max(num, Math.abs(a[i] - b[i]));
    den = Math.max(den, Math.abs(b[i]));
  }
  return num / Math.max(den, 1e-12);
}
