import { describe, expect, test, vi } from 'vitest';
import { backendsToAvoid, loadBackendCheck, saveBackendCheck } from '@/lib/runtime/backend-checks';
import {
  type AdapterInfo,
  type BackendName,
  BACKENDS,
  type FeatureChecks,
  selectBackend,
} from '@/lib/runtime/backends';
import { BackendUnavailableError, WebGpuUnavailableError } from '@/lib/runtime/errors';

const SWIFTSHADER: AdapterInfo = { vendor: 'google', architecture: 'swiftshader', isFallback: true };
const HARDWARE: AdapterInfo = { vendor: 'nvidia', architecture: 'ampere', isFallback: false };

function browser(over: Partial<{ adapter: AdapterInfo | null; wasm: boolean; webgl2: boolean }> = {}): FeatureChecks {
  const { adapter = null, wasm = true, webgl2 = true } = over;
  return Object.freeze({
    webgpuAdapter: async () => adapter,
    isCrossOriginIsolated: () => true,
    hasWasm: () => wasm,
    hasWasmSimd: () => wasm,
    hasWebgl2: () => webgl2,
  });
}

/** Records what was activated instead of touching tfjs. */
function recorder(failing: BackendName[] = []) {
  const activated: BackendName[] = [];
  return {
    activated,
    activate: async (name: BackendName) => {
      if (failing.includes(name)) throw new Error(`${name} init failed`);
      activated.push(name);
    },
  };
}

describe('selectBackend', () => {
  test('the candidates are ordered webgpu, wasm, webgl, cpu', () => {
    expect(BACKENDS.map((b) => b.name)).toEqual(['webgpu', 'wasm', 'webgl', 'cpu']);
    expect(Object.isFrozen(BACKENDS)).toBe(true);
  });

  test('WebGPU on a hardware adapter beats WASM', async () => {
    const r = recorder();
    const choice = await selectBackend({ checks: browser({ adapter: HARDWARE }), activate: r.activate });
    expect(choice.name).toBe('webgpu');
    expect(choice.reason).toMatch(/hardware WebGPU adapter \(nvidia ampere\)/);
    expect(choice.adapterInfo).toEqual(HARDWARE);
    expect(r.activated).toEqual(['webgpu']);
  });

  test('a fallback (SwiftShader) adapter loses to WASM, and the reason says why', async () => {
    const r = recorder();
    const choice = await selectBackend({ checks: browser({ adapter: SWIFTSHADER }), activate: r.activate });
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toMatch(/CPU fallback \(google swiftshader\)/);
    expect(r.activated).toEqual(['wasm']);
  });

  test('a backend the check found wrong here is skipped by automatic selection, with why, but runs when forced', async () => {
    const avoid = { webgpu: 'failed the backend check (/diagnostics) on 2026-11-30: its logits were off by 2.0e-1' };
    const r = recorder();
    const choice = await selectBackend({ checks: browser({ adapter: HARDWARE }), activate: r.activate, avoid });
    expect(choice.name).toBe('wasm');
    expect(choice.reason).toContain('skipped WebGPU: failed the backend check (/diagnostics) on 2026-11-30');
    expect(r.activated).toEqual(['wasm']);
    const forced = await selectBackend({
      force: 'webgpu',
      checks: browser({ adapter: HARDWARE }),
      activate: r.activate,
      avoid,
    });
    expect(forced.name).toBe('webgpu');
  });

  test('forcing webgpu uses even a fallback adapter', async () => {
    const r = recorder();
    const choice = await selectBackend({
      force: 'webgpu',
      checks: browser({ adapter: SWIFTSHADER }),
      activate: r.activate,
    });
    expect(choice.name).toBe('webgpu');
    expect(choice.reason).toMatch(/^forced: .*correct but slow/);
  });

  test('forcing webgpu without an adapter throws WebGpuUnavailableError with a way out', async () => {
    await expect(selectBackend({ force: 'webgpu', checks: browser(), activate: recorder().activate })).rejects.toThrow(
      WebGpuUnavailableError,
    );
    await expect(selectBackend({ force: 'webgpu', checks: browser(), activate: recorder().activate })).rejects.toThrow(
      /pick "auto"/,
    );
  });

  test('an unknown or unavailable forced backend lists the valid options', async () => {
    const err = await selectBackend({
      force: 'metal' as BackendName,
      checks: browser({ webgl2: false }),
      activate: recorder().activate,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.valid).toEqual(['wasm', 'cpu']);
    expect(err.message).toMatch(/Valid options here: wasm, cpu/);
    const webgl = await selectBackend({
      force: 'webgl',
      checks: browser({ webgl2: false }),
      activate: recorder().activate,
    }).catch((e) => e);
    expect(webgl).toBeInstanceOf(BackendUnavailableError);
    expect(webgl.message).toMatch(/no WebGL2 context/);
  });

  test('a candidate that fails to start falls through to the next one, unless forced', async () => {
    const r = recorder(['wasm']);
    const choice = await selectBackend({ checks: browser(), activate: r.activate });
    expect(choice.name).toBe('webgl');
    expect(choice.reason).toMatch(/WebAssembly: failed to start \(wasm init failed\)/);
    await expect(
      selectBackend({ force: 'wasm', checks: browser(), activate: recorder(['wasm']).activate }),
    ).rejects.toThrow(BackendUnavailableError);
  });

  test('with nothing else, plain CPU is chosen', async () => {
    const choice = await selectBackend({
      checks: browser({ wasm: false, webgl2: false }),
      activate: recorder().activate,
    });
    expect(choice.name).toBe('cpu');
  });
});

describe('backend check records', () => {
  const record = {
    checkedAt: '2026-11-30T12:00:00.000Z',
    results: {
      cpu: { status: 'failed' as const, detail: 'reference' },
      wasm: { status: 'ok' as const, diff: 1e-6, detail: 'WebAssembly' },
      webgl: { status: 'failed' as const, diff: 0.25, detail: 'WebGL2' },
      webgpu: { status: 'failed' as const, detail: 'device lost' },
    },
  };

  test('only failed backends are avoided, never the cpu reference, each with its reason', () => {
    expect(backendsToAvoid(record)).toEqual({
      webgl: 'failed the backend check (/diagnostics) on 2026-11-30: its logits were off by 2.5e-1',
      webgpu: 'failed the backend check (/diagnostics) on 2026-11-30: device lost',
    });
    expect(backendsToAvoid(null)).toEqual({});
  });

  test('a record round-trips through localStorage; a missing, corrupt or foreign one reads as none', () => {
    const store = new Map<string, string>();
    vi.stubGlobal('localStorage', {
      getItem: (k: string) => store.get(k) ?? null,
      setItem: (k: string, v: string) => store.set(k, v),
    });
    try {
      expect(loadBackendCheck()).toBeNull();
      saveBackendCheck(record);
      expect(loadBackendCheck()).toEqual(record);
      store.set('reformer.backendCheck.v1', '{not json');
      expect(loadBackendCheck()).toBeNull();
      store.set('reformer.backendCheck.v1', JSON.stringify({ checkedAt: 1, results: {} }));
      expect(loadBackendCheck()).toBeNull();
    } finally {
      vi.unstubAllGlobals();
    }
  });
});
