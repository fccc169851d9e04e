/**
 * Backend selection as data (cf. transformers.js `backends/onnx.js`): an ordered list of
 * candidates, a frozen object of feature checks (injectable, so tests can describe any browser),
 * one function that walks the list. The first candidate whose check passes and which activates
 * wins; forcing a name skips the others and fails loudly with the valid options.
 *
 * A WebGPU adapter that is a software fallback (SwiftShader: `isFallbackAdapter`, or
 * `info.architecture === 'swiftshader'`) is correct but far slower than WASM on the same CPU, so
 * `auto` passes over it; forcing `webgpu` still uses it.
 */
import type { AvoidList } from './backend-checks';
import { BackendUnavailableError, type BackendName, WebGpuUnavailableError } from './errors';

export { BackendUnavailableError, type BackendName } from './errors';

export interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  description?: string;
  /** A software (CPU) implementation of WebGPU. */
  isFallback: boolean;
}

/** What the browser can do. Each check is cheap and side-effect free. */
export interface FeatureChecks {
  /** The WebGPU adapter, or null when `navigator.gpu` is missing or yields none. */
  webgpuAdapter(): Promise<AdapterInfo | null>;
  /** SharedArrayBuffer is usable (COOP/COEP): WASM can run threads. */
  isCrossOriginIsolated(): boolean;
  /** WebAssembly exists at all. */
  hasWasm(): boolean;
  /** WebAssembly fixed-width SIMD validates. */
  hasWasmSimd(): boolean;
  /** A WebGL2 context can be created (in a worker: on an OffscreenCanvas). */
  hasWebgl2(): boolean;
}

export interface BackendChoice {
  name: BackendName;
  /** Why this backend: shown to the user as is. */
  reason: string;
  adapterInfo?: AdapterInfo;
  /** WASM only: threads in use (1 when not cross-origin isolated). */
  threads?: number;
}

interface Verdict {
  ok: boolean;
  /** Why it can or cannot run, in words for the user. */
  why: string;
  adapterInfo?: AdapterInfo;
}

export interface BackendCandidate {
  name: BackendName;
  label: string;
  /** Can it run here? `forced` lets a fallback adapter through. */
  check(checks: FeatureChecks, forced: boolean): Promise<Verdict>;
}

// The smallest valid module using a v128 instruction (i32x4.splat); `WebAssembly.validate` says whether SIMD is on.
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

function describeAdapter(a: AdapterInfo): string {
  return [a.vendor, a.architecture, a.description].filter(Boolean).join(' ') || 'unknown adapter';
}

/** The checks of the running browser (window or worker). */
export const BROWSER_CHECKS: FeatureChecks = Object.freeze({
  async webgpuAdapter() {
    const gpu = (globalThis.navigator as (Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }) | undefined)
      ?.gpu;
    if (!gpu) return null;
    const adapter = (await gpu.requestAdapter().catch(() => null)) as {
      isFallbackAdapter?: boolean;
      info?: { vendor?: string; architecture?: string; description?: string; isFallbackAdapter?: boolean };
    } | null;
    if (!adapter) return null;
    const info = adapter.info ?? {};
    return {
      vendor: info.vendor,
      architecture: info.architecture,
      description: info.description,
      // The flag moved from the adapter to GPUAdapterInfo in newer browsers: read both, and the name.
      isFallback:
        info.isFallbackAdapter === true ||
        adapter.isFallbackAdapter === true ||
        /swiftshader/i.test(`${info.architecture} ${info.vendor} ${info.description}`),
    };
  },
  isCrossOriginIsolated: () => globalThis.crossOriginIsolated === true,
  hasWasm: () => typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function',
  hasWasmSimd() {
    try {
      return typeof WebAssembly === 'object' && WebAssembly.validate(SIMD_PROBE);
    } catch {
      return false;
    }
  },
  hasWebgl2() {
    try {
      const canvas =
        typeof OffscreenCanvas !== 'undefined'
          ? new OffscreenCanvas(1, 1)
          : (globalThis.document?.createElement('canvas') ?? null);
      return !!canvas?.getContext('webgl2');
    } catch {
      return false;
    }
  },
});

/** In order of preference. */
export const BACKENDS: readonly BackendCandidate[] = Object.freeze([
  {
    name: 'webgpu',
    label: 'WebGPU',
    async check(checks, forced) {
      const adapter = await checks.webgpuAdapter();
      if (!adapter) return { ok: false, why: 'no WebGPU adapter' };
      if (adapter.isFallback && !forced) {
        return {
          ok: false,
          why: `WebGPU adapter is a CPU fallback (${describeAdapter(adapter)}), slower than WebAssembly`,
          adapterInfo: adapter,
        };
      }
      return {
        ok: true,
        why: adapter.isFallback
          ? `CPU fallback adapter (${describeAdapter(adapter)}): correct but slow`
          : `hardware WebGPU adapter (${describeAdapter(adapter)})`,
        adapterInfo: adapter,
      };
    },
  },
  {
    name: 'wasm',
    label: 'WebAssembly',
    async check(checks) {
      if (!checks.hasWasm()) return { ok: false, why: 'no WebAssembly' };
      const simd = checks.hasWasmSimd();
      return {
        ok: true,
        why: `WebAssembly${simd ? ' + SIMD' : ' without SIMD'}${checks.isCrossOriginIsolated() ? '' : ' (page not cross-origin isolated: no threads)'}`,
      };
    },
  },
  {
    name: 'webgl',
    label: 'WebGL',
    async check(checks) {
      return checks.hasWebgl2() ? { ok: true, why: 'WebGL2 context' } : { ok: false, why: 'no WebGL2 context' };
    },
  },
  {
    name: 'cpu',
    label: 'CPU (plain JavaScript)',
    async check() {
      return { ok: true, why: 'plain JavaScript, always available (slowest)' };
    },
  },
] satisfies BackendCandidate[]);

