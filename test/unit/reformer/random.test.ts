import { describe, expect, it, vi } from 'vitest';
import { createRng, randomSeed, rngFromState, type Rng } from '@/lib/reformer/random';

function take(rng: Rng, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

function correlation(a: number[], b: number[]): number {
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const ma = mean(a);
  const mb = mean(b);
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    cov += (a[i]! - ma) * (b[i]! - mb);
    va += (a[i]! - ma) ** 2;
    vb += (b[i]! - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}

describe('xoshiro128** core', () => {
  it('matches the reference C implementation from state [1, 2, 3, 4]', () => {
    // Outputs of prng.di.unimi.it/xoshiro128starstar.c compiled with gcc.
    const rng = rngFromState([1, 2, 3, 4]);
    expect(take(rng, 10)).toEqual([
      11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849, 3729100597, 4258142804,
    ]);
    take(rng, 990);
    expect(rng.state()).toEqual([2954884481, 294556968, 2598411021, 550772539]);
  });
});

describe('createRng', () => {
  it('gives the same sequence for the same seed', () => {
    expect(take(createRng(42), 100)).toEqual(take(createRng(42), 100));
  });

  it('gives different sequences for different seeds, including neighbouring ones', () => {
    const a = take(createRng(0), 100);
    const b = take(createRng(1), 100);
    const c = take(createRng(4294967295), 100);
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
    expect(a.filter((x, i) => x === b[i]).length).toBe(0);
    expect(Math.abs(correlation(a, b))).toBeLessThan(0.3);
  });

  it('produces uniform floats in [0, 1) and 32-bit unsigned integers', () => {
    const rng = createRng(7);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.nextFloat();
      if (!(x >= 0 && x < 1)) outOfRange++;
      else buckets[Math.floor(x * 10)]!++;
    }
    expect(outOfRange).toBe(0);
    // chi-square with 9 degrees of freedom: 27.9 is the 0.999 quantile
    const chi2 = buckets.reduce((s, c) => s + (c - n / 10) ** 2 / (n / 10), 0);
    expect(chi2).toBeLessThan(27.9);
    for (const x of take(rng, 1000)) expect(Number.isInteger(x) && x >= 0 && x < 2 ** 32).toBe(true);
  });

  it('rejects seeds that are not 32-bit unsigned integers, saying how to fix them', () => {
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => createRng(bad)).toThrow(/must be an integer in \[0, 4294967295\].*randomSeed/);
    }
  });
});

describe('state / rngFromState', () => {
  it('resumes exactly where the stream was', () => {
    const rng = createRng(123);
    take(rng, 37);
    const saved = rng.state();
    const expected = take(rng, 50);
    expect(take(rngFromState(saved), 50)).toEqual(expected);
  });

  it('returns a copy that does not alias the stream', () => {
    const rng = createRng(5);
    const s = rng.state();
    rng.nextUint32();
    expect(rng.state()).not.toEqual(s);
  });

  it('rejects malformed states', () => {
    expect(() => rngFromState([1, 2, 3])).toThrow(/four integers/);
    expect(() => rngFromState([1, 2, 3, -4])).toThrow(/four integers/);
    expect(() => rngFromState([0, 0, 0, 0])).toThrow(/invalid/);
  });
});

describe('fork', () => {
  it('is deterministic and does not advance the parent', () => {
    const parent = createRng(9);
    const before = parent.state();
    const a = take(parent.fork('dropout'), 20);
    expect(parent.state()).toEqual(before);
    expect(take(parent.fork('dropout'), 20)).toEqual(a);
    expect(take(createRng(9).fork('dropout'), 20)).toEqual(a);
  });

  it('gives streams independent of each other and of the parent', () => {
    const parent = createRng(2024);
    const children = [parent.fork(0), parent.fork(1), parent.fork('0'), parent.fork('1'), parent.fork(2)];
    const streams = [take(parent, 5000), ...children.map((c) => take(c, 5000))];
    for (let i = 0; i < streams.length; i++) {
      for (let j = i + 1; j < streams.length; j++) {
        expect(streams[i]!.slice(0, 10)).not.toEqual(streams[j]!.slice(0, 10));
        // |r| of independent uniform streams of 5000 is < 0.06 with probability ≈ 0.9999
        expect(Math.abs(correlation(streams[i]!, streams[j]!))).toBeLessThan(0.06);
      }
    }
  });

  it('depends on the parent state: the same label after a draw gives a different child', () => {
    const parent = createRng(1);
    const first = take(parent.fork(3), 10);
    parent.nextUint32();
    expect(take(parent.fork(3), 10)).not.toEqual(first);
  });

  it('forks survive a state round trip', () => {
    const rng = createRng(77);
    take(rng, 11);
    expect(take(rngFromState(rng.state()).fork('row'), 10)).toEqual(take(rng.fork('row'), 10));
  });
});

describe('randomSeed', () => {
  it('returns 32-bit unsigned integers that vary', () => {
    const seeds = Array.from({ length: 20 }, randomSeed);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
    expect(new Set(seeds).size).toBeGreaterThan(15);
    expect(() => createRng(seeds[0]!)).not.toThrow();
  });

  it('falls back to Math.random without crypto', () => {
    const saved = Object.getOwnPropertyDescriptor(globalThis, 'crypto');
    Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true });
    const random = vi.spyOn(Math, 'random');
    try {
      const seeds = Array.from({ length: 20 }, randomSeed);
      expect(random).toHaveBeenCalledTimes(20);
      for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
      expect(new Set(seeds).size).toBeGreaterThan(15);
    } finally {
      random.mockRestore();
      Object.defineProperty(globalThis, 'crypto', saved!);
    }
  });
});
