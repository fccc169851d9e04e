import { describe, expect, it } from 'vitest';
import { mulberry32, shuffledIndices } from '@/lib/pixels/prng';
import { rgbSeqLength, rgbToTokens, tokensToRgb } from '@/lib/pixels/rgb';

describe('rgb tokenization', () => {
  it('round-trips random pixels exactly, in raster R,G,B order', () => {
    const random = mulberry32(7);
    const rgb = new Uint8Array(rgbSeqLength(13, 9));
    for (let i = 0; i < rgb.length; i++) rgb[i] = Math.floor(random() * 256);
    const tokens = rgbToTokens(rgb);
    expect(tokens.length).toBe(3 * 13 * 9);
    expect(Array.from(tokens.subarray(0, 6))).toEqual(Array.from(rgb.subarray(0, 6)));
    expect(tokensToRgb(tokens)).toEqual(rgb);
  });

  it('rejects tokens outside the vocab and ragged lengths', () => {
    expect(() => tokensToRgb([0, 256, 1])).toThrow(/outside the rgb vocab/);
    expect(() => tokensToRgb([0, 1])).toThrow(/multiple of 3/);
    expect(() => rgbToTokens(new Uint8Array(4))).toThrow(/multiple of 3/);
  });
});

describe('seeded shuffle', () => {
  it('is a permutation, reproducible by seed and different across seeds', () => {
    const a = shuffledIndices(100, 1);
    expect(Array.from(a).sort((x, y) => x - y)).toEqual([...Array(100).keys()]);
    expect(shuffledIndices(100, 1)).toEqual(a);
    expect(shuffledIndices(100, 2)).not.toEqual(a);
  });
});
