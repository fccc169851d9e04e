import { describe, expect, it } from 'vitest';
import { FullSamplingSettingsSchema, SamplingSettingsSchema } from '@/lib/models/sampling';
import { DEFAULT_SAMPLING, type SamplingSettings, validateSamplingOptions } from '@/lib/reformer/sampling';

const engineAccepts = (s: SamplingSettings) => {
  try {
    validateSamplingOptions(s);
    return true;
  } catch {
    return false;
  }
};

const base: SamplingSettings = { temperature: 1, topK: 0, topP: 1, epsilon: 0 };
/** Each field at and across the edges of what it may be. */
const cases: SamplingSettings[] = [
  ...[-0.1, 0, 0.7, 10, Number.NaN].map((temperature) => ({ ...base, temperature })),
  ...[-1, 0, 1.5, 40, 65536].map((topK) => ({ ...base, topK })),
  ...[0, 0.001, 0.9, 1, 1.01].map((topP) => ({ ...base, topP })),
  ...[-0.01, 0, 0.002, 0.999, 1, undefined].map((epsilon) => ({ ...base, epsilon })),
];

describe('SamplingSettingsSchema', () => {
  it('accepts exactly the settings the engine accepts, within its storage bounds', () => {
    for (const s of cases) expect([s, SamplingSettingsSchema.safeParse(s).success]).toEqual([s, engineAccepts(s)]);
  });

  it('bounds what is stored beyond the engine: temperature ≤ 10, topK ≤ 65536', () => {
    expect(engineAccepts({ ...base, temperature: 11 })).toBe(true);
    expect(SamplingSettingsSchema.safeParse({ ...base, temperature: 11 }).success).toBe(false);
    expect(SamplingSettingsSchema.safeParse({ ...base, topK: 65537 }).success).toBe(false);
  });

  it("takes the engine's default, and recipes from before the floor (no epsilon)", () => {
    expect(SamplingSettingsSchema.parse(DEFAULT_SAMPLING)).toEqual(DEFAULT_SAMPLING);
    expect(SamplingSettingsSchema.safeParse({ temperature: 1, topK: 0, topP: 1 }).success).toBe(true);
  });
});

describe('FullSamplingSettingsSchema', () => {
  it('requires the floor to be spelled out', () => {
    expect(FullSamplingSettingsSchema.safeParse({ temperature: 1, topK: 0, topP: 1 }).success).toBe(false);
    expect(FullSamplingSettingsSchema.safeParse(base).success).toBe(true);
  });
});
