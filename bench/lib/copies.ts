/**
 * The copy check of the fidelity benchmark: a model that memorised its training images would
 * score well on class share and Fréchet distance, so each sample's pixel distance to its nearest
 * training image is held against the same distance for validation images (never trained on).
 * A sample nearer to some training image than 99% of validation images are is a near-copy.
 */

/**
 * For each of `queries` (rows of `dim` bytes), the L2 distance to its nearest row of `references`.
 * Brute force with early exit: a few hundred queries against a few thousand small images.
 */
export function nearestDistances(queries: ArrayLike<number>, references: ArrayLike<number>, dim: number): Float64Array {
  if (queries.length % dim !== 0 || references.length % dim !== 0)
    throw new Error(`image rows must be whole multiples of ${dim} values`);
  const q = queries.length / dim;
  const r = references.length / dim;
  if (r === 0) throw new Error('no reference images');
  const out = new Float64Array(q);
  for (let i = 0; i < q; i++) {
    let best = Infinity;
    for (let j = 0; j < r; j++) {
      let d = 0;
      for (let k = 0; k < dim && d < best; k++) {
        const diff = queries[i * dim + k] - references[j * dim + k];
        d += diff * diff;
      }
      if (d < best) best = d;
    }
    out[i] = Math.sqrt(best);
  }
  return out;
}

/** The p-quantile (0 ≤ p ≤ 1) of `xs`, linearly interpolated between order statistics. */
export function quantile(xs: ArrayLike<number>, p: number): number {
  if (xs.length === 0) throw new Error('quantile of no values');
  if (!(p >= 0 && p <= 1)) throw new Error(`quantile ${p} is outside [0, 1]`);
  const s = Float64Array.from(xs).sort();
  const at = p * (s.length - 1);
  const lo = Math.floor(at);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo] + (s[hi] - s[lo]) * (at - lo);
}

export interface CopyCheck {
  /** Share of samples nearer to a training image than `threshold`. */
  nearCopyShare: number;
  /** The 1st percentile of validation images' nearest-training distances. */
  threshold: number;
  /** Median nearest-training distance of the samples and of the validation images. */
  sampleMedian: number;
  validationMedian: number;
}

/**
 * Near-copies among samples, given each sample's and each validation image's distance to its
 * nearest training image: the share of samples strictly nearer than 99% of validation images are.
 */
export function copyCheck(sampleDistances: ArrayLike<number>, validationDistances: ArrayLike<number>): CopyCheck {
  const threshold = quantile(validationDistances, 0.01);
  let near = 0;
  for (let i = 0; i < sampleDistances.length; i++) if (sampleDistances[i] < threshold) near++;
  return {
    nearCopyShare: sampleDistances.length ? near / sampleDistances.length : 0,
    threshold,
    sampleMedian: quantile(sampleDistances, 0.5),
    validationMedian: quantile(validationDistances, 0.5),
  };
}
