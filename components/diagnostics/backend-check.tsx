'use client';

import { useEffect, useState } from 'react';
import { type AvoidList, backendsToAvoid, saveBackendCheck } from '@/lib/runtime/backend-checks';
import { backendCheckRecord, runBackendCheckInWorker } from '@/lib/runtime/diagnostics-client';
import type { BackendCheckRow } from '@/lib/runtime/diagnostics-protocol';

export function BackendCheck() {
  const [rows, setRows] = useState<BackendCheckRow[]>([]);
  const [running, setRunning] = useState(false);
  /** What automatic selection skips after the last check (saved for the studio and the Train page). */
  const [avoid, setAvoid] = useState<AvoidList | null>(null);
  // Enabled once hydrated, so an early click is not lost.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);

  async function run() {
    setRunning(true);
    const out: BackendCheckRow[] = [];
    try {
      await runBackendCheckInWorker((row) => {
        out.push(row);
        setRows([...out]);
      });
      const record = backendCheckRecord(out, new Date());
      saveBackendCheck(record);
      setAvoid(backendsToAvoid(record));
    } finally {
      setRunning(false);
    }
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
