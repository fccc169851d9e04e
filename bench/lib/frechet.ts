/**
 * The Fréchet distance between two Gaussians fitted to feature vectors, as FID computes it
 * (Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule…", eq. in §3; Dowson & Landau
 * 1982 for the formula):
 *
 *   d² = |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2·(Σ₁^½ Σ₂ Σ₁^½)^½)
 *
 * The inner product is written in its symmetric form so that every square root is of a symmetric
 * positive semi-definite matrix, taken by eigendecomposition (cyclic Jacobi rotations, Golub & Van
 * Loan §8.5): exact to rounding for the small matrices (tens of features) used here, no library.
 * Matrices are row-major Float64Array of n×n.
 */

/** Eigenvalues and eigenvectors of a symmetric matrix: `a = V·diag(values)·Vᵀ`, V's columns the vectors. */
export interface SymmetricEigen {
  values: Float64Array;
  /** Row-major n×n; column j is the eigenvector of values[j]. */
  vectors: Float64Array;
}

/**
 * Cyclic Jacobi eigendecomposition of a symmetric n×n matrix (row-major). Sweeps until the
 * off-diagonal mass is below `tolerance` relative to the whole, or throws after `maxSweeps`.
 */
export function symmetricEigen(a: ArrayLike<number>, n: number, tolerance = 1e-14, maxSweeps = 100): SymmetricEigen {
  if (a.length !== n * n) throw new Error(`matrix has ${a.length} entries, expected ${n}×${n}`);
  const m = Float64Array.from(a);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const scale = Math.max(1, Math.abs(m[i * n + j]), Math.abs(m[j * n + i]));
      if (Math.abs(m[i * n + j] - m[j * n + i]) > 1e-9 * scale)
        throw new Error(`matrix is not symmetric at (${i}, ${j})`);
    }
  const v = new Float64Array(n * n);
  for (let i = 0; i < n; i++) v[i * n + i] = 1;
  let total = 0;
  for (let i = 0; i < n * n; i++) total += m[i] * m[i];
  for (let sweep = 0; sweep < maxSweeps; sweep++) {
    let off = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += m[i * n + j] * m[i * n + j];
    if (off <= tolerance * tolerance * total || off === 0) {
      return { values: Float64Array.from({ length: n }, (_, i) => m[i * n + i]), vectors: v };
    }
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = m[p * n + q];
        if (apq === 0) continue;
        // The rotation that zeroes m[p][q] (Golub & Van Loan, Algorithm 8.5.1, sym.schur2).
        const tau = (m[q * n + q] - m[p * n + p]) / (2 * apq);
        const t = Math.sign(tau || 1) / (Math.abs(tau) + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // m ← m·J (columns p, q)
          const mkp = m[k * n + p];
          const mkq = m[k * n + q];
          m[k * n + p] = c * mkp - s * mkq;
          m[k * n + q] = s * mkp + c * mkq;
        }
        for (let k = 0; k < n; k++) {
          // m ← Jᵀ·m (rows p, q)
          const mpk = m[p * n + k];
          const mqk = m[q * n + k];
          m[p * n + k] = c * mpk - s * mqk;
          m[q * n + k] = s * mpk + c * mqk;
        }
        for (let k = 0; k < n; k++) {
          const vkp = v[k * n + p];
          const vkq = v[k * n + q];
          v[k * n + p] = c * vkp - s * vkq;
          v[k * n + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  throw new Error(`Jacobi eigendecomposition did not converge in ${maxSweeps} sweeps`);
}

/** a·b for row-major n×n matrices. */
export function matMul(a: ArrayLike<number>, b: ArrayLike<number>, n: number): Float64Array {
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) {
      const aik = a[i * n + k];
      if (aik === 0) continue;
      for (let j = 0; j < n; j++) out[i * n + j] += aik * b[k * n + j];
    }
  return out;
}

/**
 * The symmetric square root of a symmetric positive semi-definite matrix: V·diag(√λ)·Vᵀ.
 * Eigenvalues below zero by rounding (a covariance of fewer samples than features is singular)
 * are taken as zero.
 */
export function sqrtSymmetric(a: ArrayLike<number>, n: number): Float64Array {
  const { values, vectors } = symmetricEigen(a, n);
  const out = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    const r = Math.sqrt(Math.max(0, values[j]));
    if (r === 0) continue;
    for (let i = 0; i < n; i++) {
      const vij = vectors[i * n + j] * r;
      for (let k = 0; k < n; k++) out[i * n + k] += vij * vectors[k * n + j];
    }
  }
  return out;
}

