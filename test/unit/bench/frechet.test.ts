import { describe, expect, it } from 'vitest';
import {
  frechetBetween,
  frechetDistance,
  matMul,
  meanAndCovariance,
  sqrtSymmetric,
  symmetricEigen,
} from '@/bench/lib/frechet';
import { mulberry32 } from '@/lib/pixels/prng';

/** A random symmetric positive definite n×n matrix: BᵀB + εI. */
function randomSpd(n: number, seed: number): Float64Array {
  const random = mulberry32(seed);
  const b = Float64Array.from({ length: n * n }, () => random() * 2 - 1);
  const bt = Float64Array.from({ length: n * n }, (_, k) => b[(k % n) * n + Math.floor(k / n)]);
  const a = matMul(bt, b, n);
  for (let i = 0; i < n; i++) a[i * n + i] += 0.1;
  return a;
}

function expectClose(a: ArrayLike<number>, b: ArrayLike<number>, digits = 9) {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], digits);
}

describe('symmetricEigen', () => {
  it('finds the eigenvalues of a known matrix', () => {
    const { values } = symmetricEigen([2, 1, 1, 2], 2);
    expect([...values].sort()).toEqual([expect.closeTo(1, 12), expect.closeTo(3, 12)]);
  });

  it('reconstructs a random symmetric matrix from orthonormal eigenvectors', () => {
    const n = 7;
    const a = randomSpd(n, 3);
    const { values, vectors } = symmetricEigen(a, n);
    const vt = Float64Array.from({ length: n * n }, (_, k) => vectors[(k % n) * n + Math.floor(k / n)]);
    expectClose(
      matMul(vt, vectors, n),
      Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0)),
    );
    const scaled = Float64Array.from(vectors, (v, k) => v * values[k % n]);
    expectClose(matMul(scaled, vt, n), a);
  });

  it('refuses a matrix that is not symmetric', () => {
    expect(() => symmetricEigen([1, 2, 3, 4], 2)).toThrow(/not symmetric/);
  });
});

describe('sqrtSymmetric', () => {
  it('takes the square root of a diagonal matrix entry by entry', () => {
    expectClose(sqrtSymmetric([4, 0, 0, 9], 2), [2, 0, 0, 3]);
  });

  it('gives a root whose square is the matrix', () => {
    const n = 6;
    const a = randomSpd(n, 11);
    const root = sqrtSymmetric(a, n);
    expectClose(matMul(root, root, n), a);
  });
});

describe('meanAndCovariance', () => {
  const rows = [1, 2, 3, 5, 4, 4, 0, 1];
  it('matches a hand computation', () => {
    const { mean, covariance } = meanAndCovariance(rows, 4, 2);
    expectClose(mean, [2, 3]);
    // x: 1,3,4,0 (deviations −1,1,2,−2); y: 2,5,4,1 (−1,2,1,−2); n − 1 = 3
    expectClose(covariance, [10 / 3, 9 / 3, 9 / 3, 10 / 3]);
  });

  it('equal weights are the unweighted form, and a zero weight drops a row', () => {
    expectClose(meanAndCovariance(rows, 4, 2, [2, 2, 2, 2]).covariance, meanAndCovariance(rows, 4, 2).covariance);
    const dropped = meanAndCovariance(rows, 4, 2, [1, 1, 1, 0]);
    const three = meanAndCovariance(rows.slice(0, 6), 3, 2);
    expectClose(dropped.mean, three.mean);
    expectClose(dropped.covariance, three.covariance);
  });
});

describe('frechetDistance', () => {
  it('is zero between a distribution and itself', () => {
    const a = { mean: [1, 2, 3], covariance: randomSpd(3, 5) };
    expect(frechetDistance(a, a)).toBeCloseTo(0, 9);
  });

  it('is (μ₁ − μ₂)² + (σ₁ − σ₂)² in one dimension', () => {
    expect(frechetDistance({ mean: [1], covariance: [4] }, { mean: [3], covariance: [9] })).toBeCloseTo(4 + 1, 12);
  });

  it('is tr(I + A − 2√A) between N(0, I) and N(0, A)', () => {
    const n = 5;
    const a = randomSpd(n, 8);
    const identity = Float64Array.from({ length: n * n }, (_, k) => (k % (n + 1) === 0 ? 1 : 0));
    const root = sqrtSymmetric(a, n);
    let expected = 0;
    for (let i = 0; i < n; i++) expected += 1 + a[i * n + i] - 2 * root[i * n + i];
    const zero = new Float64Array(n);
    expect(frechetDistance({ mean: zero, covariance: identity }, { mean: zero, covariance: a })).toBeCloseTo(
      expected,
      9,
    );
  });

  it('is symmetric in its arguments for covariances that do not commute', () => {
    const a = { mean: [0, 1, 0, 2], covariance: randomSpd(4, 1) };
    const b = { mean: [1, 0, 0, 0], covariance: randomSpd(4, 2) };
    expect(frechetDistance(a, b)).toBeCloseTo(frechetDistance(b, a), 9);
  });

  it('grows as two sample sets move apart', () => {
    const random = mulberry32(4);
    const x = Float64Array.from({ length: 200 * 3 }, () => random());
    const near = Float64Array.from(x, (v) => v + 0.1);
    const far = Float64Array.from(x, (v) => v + 1);
    expect(frechetBetween(x, 200, near, 200, 3)).toBeCloseTo(3 * 0.01, 9);
    expect(frechetBetween(x, 200, far, 200, 3)).toBeCloseTo(3, 9);
  });
});
