/**
 * `palette` tokenization: one token per pixel, the index of its nearest colour in a K-colour
 * palette (16 ≤ K ≤ 512) fitted by k-means (Lloyd's algorithm with k-means++ seeding,
 * Arthur & Vassilvitskii 2007) on a seeded subsample of pixels. The inverse maps an index back
 * to its palette colour, so decoding is lossy only by the quantisation itself.
 */
import { mulberry32, randomInt } from './prng';

export const MIN_PALETTE_SIZE = 16;
export const MAX_PALETTE_SIZE = 512;

export interface FitPaletteOptions {
  /** Number of colours K, 16..512. */
  size: number;
  /** Seed for the subsample and the k-means++ draws. */
  seed: number;
  /** Pixels drawn (with replacement) to fit on; more is slower and barely better. Default 32,768. */
  sampleSize?: number;
  /** Upper bound on Lloyd iterations. Default 25. */
  maxIterations?: number;
}

/** Interleaved RGB pixels [N·3], whole or as a list of images (each [Nᵢ·3]) read as if concatenated. */
export type PixelSource = Uint8Array | readonly Uint8Array[];

/**
 * Fits a K-colour palette to interleaved RGB pixels. Returns K×3 bytes.
 * Identical sampled colours are merged with weights, so flat images fit fast.
 */
export function fitPalette(rgb: PixelSource, options: FitPaletteOptions): Uint8Array {
  const steps = fitPaletteSteps(rgb, options);
  for (let step = steps.next(); ; step = steps.next()) if (step.done) return step.value;
}

/**
 * `fitPalette` in steps: pauses after each k-means++ centre and each Lloyd iteration (each at most
 * samples × K distance computations), so a server can let other requests in between.
 * Runs to the same palette as `fitPalette`.
 */
export function* fitPaletteSteps(rgb: PixelSource, options: FitPaletteOptions): Generator<void, Uint8Array> {
  const { size: k, seed, sampleSize = 32_768, maxIterations = 25 } = options;
  if (!Number.isInteger(k) || k < MIN_PALETTE_SIZE || k > MAX_PALETTE_SIZE) {
    throw new RangeError(`palette size ${k} must be an integer in ${MIN_PALETTE_SIZE}..${MAX_PALETTE_SIZE}`);
  }
  const pixels = pixelReader(rgb);
  const pixelCount = pixels.count;
  if (pixelCount === 0) throw new RangeError('cannot fit a palette to zero pixels');
  const random = mulberry32(seed);

  // Subsample, then merge duplicates into (colour, weight) points.
  const draws = Math.min(sampleSize, pixelCount);
  const weightOf = new Map<number, number>();
  for (let s = 0; s < draws; s++) {
    const c = pixels.colourAt(draws === pixelCount ? s : randomInt(random, pixelCount));
    weightOf.set(c, (weightOf.get(c) ?? 0) + 1);
  }
  const n = weightOf.size;
  const points = new Float64Array(n * 3); // [n, 3]
  const weights = new Float64Array(n);
  let i = 0;
  for (const [c, w] of weightOf) {
    points[3 * i] = c >>> 16;
    points[3 * i + 1] = (c >>> 8) & 255;
    points[3 * i + 2] = c & 255;
    weights[i++] = w;
  }

  const palette = new Uint8Array(k * 3);
  if (n <= k) {
    // Fewer distinct colours than slots: use them all, repeat the first to fill.
    for (let j = 0; j < k; j++) {
      const src = j < n ? j : 0;
      palette.set([points[3 * src], points[3 * src + 1], points[3 * src + 2]], 3 * j);
    }
    return palette;
  }

  const centres = yield* seedCentres(points, weights, k, random); // [k, 3]
  const assignment = new Int32Array(n).fill(-1);
  const nearestDist = new Float64Array(n);
  const sums = new Float64Array(k * 3);
  const mass = new Float64Array(k);
  for (let iter = 0; iter < maxIterations; iter++) {
    yield;
    let changed = 0;
    for (let p = 0; p < n; p++) {
      const [best, d] = nearestCentre(points, p, centres, k);
      nearestDist[p] = d;
      if (best !== assignment[p]) {
        assignment[p] = best;
        changed++;
      }
    }
    if (changed === 0 && iter > 0) break;
    sums.fill(0);
    mass.fill(0);
    for (let p = 0; p < n; p++) {
      const a = assignment[p];
      const w = weights[p];
      sums[3 * a] += w * points[3 * p];
      sums[3 * a + 1] += w * points[3 * p + 1];
      sums[3 * a + 2] += w * points[3 * p + 2];
      mass[a] += w;
    }
    for (let j = 0; j < k; j++) {
      if (mass[j] > 0) {
        centres[3 * j] = sums[3 * j] / mass[j];
        centres[3 * j + 1] = sums[3 * j + 1] / mass[j];
        centres[3 * j + 2] = sums[3 * j + 2] / mass[j];
      } else {
        // Empty cluster: move it onto the worst-served point so no slot is wasted.
        let worst = 0;
        for (let p = 1; p < n; p++) if (nearestDist[p] * weights[p] > nearestDist[worst] * weights[worst]) worst = p;
        centres.set(points.subarray(3 * worst, 3 * worst + 3), 3 * j);
        nearestDist[worst] = 0;
      }
    }
  }
  for (let j = 0; j < k * 3; j++) palette[j] = Math.max(0, Math.min(255, Math.round(centres[j])));
  return palette;
}