/**
 * Mean and unbiased covariance of `count` row vectors of `dim` features. With `weights` (one per
 * row, ≥ 0), the weighted mean and the reliability-weighted covariance, Σw(x−μ)(x−μ)ᵀ / (Σw − Σw²/Σw),
 * which is the usual n − 1 form when all weights are equal.
 */
export function meanAndCovariance(
  features: ArrayLike<number>,
  count: number,
  dim: number,
  weights?: ArrayLike<number>,
): { mean: Float64Array; covariance: Float64Array } {
  if (count < 2) throw new Error(`need at least 2 feature vectors for a covariance, got ${count}`);
  if (features.length !== count * dim) throw new Error(`${features.length} values are not ${count}×${dim}`);
  if (weights && weights.length !== count) throw new Error(`${weights.length} weights for ${count} rows`);
  const w = (r: number) => (weights ? weights[r] : 1);
  let sum = 0;
  let sumSquares = 0;
  for (let r = 0; r < count; r++) {
    if (!(w(r) >= 0)) throw new Error(`weight ${w(r)} of row ${r} is not ≥ 0`);
    sum += w(r);
    sumSquares += w(r) * w(r);
  }
  const denominator = sum - sumSquares / sum;
  if (!(denominator > 0)) throw new Error('the weights leave fewer than two rows to estimate a covariance');
  const mean = new Float64Array(dim);
  for (let r = 0; r < count; r++) for (let j = 0; j < dim; j++) mean[j] += w(r) * features[r * dim + j];
  for (let j = 0; j < dim; j++) mean[j] /= sum;
  const covariance = new Float64Array(dim * dim);
  const centred = new Float64Array(dim);
  for (let r = 0; r < count; r++) {
    const wr = w(r);
    if (wr === 0) continue;
    for (let j = 0; j < dim; j++) centred[j] = features[r * dim + j] - mean[j];
    for (let i = 0; i < dim; i++) {
      const ci = wr * centred[i];
      if (ci === 0) continue;
      for (let j = i; j < dim; j++) covariance[i * dim + j] += ci * centred[j];
    }
  }
  for (let i = 0; i < dim; i++)
    for (let j = i; j < dim; j++) {
      covariance[i * dim + j] /= denominator;
      covariance[j * dim + i] = covariance[i * dim + j];
    }
  return { mean, covariance };
}

/** d² between N(μ₁, Σ₁) and N(μ₂, Σ₂) (see the header); clamped at 0 against rounding. */
export function frechetDistance(
  a: { mean: ArrayLike<number>; covariance: ArrayLike<number> },
  b: { mean: ArrayLike<number>; covariance: ArrayLike<number> },
): number {
  const n = a.mean.length;
  if (b.mean.length !== n) throw new Error(`feature sizes differ: ${n} and ${b.mean.length}`);
  let d = 0;
  for (let i = 0; i < n; i++) d += (a.mean[i] - b.mean[i]) ** 2;
  const rootA = sqrtSymmetric(a.covariance, n);
  const inner = matMul(matMul(rootA, b.covariance, n), rootA, n);
  // Symmetrise what rounding left off: the product is symmetric in exact arithmetic.
  for (let i = 0; i < n; i++)
    for (let j = 0; j < i; j++) {
      const s = (inner[i * n + j] + inner[j * n + i]) / 2;
      inner[i * n + j] = s;
      inner[j * n + i] = s;
    }
  let traceRoot = 0;
  for (const value of symmetricEigen(inner, n).values) traceRoot += Math.sqrt(Math.max(0, value));
  for (let i = 0; i < n; i++) d += a.covariance[i * n + i] + b.covariance[i * n + i];
  return Math.max(0, d - 2 * traceRoot);
}

/** The Fréchet distance between two sets of feature vectors (rows of `dim`); `xWeights` weighs x's rows. */
export function frechetBetween(
  x: ArrayLike<number>,
  xCount: number,
  y: ArrayLike<number>,
  yCount: number,
  dim: number,
  xWeights?: ArrayLike<number>,
): number {
  return frechetDistance(meanAndCovariance(x, xCount, dim, xWeights), meanAndCovariance(y, yCount, dim));
}
