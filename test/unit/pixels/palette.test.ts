import { describe, expect, it } from 'vitest';
import {
  fitPalette,
  fitPaletteSteps,
  nearestPaletteIndex,
  paletteTokensToRgb,
  rgbToPaletteTokens,
} from '@/lib/pixels/palette';
import { mulberry32 } from '@/lib/pixels/prng';

function randomPixels(n: number, seed: number): Uint8Array {
  const random = mulberry32(seed);
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = Math.floor(random() * 256);
  return rgb;
}

/** Brute force, no pruning, no cache: the reference the fast path must agree with. */
function referenceNearest(palette: Uint8Array, r: number, g: number, b: number): number {
  let best = -1;
  let bestD = Infinity;
  for (let j = 0; j < palette.length / 3; j++) {
    const d = (r - palette[3 * j]) ** 2 + (g - palette[3 * j + 1]) ** 2 + (b - palette[3 * j + 2]) ** 2;
    if (d < bestD) [best, bestD] = [j, d];
  }
  return best;
}

describe('palette tokenization', () => {
  it('maps every pixel to its nearest palette colour (K=16 and K=300 → Uint16)', () => {
    const rgb = randomPixels(20_000, 3);
    for (const size of [16, 300]) {
      const palette = fitPalette(rgb, { size, seed: 1 });
      expect(palette.length).toBe(size * 3);
      const tokens = rgbToPaletteTokens(rgb, palette);
      expect(tokens).toBeInstanceOf(size > 256 ? Uint16Array : Uint8Array);
      for (let p = 0; p < 20_000; p++) {
        const want = referenceNearest(palette, rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
        if (tokens[p] !== want) {
          // Equal-distance ties are fine; anything else is a bug.
          const d = (j: number) =>
            (rgb[3 * p] - palette[3 * j]) ** 2 +
            (rgb[3 * p + 1] - palette[3 * j + 1]) ** 2 +
            (rgb[3 * p + 2] - palette[3 * j + 2]) ** 2;
          expect(d(tokens[p])).toBe(d(want));
        }
      }
    }
  });

  it('recovers a few flat colours exactly, and decodes to palette colours', () => {
    const colours = [
      [255, 0, 0],
      [0, 128, 0],
      [10, 20, 200],
      [250, 250, 250],
    ];
    const rgb = new Uint8Array(4000 * 3);
    for (let p = 0; p < 4000; p++) rgb.set(colours[p % 4], 3 * p);
    const palette = fitPalette(rgb, { size: 16, seed: 9 });
    const tokens = rgbToPaletteTokens(rgb, palette);
    expect(paletteTokensToRgb(tokens, palette)).toEqual(rgb);
  });

  it('fits many distinct colours with k-means: lower error than the palette k-means started from', () => {
    const rgb = randomPixels(30_000, 5);
    const fitted = fitPalette(rgb, { size: 32, seed: 2 });
    const oneStep = fitPalette(rgb, { size: 32, seed: 2, maxIterations: 1 });
    const error = (palette: Uint8Array) => {
      let sum = 0;
      for (let p = 0; p < 30_000; p++) {
        const j = nearestPaletteIndex(palette, rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]);
        sum +=
          (rgb[3 * p] - palette[3 * j]) ** 2 +
          (rgb[3 * p + 1] - palette[3 * j + 1]) ** 2 +
          (rgb[3 * p + 2] - palette[3 * j + 2]) ** 2;
      }
      return sum;
    };
    expect(error(fitted)).toBeLessThan(error(oneStep));
  });

  it('is reproducible by seed', () => {
    const rgb = randomPixels(5000, 11);
    expect(fitPalette(rgb, { size: 16, seed: 4 })).toEqual(fitPalette(rgb, { size: 16, seed: 4 }));
  });

  it('fits a list of images as if they were one array, without copying them together', () => {
    const rgb = randomPixels(40_000, 13);
    // Uneven images, so a pixel's image is found by offset, not by a fixed stride.
    const images = [
      rgb.subarray(0, 300),
      rgb.subarray(300, 60_000),
      rgb.subarray(60_000, 60_003),
      rgb.subarray(60_003),
    ];
    for (const sampleSize of [1_000, 50_000]) {
      expect(fitPalette(images, { size: 64, seed: 8, sampleSize })).toEqual(
        fitPalette(rgb, { size: 64, seed: 8, sampleSize }),
      );
    }
  });

  it('fits in steps that pause between k-means++ centres and Lloyd iterations, to the same palette', () => {
    const rgb = randomPixels(20_000, 17);
    const steps = fitPaletteSteps(rgb, { size: 32, seed: 3, maxIterations: 4 });
    let pauses = 0;
    let step = steps.next();
    for (; !step.done; step = steps.next()) pauses++;
    // 31 centres after the first, then one pause before each of up to 4 iterations.
    expect(pauses).toBeGreaterThanOrEqual(32);
    expect(pauses).toBeLessThanOrEqual(35);
    expect(step.value).toEqual(fitPalette(rgb, { size: 32, seed: 3, maxIterations: 4 }));
  });

  it('rejects a bad size and out-of-palette tokens', () => {
    expect(() => fitPalette(new Uint8Array(30), { size: 8, seed: 0 })).toThrow(/16..512/);
    expect(() => paletteTokensToRgb([16], new Uint8Array(48))).toThrow(/outside the palette/);
  });
});
