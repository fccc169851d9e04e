import { describe, expect, test } from 'vitest';
import { type AdapterInfo, type BackendName, BACKENDS, type FeatureChecks, selectBackend } from '@/lib/runtime/backends';
import { BackendUnavailableError, WebGpuUnavailableError } from '@/lib/runtime/errors';

const SWIFTSHADER: AdapterInfo = { vendor: 'google', architecture: 'swiftshader', isFallback: true };
const HARDWARE: AdapterInfo = { vendor: 'nvidia', architecture: 'ampere', isFallback: false };

function browser(over: Partial<{ adapter: AdapterInfo | null; wasm: boolean; webgl2: boolean }> = {}): FeatureChecks {
  const { adapter = null, wasm = true, webgl2 = true } = over;
  return Object.freeze({
    webgpuAdapter: async () => adapter,
    crossOriginIsolated: () => true,
    wasm: () => wasm,
    wasmSimd: () => wasm,
    webgl2: () => webgl2,
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

  test('forcing webgpu uses even a fallback adapter', async () => {
    const r = recorder();
    const choice = await selectBackend({ force: 'webgpu', checks: browser({ adapter: SWIFTSHADER }), activate: r.activate });
    expect(choice.name).toBe('webgpu');
    expect(choice.reason).toMatch(/^forced: .*correct but slow/);
  });

  test('forcing webgpu without an adapter throws WebGpuUnavailableError with a way out', async () => {
    await expect(selectBackend({ force: 'webgpu', checks: browser(), activate: recorder().activate })).rejects.toThrow(WebGpuUnavailableError);
    await expect(selectBackend({ force: 'webgpu', checks: browser(), activate: recorder().activate })).rejects.toThrow(/pick "auto"/);
  });

  test('an unknown or unavailable forced backend lists the valid options', async () => {
    const err = await selectBackend({ force: 'metal' as BackendName, checks: browser({ webgl2: false }), activate: recorder().activate }).catch((e) => e);
    expect(err).toBeInstanceOf(BackendUnavailableError);
    expect(err.valid).toEqual(['wasm', 'cpu']);
    expect(err.message).toMatch(/Valid options here: wasm, cpu/);
    const webgl = await selectBackend({ force: 'webgl', checks: browser({ webgl2: false }), activate: recorder().activate }).catch((e) => e);
    expect(webgl).toBeInstanceOf(BackendUnavailableError);
    expect(webgl.message).toMatch(/no WebGL2 context/);
  });

  test('a candidate that fails to start falls through to the next one, unless forced', async () => {
    const r = recorder(['wasm']);
    const choice = await selectBackend({ checks: browser(), activate: r.activate });
    expect(choice.name).toBe('webgl');
    expect(choice.reason).toMatch(/WebAssembly: failed to start \(wasm init failed\)/);
    await expect(selectBackend({ force: 'wasm', checks: browser(), activate: recorder(['wasm']).activate })).rejects.toThrow(BackendUnavailableError);
  });

  test('with nothing else, plain CPU is chosen', async () => {
    const choice = await selectBackend({ checks: browser({ wasm: false, webgl2: false }), activate: recorder().activate });
    expect(choice.name).toBe('cpu');
  });
});
