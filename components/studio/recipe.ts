/** The exact recipe of a result: enough to regenerate it bit for bit on the same backend. */
import type { BackendChoice } from '@/lib/runtime/backends';

export interface Recipe {
  model: { id: string; name: string; sha256?: string; url: string };
  /** Image i of a run samples from the stream `fork(i)` of this seed. */
  seed: number;
  imageIndex: number;
  batch: number;
  sampling: { temperature: number; topK: number; topP: number; epsilon: number };
  /** Tokens generated (the whole image unless a test or benchmark shortened the run). */
  length: number;
  completion?: { source: string; keepRows: number; prefixTokens: number };
  backend: { name: BackendChoice['name']; reason: string };
  createdAt: string;
}
