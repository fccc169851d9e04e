import { describe, expect, it } from 'vitest';
import { resizeSquare } from '@/bench/lib/resize';

describe('resizeSquare', () => {
  // 2×2: red, green / blue, white
  const small = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255]);

  it('enlarges by nearest neighbour: each pixel becomes a block', () => {
    const big = resizeSquare(small, 2, 4);
    const at = (x: number, y: number) => [...big.subarray((y * 4 + x) * 3, (y * 4 + x) * 3 + 3)];
    expect(at(0, 0)).toEqual([255, 0, 0]);
    expect(at(1, 1)).toEqual([255, 0, 0]);
    expect(at(2, 1)).toEqual([0, 255, 0]);
    expect(at(1, 2)).toEqual([0, 0, 255]);
    expect(at(3, 3)).toEqual([255, 255, 255]);
  });

  it('reduces by area: the mean of each block, and undoes an enlargement', () => {
    expect([...resizeSquare(small, 2, 1)]).toEqual([128, 128, 128]);
    expect([...resizeSquare(resizeSquare(small, 2, 4), 4, 2)]).toEqual([...small]);
  });

  it('returns the image itself at the same side, and refuses other factors', () => {
    expect(resizeSquare(small, 2, 2)).toBe(small);
    expect(() => resizeSquare(new Uint8Array(3 * 3 * 3), 3, 4)).toThrow(/whole factor/);
    expect(() => resizeSquare(small, 3, 6)).toThrow(/not a 3×3/);
  });
});
