/**
 * The Remix link's query (lib/samples/recipe.ts remixHref): each value validated or dropped, so a
 * hand-edited link never reaches the engine with a value it cannot take.
 */
import { type BackendName, isBackendName } from '@/lib/runtime/backends';
import type { FullSamplingSettings } from '@/lib/models/sampling';
import { isGuidance } from '@/lib/samples/recipe';

export type Sampling = FullSamplingSettings;

/** Temperature 1, nothing cut: the model's own distribution. */
export const PLAIN_SAMPLING: Sampling = { temperature: 1, topK: 0, topP: 1, epsilon: 0 };

export type RemixQuery = ReturnType<typeof readRemixQuery>;

/**
 * The Remix query (model, seed, temperature, topK, topP, epsilon, image, class, guidance, backend),
 * each value validated or dropped. Whether the class is one the model knows is the studio's to check
 * once the model is loaded.
 */
export function readRemixQuery(search: string) {
  const q = new URLSearchParams(search);
  const num = (key: string, ok: (n: number) => boolean) => {
    const raw = q.get(key);
    const n = raw === null || raw === '' ? NaN : Number(raw);
    return Number.isFinite(n) && ok(n) ? n : undefined;
  };
  const backend = q.get('backend');
  return {
    model: q.get('model') ?? undefined,
    seed: num('seed', (n) => Number.isInteger(n) && n >= 0 && n <= 0xffffffff),
    temperature: num('temperature', (n) => n >= 0 && n <= 10),
    topK: num('topK', (n) => Number.isInteger(n) && n >= 0),
    topP: num('topP', (n) => n > 0 && n <= 1),
    epsilon: num('epsilon', (n) => n >= 0 && n < 1),
    // Any image of a seed (a share's batchIndex goes to 1023): it is drawn alone.
    image: num('image', (n) => Number.isInteger(n) && n >= 0 && n <= 1023),
    complete: /^[A-Za-z0-9_-]{1,64}$/.test(q.get('complete') ?? '') ? q.get('complete')! : undefined,
    keepRows: num('keepRows', (n) => Number.isInteger(n) && n > 0),
    classId: num('class', (n) => Number.isInteger(n) && n >= 0 && n <= 254),
    guidance: num('guidance', isGuidance),
    backend: backend === 'auto' || (backend && isBackendName(backend)) ? (backend as BackendName | 'auto') : undefined,
  };
}

/** The link's sampling over plain sampling, or null when the link sets none of it. */
export function linkSampling(q: RemixQuery): Sampling | null {
  const given = { temperature: q.temperature, topK: q.topK, topP: q.topP, epsilon: q.epsilon };
  if (Object.values(given).every((v) => v === undefined)) return null;
  return { ...PLAIN_SAMPLING, ...Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined)) };
}

/** `?rows=N` stops runs after N image rows: for tests and benchmarks on slow backends. */
export function readRowLimit(search: string): number | undefined {
  const n = Number(new URLSearchParams(search).get('rows'));
  return Number.isInteger(n) && n > 0 ? n : undefined;
}
