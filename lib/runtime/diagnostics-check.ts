/**
 * The /diagnostics self-check: the seeded Reformer of selfcheck.ts on each backend this browser
 * offers, every logit compared with the plain-JavaScript reference. A plain function, so that it
 * runs in diagnostics-worker.ts (the page) or in-process (tests) alike.
 */
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { maxDifference, runSelfCheck, type SelfCheckResult } from '@/lib/reformer/selfcheck';
import * as tf from '@/lib/reformer/tf';
import { type Activate, activateTfjsBackend } from './backends';
import { type BackendCheckRow, type CheckedBackend, CHECKED_BACKENDS } from './diagnostics-protocol';

const DETAIL: Record<CheckedBackend, string> = {
  cpu: 'reference (plain JavaScript)',
  wasm: 'WebAssembly',
  webgl: 'WebGL2',
  webgpu: '',
};

/** The tolerance for float32 logits computed by different kernels (≈ 1e-6 relative, logits ~1). */
export const TOLERANCE = 1e-3;

export interface BackendCheckOptions {
  /** Which backends, in order; the first that runs is the reference. Default: all, CPU first. */
  backends?: readonly CheckedBackend[];
  /** Hears each row as soon as its backend is done. */
  onRow?: (row: BackendCheckRow) => void;
  /** WASM activation (its binaries and SIMD kernels, as the studio does); tests pass a stub. */
  activateWasm?: Activate;
}

/** Sets `backend` as the studio does (WASM: its binaries and SIMD kernels); ok is false when the browser lacks it. */
async function activate(backend: CheckedBackend, activateWasm: Activate): Promise<{ ok: boolean; detail?: string }> {
  if (backend !== 'wasm') return { ok: await tf.setBackend(backend) };
  const chosen = await activateWasm('wasm', { name: 'wasm', reason: 'WebAssembly' });
  return { ok: true, detail: chosen?.reason };
}

async function adapterDescription(): Promise<string> {
  const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)?.gpu;
  if (!gpu) return 'navigator.gpu is missing (no WebGPU in this browser or context)';
  const adapter = (await gpu.requestAdapter()) as {
    info?: { vendor?: string; architecture?: string; description?: string };
    isFallbackAdapter?: boolean;
  } | null;
  if (!adapter) return 'no WebGPU adapter';
  const info = adapter.info ?? {};
  const fallback = adapter.isFallbackAdapter || info.architecture === 'swiftshader';
  return `${[info.vendor, info.architecture, info.description].filter(Boolean).join(' · ') || 'unknown adapter'}${fallback ? ' (fallback adapter: correct but slow)' : ''}`;
}

/** Runs the check on each backend in turn; the active tfjs backend is CPU afterwards. */
export async function runBackendCheck(options: BackendCheckOptions = {}): Promise<BackendCheckRow[]> {
  const { backends = CHECKED_BACKENDS, onRow, activateWasm = activateTfjsBackend } = options;
  const rows: BackendCheckRow[] = [];
  const push = (row: BackendCheckRow) => {
    rows.push(row);
    onRow?.(row);
  };
  let reference: SelfCheckResult | undefined;
  for (const backend of backends) {
    try {
      const activated = await activate(backend, activateWasm);
      let detail = activated.detail ?? DETAIL[backend];
      if (!activated.ok) {
        if (backend === 'webgpu') detail = await adapterDescription();
        push({ backend, status: 'unavailable', detail });
        continue;
      }
      await tf.ready();
      const result = await runSelfCheck();
      if (backend === 'webgpu') detail = await adapterDescription();
      reference ??= result;
      const diff = maxDifference(result, reference);
      push({ backend, status: diff <= TOLERANCE ? 'ok' : 'failed', detail, diff, ms: result.ms });
    } catch (e) {
      push({ backend, status: 'failed', detail: e instanceof Error ? e.message : String(e) });
    }
  }
  await tf.setBackend('cpu');
  return rows;
}
