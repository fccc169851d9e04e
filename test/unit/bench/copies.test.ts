import { describe, expect, it } from 'vitest';
import { copyCheck, nearestDistances, quantile } from '@/bench/lib/copies';

describe('nearestDistances', () => {
  it('gives each query its distance to the nearest reference row', () => {
    const references = [0, 0, 3, 4, 10, 10];
    expect([...nearestDistances([0, 0, 3, 5, 9, 9], references, 2)]).toEqual([0, 1, Math.SQRT2]);
  });

  it('refuses rows of the wrong size', () => {
    expect(() => nearestDistances([1, 2, 3], [1, 2], 2)).toThrow(/multiples/);
  });
});

describe('quantile', () => {
  it('interpolates between order statistics', () => {
    expect(quantile([4, 1, 3, 2, 5], 0.5)).toBe(3);
    expect(quantile([0, 10], 0.25)).toBe(2.5);
    expect(quantile([7, 1], 0)).toBe(1);
  });
});

describe('copyCheck', () => {
  const validation = Array.from({ length: 100 }, (_, i) => 10 + i);
  it('counts samples nearer to a training image than 99% of validation images are', () => {
    // The 1st percentile of 10..109 is 10.99: samples at 0 and 10 are near-copies, 11 and 50 are not.
    const check = copyCheck([0, 10, 11, 50], validation);
    expect(check.threshold).toBeCloseTo(10.99, 9);
    expect(check.nearCopyShare).toBe(0.5);
  });

  it('finds 1% near-copies among samples as far from the training set as validation images are', () => {
    expect(copyCheck(validation, validation).nearCopyShare).toBe(0.01);
    expect(copyCheck(validation.slice(50), validation).nearCopyShare).toBe(0);
  });
});
