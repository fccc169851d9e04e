/** The exact recipe of a result: enough to regenerate it bit for bit on the same backend. */
import type { FullSamplingSettings } from '@/lib/models/sampling';
import type { BackendChoice } from '@/lib/runtime/backends';

export interface Recipe {
  model: { id: string; name: string; sha256?: string; url: string };
  /** Image i of the seed samples from its stream `fork(i)`. */
  seed: number;
  /** Which image of the seed this is: the run's firstImage + its place in the run. */
  imageIndex: number;
  /** The run drew images firstImage … firstImage + batch − 1 of the seed. */
  firstImage: number;
  batch: number;
  sampling: FullSamplingSettings;
  /** Tokens generated (the whole image unless a test or benchmark shortened the run). */
  length: number;
  completion?: { source: string; keepRows: number; prefixTokens: number };
  backend: { name: BackendChoice['name']; reason: string };
  createdAt: string;
}
