'use client';
/** The model section of the studio: the model select, its card, load progress and load errors. */
import { validationScope } from '@/lib/models/card';
import type { LoadedModel, LoadProgress } from '@/lib/runtime/protocol';
import { formatBytes } from '@/lib/format';
import { Button, Field, inputClass } from './controls';
import type { ModelEntry } from './use-engine';

export function ModelPicker({
  models,
  model,
  loaded,
  loadProgress,
  modelsError,
  loadError,
  missingModel,
  disabled,
  onChoose,
  onRetry,
}: {
  models: ModelEntry[] | null;
  model: ModelEntry | undefined;
  loaded: LoadedModel | null;
  loadProgress: LoadProgress | null;
  modelsError: string | null;
  loadError: string | null;
  /** The id a Remix link asked for when no such model is here. */
  missingModel: string | null;
  disabled: boolean;
  onChoose: (key: string) => void;
  onRetry: () => void;
}) {
  return (
    <section className="space-y-4 rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
      <Field label="Model">
        <select
          data-testid="model-select"
          className={inputClass}
          value={model?.key ?? ''}
          onChange={(e) => onChoose(e.target.value)}
          disabled={disabled || !models?.length}
        >
          {models === null && <option>Loading models…</option>}
          {models?.length === 0 && <option>No models published yet</option>}
          {models?.map((m) => (
            <option key={m.key} value={m.key}>
              {m.card.name}
              {m.origin === 'local' ? ' (in this browser)' : m.origin === 'trained' ? ' (trained here)' : ''}
            </option>
          ))}
        </select>
      </Field>
      {model && <ModelCard model={model} loaded={loaded} />}
      {loadProgress && <LoadBar progress={loadProgress} />}
      {modelsError && <p className="text-xs text-rose-300">{modelsError}</p>}
      {missingModel && model && (
        <p role="status" data-testid="remix-model-missing" className="text-xs text-amber-300">
          This recipe&apos;s model “{missingModel}” is not available here, so {model.card.name} is selected instead: the
          same seed will draw a different image.
        </p>
      )}
      {loadError && (
        <div className="flex items-start gap-2 text-xs text-rose-300" role="alert">
          <p className="flex-1">{loadError}</p>
          <Button data-testid="load-retry" className="px-2 py-0.5" onClick={onRetry}>
            Retry
          </Button>
        </div>
      )}
    </section>
  );
}

function ModelCard({ model, loaded }: { model: ModelEntry; loaded: LoadedModel | null }) {
  return (
    <dl
      className="grid grid-cols-3 gap-2 text-center"
      data-testid="model-card"
      data-loaded={loaded ? (loaded.fromCache ? 'cache' : 'network') : ''}
    >
      <Stat label="Resolution" value={`${model.card.dataset.width}×${model.card.dataset.height}`} />
      <Stat
        label="Tokens"
        value={
          model.card.dataset.tokenization === 'rgb' ? 'RGB' : `${(model.card.dataset.palette?.length ?? 0) / 3} colours`
        }
      />
      <Stat
        label="Bits/dim"
        value={model.card.validationBitsPerDim?.toFixed(2) ?? '–'}
        title={`Bits per sub-pixel ${validationScope(model.card)}: lower is better`}
      />
      <p className="col-span-3 text-left text-xs text-neutral-500">
        {model.card.dataset.name} · {(model.card.parameters / 1000).toFixed(0)}k parameters ·{' '}
        {model.card.steps.toLocaleString()} steps
        {model.bytes ? ` · ${formatBytes(model.bytes)}` : ''}
        {loaded?.fromCache ? ' · cached in this browser' : ''}
      </p>
      {model.card.classes?.length ? (
        <p className="col-span-3 text-left text-xs text-neutral-500" data-testid="model-classes">
          Knows {model.card.classes.length} classes: {model.card.classes.join(', ')}; “Anything” draws from all of them.
        </p>
      ) : null}
    </dl>
  );
}

function Stat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="rounded-md bg-neutral-950/60 px-2 py-1.5" title={title}>
      <dt className="text-[10px] uppercase tracking-wider text-neutral-500">{label}</dt>
      <dd className="text-sm font-medium tabular-nums text-neutral-200">{value}</dd>
    </div>
  );
}

function LoadBar({ progress }: { progress: LoadProgress }) {
  const pct = progress.total ? Math.round((100 * (progress.loaded ?? 0)) / progress.total) : undefined;
  const label = { download: 'Downloading', cache: 'Reading from cache', build: 'Building', warmup: 'Warming up' }[
    progress.stage
  ];
  return (
    <div data-testid="model-loading" className="space-y-1">
      <div className="flex justify-between text-xs text-neutral-500">
        <span>{label}…</span>
        {progress.stage === 'download' && pct !== undefined && <span className="tabular-nums">{pct}%</span>}
      </div>
      <div className="h-1 overflow-hidden rounded-full bg-neutral-800">
        <div
          className="h-full bg-emerald-500/70 transition-[width]"
          style={{ width: `${progress.stage === 'download' ? (pct ?? 0) : 100}%` }}
        />
      </div>
    </div>
  );
}