/** Pixel p of a source as 0xRRGGBB; a list of images is searched by its pixel offsets, never copied. */
function pixelReader(rgb: PixelSource): { count: number; colourAt(p: number): number } {
  const colour = (bytes: Uint8Array, q: number) => (bytes[3 * q] << 16) | (bytes[3 * q + 1] << 8) | bytes[3 * q + 2];
  if (rgb instanceof Uint8Array) return { count: Math.floor(rgb.length / 3), colourAt: (p) => colour(rgb, p) };
  const starts = new Float64Array(rgb.length + 1); // starts[i]: first pixel of image i; starts[last]: count
  rgb.forEach((image, i) => (starts[i + 1] = starts[i] + Math.floor(image.length / 3)));
  return {
    count: starts[rgb.length],
    colourAt(p) {
      let lo = 0;
      let hi = rgb.length - 1;
      while (lo < hi) {
        const mid = (lo + hi + 1) >>> 1;
        if (starts[mid] <= p) lo = mid;
        else hi = mid - 1;
      }
      return colour(rgb[lo], p - starts[lo]);
    },
  };
}

/** k-means++: first centre by weight, each next one with probability ∝ weight·D². */
function* seedCentres(
  points: Float64Array,
  weights: Float64Array,
  k: number,
  random: () => number,
): Generator<void, Float64Array> {
  const n = weights.length;
  const centres = new Float64Array(k * 3);
  const d2 = new Float64Array(n).fill(Infinity);
  let pick = pickWeighted(weights, null, random);
  for (let j = 0; j < k; j++) {
    if (j > 0) yield;
    centres.set(points.subarray(3 * pick, 3 * pick + 3), 3 * j);
    const cr = points[3 * pick],
      cg = points[3 * pick + 1],
      cb = points[3 * pick + 2];
    for (let p = 0; p < n; p++) {
      const dr = points[3 * p] - cr,
        dg = points[3 * p + 1] - cg,
        db = points[3 * p + 2] - cb;
      const d = dr * dr + dg * dg + db * db;
      if (d < d2[p]) d2[p] = d;
    }
    pick = pickWeighted(weights, d2, random);
  }
  return centres;
}

function pickWeighted(weights: Float64Array, d2: Float64Array | null, random: () => number): number {
  let total = 0;
  for (let p = 0; p < weights.length; p++) total += weights[p] * (d2 ? d2[p] : 1);
  if (total === 0) return randomInt(random, weights.length);
  let r = random() * total;
  for (let p = 0; p < weights.length; p++) {
    r -= weights[p] * (d2 ? d2[p] : 1);
    if (r < 0) return p;
  }
  return weights.length - 1;
}

