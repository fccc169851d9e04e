'use client';

import { useState } from 'react';
import type { DatasetSummary } from '@/lib/api/datasets';
import { previewUrl } from '@/lib/pixels/manifest';
import { DatasetClasses } from './dataset-classes';
import { DeleteDatasetButton } from './delete-dataset-button';

export function DatasetCard({ dataset, onDeleted }: { dataset: DatasetSummary; onDeleted: (id: string) => void }) {
  const { counts } = dataset;
  /** The class whose contact sheet replaces the dataset's, when one is picked. */
  const [picked, setPicked] = useState<number | undefined>(undefined);
  const pickedName = picked === undefined ? undefined : dataset.classes?.[picked]?.name;
  return (
    <article
      data-testid="dataset-card"
      data-dataset-id={dataset.id}
      className="flex flex-col overflow-hidden rounded-xl border border-neutral-800 bg-neutral-900/60"
    >
      <div className="flex aspect-[16/9] items-center justify-center border-b border-neutral-800 bg-[repeating-conic-gradient(#262626_0%_25%,#1c1c1c_0%_50%)] bg-[length:16px_16px] p-3">
        {/* A plain img: the optimizer would resample the sheet, and it must stay pixel-exact. */}
        <img
          data-testid="dataset-card-preview"
          src={picked === undefined ? dataset.previewUrl : previewUrl(dataset.id, dataset.createdAt, picked)}
          alt={
            pickedName ? `Preview sheet of ${dataset.name}, class ${pickedName}` : `Preview sheet of ${dataset.name}`
          }
          loading="lazy"
          className="pixelated h-full w-full object-contain"
        />
      </div>
      <div className="flex flex-1 flex-col gap-3 p-4">
        <div className="flex items-start justify-between gap-2">
          <h3 className="truncate font-medium text-neutral-100" title={dataset.name}>
            {dataset.name}
          </h3>
          {dataset.builtin && (
            <span className="shrink-0 rounded-full border border-emerald-500/40 bg-emerald-500/10 px-2 py-0.5 text-[11px] font-medium text-emerald-300">
              Built-in
            </span>
          )}
        </div>
        <dl className="grid grid-cols-2 gap-x-4 gap-y-1 text-xs">
          <Fact label="Size" value={`${dataset.width}×${dataset.height}`} />
          <Fact
            label="Tokens"
            value={dataset.tokenization === 'palette' ? `palette ${dataset.paletteSize ?? '?'}` : 'RGB'}
          />
          <Fact label="Train" value={counts.train} />
          <Fact label="Validation" value={counts.validation} />
          <Fact label="Accepted" value={counts.accepted} />
          <Fact label="Skipped" value={counts.skipped} />
        </dl>
        {dataset.classes && <DatasetClasses classes={dataset.classes} picked={picked} onPick={setPicked} />}
        {!dataset.builtin && (
          <div className="mt-auto flex justify-end pt-1">
            <DeleteDatasetButton id={dataset.id} name={dataset.name} onDeleted={onDeleted} />
          </div>
        )}
      </div>
    </article>
  );
}

function Fact({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div className="flex justify-between gap-2 border-b border-neutral-800/70 py-1">
      <dt className="text-neutral-500">{label}</dt>
      <dd className="font-mono text-neutral-200 tabular-nums">{value}</dd>
    </div>
  );
}
