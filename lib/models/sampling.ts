/**
 * The zod schema of lib/reformer/sampling.ts `SamplingSettings`, for settings that cross a wire or
 * a file: the share recipe (flat) and the model card's recommendation (nested). The bounds above
 * the engine's own checks (temperature ≤ 10, topK ≤ 65536) only keep stored values sane.
 */
import { z } from 'zod';
import type { SamplingSettings } from '@/lib/reformer/sampling';

export const SamplingSettingsSchema = z.object({
  temperature: z.number().min(0).max(10),
  /** 0 = no top-k cut. */
  topK: z.number().int().min(0).max(65536),
  /** 1 = no nucleus cut. */
  topP: z.number().gt(0).max(1),
  /** Probability floor; 0 = none, as when absent (recipes from before it). */
  epsilon: z.number().min(0).lt(1).optional(),
});

/** Every setting spelled out, the floor included: what the studio holds and a card records. */
export type FullSamplingSettings = Required<SamplingSettings>;
export const FullSamplingSettingsSchema = SamplingSettingsSchema.required({ epsilon: true });

/** True when A and B are the same type (not merely assignable either way). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
// Compile-time: the schema and the engine's type describe the same fields.
true satisfies Same<z.infer<typeof SamplingSettingsSchema>, SamplingSettings>;
true satisfies Same<z.infer<typeof FullSamplingSettingsSchema>, FullSamplingSettings>;
