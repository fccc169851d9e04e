/**
 * Model presets sized for the studio's machines, and the config that fits a preset to a dataset:
 * sequence length = tokens per image, axial embedding over the image axes.
 */
import type { ReformerConfig } from '../reformer/config';

export const PRESETS = {
  /** For tests and quick demos: trains in seconds. */
  tiny: { dModel: 64, nHeads: 2, dFF: 128, depth: 2, chunkLength: 32, nHashes: 2 },
  /**
   * The shipped defaults: trains on two CPU cores in hours. Chunks of 32 (not 64): on WASM a step's
   * time goes mostly to attention's batched products and its Exp, which scale with the chunk.
   */
  small: { dModel: 128, nHeads: 4, dFF: 512, depth: 4, chunkLength: 32, nHashes: 2 },
  /** A GPU-sized model. */
  base: { dModel: 256, nHeads: 4, dFF: 1024, depth: 6, chunkLength: 64, nHashes: 4 },
} as const;
export type PresetName = keyof typeof PRESETS;

export interface ImageShape {
  width: number;
  height: number;
  tokenization: 'rgb' | 'palette';
  vocabSize: number;
}

export function isPreset(name: string): name is PresetName {
  return Object.hasOwn(PRESETS, name);
}

/**
 * How the layers attend: one kind in every layer, or `mixed`: local and LSH layers alternating,
 * local first (as trax's enwik8 Reformer does), so every position sees its immediate neighbours
 * (the previous pixels) whatever the hashes, and LSH layers reach across the image.
 */
export type AttentionPlan = 'lsh' | 'local' | 'full' | 'mixed';
export const ATTENTION_PLANS: AttentionPlan[] = ['lsh', 'local', 'full', 'mixed'];

/**
 * Pixel-neighbour embeddings (embeddings.ts) for `pixel`: per sub-pixel, the same channel of the
 * left, upper, upper-left and upper-right pixels, and (rgb) the first channel of its own pixel;
 * the channel before it is the input token already. `none`: tokens and positions only.
 */
export type NeighbourPlan = 'pixel' | 'none';
export const NEIGHBOUR_PLANS: NeighbourPlan[] = ['pixel', 'none'];
const PIXEL_NEIGHBOURS = {
  rgb: [
    [0, -1, 0],
    [-1, 0, 0],
    [-1, -1, 0],
    [-1, 1, 0],
    [0, 0, -2],
  ],
  palette: [
    [-1, 0],
    [-1, -1],
    [-1, 1],
  ],
};

export interface FitOptions {
  attention?: AttentionPlan;
  neighbours?: NeighbourPlan;
  seed?: number;
}

/** A preset fitted to a dataset's images: its layers attending as `attention` says, with `neighbours` embeddings. */
export function configFor(
  preset: PresetName,
  image: ImageShape,
  { attention = 'lsh', neighbours = 'pixel', seed = 1 }: FitOptions = {},
): Partial<ReformerConfig> {
  const p = PRESETS[preset];
  const channels = image.tokenization === 'rgb' ? 3 : 1;
  const seqLength = image.width * image.height * channels;
  const chunkLength = Math.min(p.chunkLength, seqLength);
  return {
    vocabSize: image.vocabSize,
    seqLength,
    dModel: p.dModel,
    nHeads: p.nHeads,
    dFF: p.dFF,
    layers: Array.from({ length: p.depth }, (_, i) =>
      attention === 'mixed' ? (i % 2 === 0 ? 'local' : 'lsh') : attention,
    ),
    chunkLength,
    nHashes: p.nHashes,
    nBuckets: 'auto',
    axialShape: channels === 3 ? [image.height, image.width, 3] : [image.height, image.width],
    neighbours: neighbours === 'pixel' ? PIXEL_NEIGHBOURS[image.tokenization] : [],
    ffChunkLength: 1024,
    reversible: true,
    dropout: 0,
    seed,
  };
}
