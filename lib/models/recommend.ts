/**
 * Which sampling setting to open a model with. A likelihood model trained as far as this machine
 * allows puts a little probability on every shade, and at temperature 1 those tails show as
 * specks (stray pixels); cutting them (temperature, top-p, a probability floor ε) cleans the
 * picture but, cut too hard, leaves less drawn on the canvas (ink). bench:samples measures both for
 * the validation images and for samples at each setting; the recommended setting is the one
 * nearest the images in both at once, each counted as a ratio (|ln(sample / image)|), so a
 * setting with 4× the specks is as far off as one with a quarter of the ink.
 */
import type { FullSamplingSettings } from './sampling';

/** Shares of stray pixels and of ink, averaged over images. */
export interface PictureShares {
  stray: number;
  ink: number;
}

export interface MeasuredSetting extends PictureShares {
  sampling: FullSamplingSettings;
  images: number;
}

/** How far a setting's samples are from the images: the sum of the log ratios' sizes. */
export function distanceFromImages(samples: PictureShares, images: PictureShares): number {
  // A floor keeps a setting with no stray pixels at all (or images with none) finite.
  const ratio = (a: number, b: number) => Math.abs(Math.log(Math.max(a, 1e-4) / Math.max(b, 1e-4)));
  return ratio(samples.stray, images.stray) + ratio(samples.ink, images.ink);
}

/** The measured setting nearest the images; the first of equals. */
export function recommendSampling(images: PictureShares, settings: MeasuredSetting[]): MeasuredSetting {
  if (settings.length === 0) throw new Error('no sampling settings were measured');
  return settings.reduce((best, s) => (distanceFromImages(s, images) < distanceFromImages(best, images) ? s : best));
}
