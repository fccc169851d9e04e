'use client';

import { useCallback, useEffect, useState } from 'react';
import { listDatasets, type DatasetSummary } from '@/lib/api/datasets';
import { DatasetCard } from './dataset-card';
import { DatasetUpload } from './dataset-upload';
import type { UploadLimits } from './prepare-options';

/** The datasets page's interactive part: the upload panel beside the list it refreshes. */
export function DatasetLibrary({ limits }: { limits: UploadLimits }) {
  const [datasets, setDatasets] = useState<DatasetSummary[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const refresh = useCallback(async (signal?: AbortSignal) => {
    try {
      setDatasets(await listDatasets(signal));
      setError(null);
    } catch (e) {
      if (signal?.aborted) return;
      setError(e instanceof Error ? e.message : String(e));
    }
  }, []);

  useEffect(() => {
    const controller = new AbortController();
    void refresh(controller.signal);
    return () => controller.abort();
  }, [refresh]);

  function removed(id: string) {
    setDatasets((list) => list?.filter((d) => d.id !== id) ?? null);
    void refresh();
  }

  return (
    <div className="grid items-start gap-8 lg:grid-cols-[minmax(0,400px)_minmax(0,1fr)]">
      <DatasetUpload onChanged={() => void refresh()} limits={limits} />

      <section aria-labelledby="library-heading" className="space-y-4">
        <div className="flex items-baseline justify-between">
          <h2 id="library-heading" className="text-base font-semibold">
            Your datasets
          </h2>
          {datasets && <span className="text-xs text-neutral-500">{datasets.length} total</span>}
        </div>

        {error && (
          <div
            role="alert"
            className="flex items-center justify-between rounded-lg border border-red-500/40 bg-red-500/10 px-3 py-2 text-sm text-red-300"
          >
            <span>Could not load datasets: {error}</span>
            <button type="button" onClick={() => void refresh()} className="text-xs underline underline-offset-2">
              Retry
            </button>
          </div>
        )}

        {datasets === null && !error && (
          <div className="grid gap-4 sm:grid-cols-2" aria-busy="true" aria-label="Loading datasets">
            {[0, 1].map((i) => (
              <div key={i} className="h-72 animate-pulse rounded-xl border border-neutral-800 bg-neutral-900/60" />
            ))}
          </div>
        )}

        {datasets?.length === 0 && (
          <p className="rounded-xl border border-dashed border-neutral-800 px-4 py-10 text-center text-sm text-neutral-500">
            No datasets yet. Upload some images to prepare your first one.
          </p>
        )}

        {datasets && datasets.length > 0 && (
          <div className="grid gap-4 sm:grid-cols-2" data-testid="dataset-list">
            {datasets.map((d) => (
              <DatasetCard key={d.id} dataset={d} onDeleted={removed} />
            ))}
          </div>
        )}
      </section>
    </div>
  );
}
