/**
 * What /diagnostics found in this browser, kept so that automatic backend selection avoids a
 * backend whose logits came out wrong here (a GPU driver bug, say): the studio and the Train page
 * pass `backendsToAvoid()` to their workers, which skip those backends unless one is forced.
 * Stored in localStorage, which workers cannot read; read on the page only.
 */
import { z } from 'zod';
import type { BackendName } from './errors';

const KEY = 'reformer.backendCheck.v1';

const ResultSchema = z.object({
  status: z.enum(['ok', 'failed', 'unavailable']),
  /** Max |Δ logit| against the CPU reference, where it ran. */
  diff: z.number().optional(),
  detail: z.string(),
});

const RecordSchema = z.object({
  checkedAt: z.string(),
  results: z.partialRecord(z.enum(['webgpu', 'wasm', 'webgl', 'cpu']), ResultSchema),
});

export type BackendCheckRecord = z.infer<typeof RecordSchema>;

/** Backend → why auto selection skips it here. */
export type AvoidList = Partial<Record<BackendName, string>>;

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null; // storage disabled
  }
}

export function saveBackendCheck(record: BackendCheckRecord): void {
  storage()?.setItem(KEY, JSON.stringify(record));
}

/** The last check recorded here, or null (none, or not one this version wrote). */
export function loadBackendCheck(): BackendCheckRecord | null {
  const raw = storage()?.getItem(KEY);
  if (!raw) return null;
  try {
    const parsed = RecordSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/** The backends the last check found wrong here (never `cpu`, the reference), each with the reason shown to the user. */
export function backendsToAvoid(record: BackendCheckRecord | null = loadBackendCheck()): AvoidList {
  const avoid: AvoidList = {};
  if (!record) return avoid;
  for (const [name, r] of Object.entries(record.results) as [BackendName, z.infer<typeof ResultSchema>][]) {
    if (name === 'cpu' || r.status !== 'failed') continue;
    const what = r.diff !== undefined ? `its logits were off by ${r.diff.toExponential(1)}` : r.detail;
    avoid[name] = `failed the backend check (/diagnostics) on ${record.checkedAt.slice(0, 10)}: ${what}`;
  }
  return avoid;
}