export const BACKEND_NAMES: readonly BackendName[] = BACKENDS.map((b) => b.name);

export function isBackendName(name: string): name is BackendName {
  return (BACKEND_NAMES as readonly string[]).includes(name);
}

/** Makes `name` the active tfjs backend and warms it up; throws if it fails to initialise. */
export type Activate = (name: BackendName, choice: BackendChoice) => Promise<Partial<BackendChoice> | void>;

export interface SelectOptions {
  /** Use this backend or fail; omit (or 'auto') to pick the best that works. */
  force?: BackendName | 'auto';
  checks?: FeatureChecks;
  /** Defaults to tfjs activation (`activateTfjsBackend`); tests pass a stub. */
  activate?: Activate;
  /** Backends automatic selection skips, each with its reason (backend-checks.ts: what /diagnostics found wrong here); a forced one still runs. */
  avoid?: AvoidList;
}

/**
 * Picks, activates and warms up a backend.
 * @throws BackendUnavailableError when a forced backend (or every candidate) cannot run,
 *   WebGpuUnavailableError when `webgpu` is forced without an adapter.
 */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendChoice> {
  const checks = opts.checks ?? BROWSER_CHECKS;
  const activate = opts.activate ?? activateTfjsBackend;
  const force = opts.force === 'auto' ? undefined : opts.force;
  if (force !== undefined && !isBackendName(force)) {
    throw new BackendUnavailableError(force, 'no such backend', await availableBackends(checks));
  }
  const candidates = force ? BACKENDS.filter((b) => b.name === force) : BACKENDS;
  const passed: string[] = [];
  for (const candidate of candidates) {
    const avoided = force ? undefined : opts.avoid?.[candidate.name];
    if (avoided) {
      passed.push(`${candidate.label}: ${avoided}`);
      continue;
    }
    const verdict = await candidate.check(checks, force !== undefined);
    if (!verdict.ok) {
      if (force === 'webgpu') throw new WebGpuUnavailableError(verdict.why);
      if (force) throw new BackendUnavailableError(force, verdict.why, await availableBackends(checks));
      passed.push(`${candidate.label}: ${verdict.why}`);
      continue;
    }
    const choice: BackendChoice = {
      name: candidate.name,
      reason: force
        ? `forced: ${verdict.why}`
        : `auto: ${verdict.why}${passed.length ? `; skipped ${passed.join('; ')}` : ''}`,
      adapterInfo: verdict.adapterInfo,
    };
    try {
      return { ...choice, ...((await activate(candidate.name, choice)) ?? {}) };
    } catch (err) {
      const why = `failed to start (${err instanceof Error ? err.message : String(err)})`;
      if (force) throw new BackendUnavailableError(force, why, await availableBackends(checks));
      passed.push(`${candidate.label}: ${why}`);
    }
  }
  throw new BackendUnavailableError('auto', `nothing could run (${passed.join('; ')})`, []);
}

/** Backends whose checks pass when forced: what a user may pick here. */
export async function availableBackends(checks: FeatureChecks = BROWSER_CHECKS): Promise<BackendName[]> {
  const out: BackendName[] = [];
  for (const b of BACKENDS) if ((await b.check(checks, true)).ok) out.push(b.name);
  return out;
}

/** tfjs-backend-webgpu's `MatMulProgramType.MatMulPackedProgram` (not exported by the package). */
const MATMUL_PACKED_PROGRAM = 3;

/**
 * tfjs activation: imports the backend module (registering it), sets it, and warms it up with a
 * small matmul so the first real step does not pay for kernel or shader compilation.
 */
export const activateTfjsBackend: Activate = async (name, choice) => {
  const tf = await import('@/lib/reformer/tf');
  let threads: number | undefined;
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const { isBrowser, tfjsWasmFiles } = await import('./wasm-paths');
    if (isBrowser) {
      wasm.setWasmPaths(tfjsWasmFiles());
      // tfjs starts its pthreads from a blob script that expects a classic (non-module) worker
      // global and fails inside a bundled module worker ("r is not defined"); run single-threaded.
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
  } else if (name === 'webgpu') {
    await import('@tensorflow/tfjs-backend-webgpu');
    // tfjs picks MatMulReduceProgram for tiny outputs (a decode step at batch 1: [1, d]·[d, 2d]);
    // on SwiftShader its workgroup barriers make a decode step many times slower than the tiled
    // program (bench:generate measures both). Hardware adapters keep tfjs's own heuristic.
    if (choice.adapterInfo?.isFallback) tf.env().set('WEBGPU_MATMUL_PROGRAM_TYPE', MATMUL_PACKED_PROGRAM);
  }
  if (!(await tf.setBackend(name))) throw new Error(`tf.setBackend('${name}') returned false`);
  await tf.ready();
  let kernels = '';
  if (name === 'wasm') {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    threads = wasm.getThreadsCount();
    const { simdKernelsActive } = await import('@/lib/reformer/kernels/simd');
    if (simdKernelsActive()) kernels = ', SIMD attention kernels';
  }
  const warm = tf.tidy(() => tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).sum());
  await warm.data();
  warm.dispose();
  if (threads !== undefined)
    return { threads, reason: `${choice.reason}, ${threads} thread${threads === 1 ? '' : 's'}${kernels}` };
};
