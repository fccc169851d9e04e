'use client';

import { useState } from 'react';
import { formatBytes } from '@/lib/format';
import { validationScope } from '@/lib/models/card';
import { deleteModel, type ShippedModel } from './model-api';

/** Models published to this server (GET /api/models), newest first. */
export function ModelList({
  models,
  highlight,
  error,
  onDeleted,
}: {
  models: ShippedModel[] | null;
  highlight?: string;
  error?: string;
  onDeleted: (id: string) => void;
}) {
  return (
    <section aria-labelledby="published-models" className="mt-10">
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <h2 id="published-models" className="text-lg font-semibold tracking-tight">
          Published models
        </h2>
        <span className="text-xs text-neutral-500">Stored on this server; anyone using the studio can load them.</span>
      </div>
      {error && <p className="rounded-lg border border-red-500/40 bg-red-500/10 p-3 text-sm text-red-200">{error}</p>}
      {models === null && !error && <p className="text-sm text-neutral-500">Loading…</p>}
      {models?.length === 0 && (
        <p className="rounded-xl border border-dashed border-neutral-800 p-6 text-center text-sm text-neutral-500">
          Nothing published yet. Train a model, then press Publish.
        </p>
      )}
      {models && models.length > 0 && (
        <ul className="divide-y divide-neutral-800 overflow-hidden rounded-xl border border-neutral-800 bg-neutral-900/60">
          {models.map((m) => (
            <ModelRow key={m.card.id} model={m} fresh={m.card.id === highlight} onDeleted={onDeleted} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ModelRow({
  model,
  fresh,
  onDeleted,
}: {
  model: ShippedModel;
  fresh: boolean;
  onDeleted: (id: string) => void;
}) {
  const { card } = model;
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const remove = async () => {
    if (!window.confirm(`Delete the published model “${card.name}”? This cannot be undone.`)) return;
    setBusy(true);
    try {
      await deleteModel(card.id);
      onDeleted(card.id);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <li
      data-testid="model-list-item"
      data-model-id={card.id}
      className={`flex flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 text-sm transition-colors ${fresh ? 'bg-emerald-500/10' : ''}`}
    >
      <div className="min-w-0 flex-1">
        <p className="truncate font-medium text-neutral-100" title={card.name}>
          {card.name}
          {fresh && (
            <span className="ml-2 rounded-full bg-emerald-500/20 px-2 py-0.5 text-[11px] text-emerald-300">
              just published
            </span>
          )}
        </p>
        <p className="truncate font-mono text-xs text-neutral-500">{card.id}</p>
      </div>
      <dl className="flex gap-6 text-xs">
        <Fact label="Dataset" value={`${card.dataset.name} · ${card.dataset.width}×${card.dataset.height}`} />
        <Fact label="Preset" value={card.preset} />
        <Fact
          label="Steps"
          value={card.steps.toLocaleString()}
          title={
            card.initialisedFrom?.length
              ? `Counting the runs it started from: ${card.initialisedFrom.map((r) => `${r.id} (to step ${r.steps.toLocaleString()})`).join(', then ')}`
              : undefined
          }
        />
        <Fact
          label="Val bits/dim"
          value={card.validationBitsPerDim?.toFixed(3) ?? '—'}
          title={`Bits per sub-pixel ${validationScope(card)}`}
        />
        <Fact label="Size" value={formatBytes(model.bytes)} />
      </dl>
      <button
        type="button"
        onClick={remove}
        disabled={busy}
        className="rounded-md px-2 py-1 text-xs text-neutral-400 hover:bg-red-500/10 hover:text-red-300 disabled:opacity-50"
      >
        {busy ? 'Deleting…' : 'Delete'}
      </button>
      {error && <p className="w-full text-xs text-red-300">{error}</p>}
    </li>
  );
}

function Fact({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div title={title}>
      <dt className="text-neutral-500">{label}</dt>
      <dd className="font-mono tabular-nums text-neutral-200">{value}</dd>
    </div>
  );
}
