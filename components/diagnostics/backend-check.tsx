'use client';

import { useEffect, useState } from 'react';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';
import { maxDifference, runSelfCheck, type SelfCheckResult } from '@/lib/reformer/selfcheck';
import * as tf from '@/lib/reformer/tf';
import { type AvoidList, backendsToAvoid, saveBackendCheck } from '@/lib/runtime/backend-checks';
import { activateTfjsBackend } from '@/lib/runtime/backends';

/** Every backend the studio can run on, the CPU reference first. */
const BACKENDS = ['cpu', 'wasm', 'webgl', 'webgpu'] as const;
const DETAIL: Record<(typeof BACKENDS)[number], string> = {
  cpu: 'reference (plain JavaScript)',
  wasm: 'WebAssembly',
  webgl: 'WebGL2',
  webgpu: '',
};

/** Sets `backend` as the studio does (WASM: its binaries and SIMD kernels); false when the browser lacks it. */
async function activate(backend: (typeof BACKENDS)[number]): Promise<{ ok: boolean; detail?: string }> {
  if (backend !== 'wasm') return { ok: await tf.setBackend(backend) };
  const chosen = await activateTfjsBackend('wasm', { name: 'wasm', reason: 'WebAssembly' });
  return { ok: true, detail: chosen?.reason };
}

interface Row {
  backend: string;
  status: 'ok' | 'unavailable' | 'failed';
  detail: string;
  diff?: number;
  ms?: number;
}

/** The tolerance for float32 logits computed by different kernels (≈ 1e-6 relative, logits ~1). */
const TOLERANCE = 1e-3;

async function adapterDescription(): Promise<string> {
  const gpu = (navigator as Navigator & { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
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

export function BackendCheck() {
  const [rows, setRows] = useState<Row[]>([]);
  const [running, setRunning] = useState(false);
  /** What automatic selection skips after the last check (saved for the studio and the Train page). */
  const [avoid, setAvoid] = useState<AvoidList | null>(null);
  // Enabled once hydrated, so an early click is not lost.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  async function run() {
    setRunning(true);
    const out: Row[] = [];
    let reference: SelfCheckResult | undefined;
    for (const backend of BACKENDS) {
      try {
        const activated = await activate(backend);
        let detail = activated.detail ?? DETAIL[backend];
        if (!activated.ok) {
          if (backend === 'webgpu') detail = await adapterDescription();
          out.push({ backend, status: 'unavailable', detail });
          setRows([...out]);
          continue;
        }
        await tf.ready();
        const result = await runSelfCheck();
        if (backend === 'webgpu') detail = await adapterDescription();
        reference ??= result;
        const diff = maxDifference(result, reference);
        out.push({ backend, status: diff <= TOLERANCE ? 'ok' : 'failed', detail, diff, ms: result.ms });
      } catch (e) {
        out.push({ backend, status: 'failed', detail: e instanceof Error ? e.message : String(e) });
      }
      setRows([...out]);
    }
    await tf.setBackend('cpu');
    const record = {
      checkedAt: new Date().toISOString(),
      results: Object.fromEntries(out.map((r) => [r.backend, { status: r.status, diff: r.diff, detail: r.detail }])),
    };
    saveBackendCheck(record);
    setAvoid(backendsToAvoid(record));
    setRunning(false);
  }

  return (
    <div className="space-y-4">
      <button
        type="button"
        data-testid="run-backend-check"
        onClick={run}
        disabled={!ready || running}
        className="rounded-md bg-indigo-500 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-400 disabled:opacity-50"
      >
        {running ? 'Checking…' : 'Run the check'}
      </button>
      {avoid && (
        <p data-testid="backend-check-saved" className="text-sm text-neutral-400">
          {Object.keys(avoid).length === 0
            ? 'Saved in this browser: every backend agreed, so the studio and the Train page choose among all of them.'
            : `Saved in this browser: the studio and the Train page will not choose ${Object.keys(avoid).join(', ')} by themselves (you can still force one). Run the check again to update this.`}
        </p>
      )}
      {rows.length > 0 && (
        <table className="w-full text-left text-sm">
          <thead className="text-neutral-400">
            <tr>
              <th className="py-2">Backend</th>
              <th>Result</th>
              <th>Max |Δ logit| vs cpu</th>
              <th>Time</th>
              <th>Details</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr
                key={r.backend}
                data-testid={`backend-row-${r.backend}`}
                data-status={r.status}
                data-diff={r.diff ?? ''}
                className="border-t border-neutral-800"
              >
                <td className="py-2 font-mono">{r.backend}</td>
                <td
                  className={
                    r.status === 'ok' ? 'text-emerald-400' : r.status === 'failed' ? 'text-red-400' : 'text-neutral-400'
                  }
                >
                  {r.status}
                </td>
                <td className="font-mono">{r.diff === undefined ? '—' : r.diff.toExponential(2)}</td>
                <td className="font-mono">{r.ms === undefined ? '—' : `${Math.round(r.ms)} ms`}</td>
                <td className="text-neutral-400">{r.detail}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