function nearestCentre(points: Float64Array, p: number, centres: Float64Array, k: number): [number, number] {
  const r = points[3 * p],
    g = points[3 * p + 1],
    b = points[3 * p + 2];
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < k; j++) {
    const dr = r - centres[3 * j],
      dg = g - centres[3 * j + 1],
      db = b - centres[3 * j + 2];
    const d = dr * dr + dg * dg + db * db;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return [best, bestD];
}

/** Index of the palette colour nearest (squared Euclidean in RGB) to (r, g, b); ties go to the lower index. */
export function nearestPaletteIndex(palette: Uint8Array, r: number, g: number, b: number): number {
  let best = 0;
  let bestD = Infinity;
  for (let j = 0, o = 0; o < palette.length; j++, o += 3) {
    let d = r - palette[o];
    d *= d;
    if (d >= bestD) continue;
    const dg = g - palette[o + 1];
    d += dg * dg;
    if (d >= bestD) continue;
    const db = b - palette[o + 2];
    d += db * db;
    if (d < bestD) {
      bestD = d;
      best = j;
    }
  }
  return best;
}

/**
 * Interleaved RGB [N·3] → palette indices [N] (Uint8Array when K ≤ 256, else Uint16Array).
 * A small direct-mapped cache of recent colours makes repeated colours cost one lookup.
 */
export function rgbToPaletteTokens(rgb: Uint8Array, palette: Uint8Array): Uint8Array | Uint16Array {
  const tokens = paletteTokenArray(palette.length / 3, Math.floor(rgb.length / 3));
  paletteMapper(palette)(rgb, tokens);
  return tokens;
}

/** Room for `n` indices into a palette of `size` colours: a byte each up to 256 colours, else two. */
export function paletteTokenArray(size: number, n: number): Uint8Array | Uint16Array {
  return size <= 256 ? new Uint8Array(n) : new Uint16Array(n);
}

/**
 * `rgbToPaletteTokens` in pieces: the returned function maps interleaved RGB [N·3] into `out` [N],
 * keeping its colour cache between calls, so a caller can map image by image and pause in between.
 */
export function paletteMapper(palette: Uint8Array): (rgb: Uint8Array, out: Uint8Array | Uint16Array) => void {
  const cacheBits = 16;
  const cacheKeys = new Int32Array(1 << cacheBits).fill(-1);
  const cacheValues = new Uint16Array(1 << cacheBits);
  return (rgb, out) => {
    const n = Math.floor(rgb.length / 3);
    for (let p = 0; p < n; p++) {
      const r = rgb[3 * p],
        g = rgb[3 * p + 1],
        b = rgb[3 * p + 2];
      const colour = (r << 16) | (g << 8) | b;
      const slot = Math.imul(colour, 0x9e3779b1) >>> (32 - cacheBits);
      if (cacheKeys[slot] === colour) {
        out[p] = cacheValues[slot];
      } else {
        const index = nearestPaletteIndex(palette, r, g, b);
        cacheKeys[slot] = colour;
        cacheValues[slot] = index;
        out[p] = index;
      }
    }
  };
}

/** Palette indices [N] → interleaved RGB [N·3]. Rejects indices outside the palette. */
export function paletteTokensToRgb(tokens: ArrayLike<number>, palette: Uint8Array): Uint8Array {
  const k = palette.length / 3;
  const rgb = new Uint8Array(tokens.length * 3);
  for (let p = 0; p < tokens.length; p++) {
    const t = tokens[p];
    if (!(t >= 0 && t < k)) throw new RangeError(`token ${t} at ${p} is outside the palette 0..${k - 1}`);
    rgb[3 * p] = palette[3 * t];
    rgb[3 * p + 1] = palette[3 * t + 1];
    rgb[3 * p + 2] = palette[3 * t + 2];
  }
  return rgb;
}
