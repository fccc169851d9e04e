'use client';

import { useState } from 'react';
import { reportSample } from './sample-api';

/** One report hides a sample from the gallery and its permalink until someone reviews it. */
export function ReportSampleButton({ id }: { id: string }) {
  const [state, setState] = useState<'idle' | 'confirming' | 'reporting' | 'reported'>('idle');
  const [error, setError] = useState<string | null>(null);

  async function confirmReport() {
    setState('reporting');
    setError(null);
    try {
      await reportSample(id);
      setState('reported');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setState('idle');
    }
  }

  if (state === 'reported') {
    return (
      <p data-testid="sample-reported" className="text-xs text-neutral-400">
        Thanks. The sample is hidden until it has been reviewed.
      </p>
    );
  }
  if (state === 'idle') {
    return (
      <div className="text-xs">
        <button type="button" data-testid="sample-report" onClick={() => setState('confirming')} className="text-neutral-500 underline-offset-4 hover:text-neutral-300 hover:underline">
          Report this sample
        </button>
        {error && (
          <p role="alert" className="mt-1 text-red-400">
            {error}
          </p>
        )}
      </div>
    );
  }
  return (
    <div className="flex flex-wrap items-center gap-2 text-xs" role="group" aria-label="Confirm reporting this sample">
      <span className="text-neutral-400">Hide it from everyone until it is reviewed?</span>
      <button type="button" onClick={() => setState('idle')} disabled={state === 'reporting'} className="rounded-md px-2 py-1 text-neutral-300 hover:bg-neutral-800 disabled:opacity-50">
        Cancel
      </button>
      <button
        type="button"
        data-testid="sample-report-confirm"
        onClick={confirmReport}
        disabled={state === 'reporting'}
        className="rounded-md bg-amber-600 px-3 py-1 font-medium text-white hover:bg-amber-500 disabled:opacity-50"
      >
        {state === 'reporting' ? 'Reporting…' : 'Report'}
      </button>
    </div>
  );
}
