import type { DatasetSummary } from '@/lib/api/datasets';
import { DatasetClasses } from './dataset-classes';
import { ProgressBar } from '@/components/progress-bar';

export type FileOutcome = { name: string; status: 'accepted' | 'skipped'; reason?: string };

/** Progress bar fed by streamed events; `percent` null means bytes are still uploading. */
export function PrepareProgressBar({ percent, label }: { percent: number | null; label: string }) {
  return (
    <div className="space-y-1.5">
      <div className="flex justify-between text-xs text-neutral-400">
        <span className="truncate">{label}</span>
        <span className="font-mono tabular-nums">{percent === null ? '' : `${Math.round(percent)}%`}</span>
      </div>
      <ProgressBar testId="dataset-progress" label="Preparation progress" value={percent} />
    </div>
  );
}

/** Accepted rows shown at most; thousands of identical "accepted" rows would only slow the stream down. */
const ACCEPTED_ROWS_SHOWN = 100;

/** Skipped files first: with hundreds of uploads, the few that need attention must not be buried. */
export function FileOutcomeList({ outcomes }: { outcomes: FileOutcome[] }) {
  if (outcomes.length === 0) return null;
  const skipped = outcomes.filter((o) => o.status === 'skipped');
  const accepted = outcomes.filter((o) => o.status === 'accepted');
  const hiddenAccepted = Math.max(0, accepted.length - ACCEPTED_ROWS_SHOWN);
  return (
    <div className="space-y-1.5">
      <p className="text-xs text-neutral-400">
        <span className="text-emerald-400">{accepted.length} accepted</span>
        {' · '}
        <span className={skipped.length ? 'text-red-400' : ''}>{skipped.length} skipped</span>
      </p>
      <ul
        aria-label="Files"
        className="max-h-56 divide-y divide-neutral-800 overflow-y-auto rounded-lg border border-neutral-800 text-xs"
      >
        {skipped.map((o, i) => (
          <FileOutcomeRow key={`s${i}`} outcome={o} />
        ))}
        {hiddenAccepted > 0 && (
          <li className="px-3 py-1.5 text-neutral-500">{hiddenAccepted} earlier accepted files not listed</li>
        )}
        {accepted.slice(hiddenAccepted).map((o, i) => (
          <FileOutcomeRow key={`a${hiddenAccepted + i}`} outcome={o} />
        ))}
      </ul>
    </div>
  );
}

function FileOutcomeRow({ outcome: o }: { outcome: FileOutcome }) {
  const ok = o.status === 'accepted';
  return (
    <li data-testid="dataset-file-row" data-status={o.status} className="px-3 py-1.5">
      <div className="flex items-center gap-2">
        <span
          aria-hidden="true"
          className={`inline-block size-2 shrink-0 rounded-full ${ok ? 'bg-emerald-500' : 'bg-red-500'}`}
        />
        <span className="min-w-0 truncate text-neutral-200" title={o.name}>
          {o.name}
        </span>
        <span className={`ml-auto shrink-0 ${ok ? 'text-emerald-400' : 'text-red-400'}`}>{o.status}</span>
      </div>
      {o.status === 'skipped' && o.reason && (
        <p data-testid="dataset-file-reason" className="mt-0.5 pl-4 text-red-400">
          {o.reason}
        </p>
      )}
    </li>
  );
}

export function PrepareSummary({ dataset }: { dataset: DatasetSummary }) {
  const { counts } = dataset;
  return (
    <section aria-label="Result" className="space-y-3 rounded-lg border border-emerald-500/30 bg-emerald-500/5 p-4">
      <p className="text-sm text-neutral-200">
        Prepared <span className="font-medium text-white">{dataset.name}</span>: {dataset.width}×{dataset.height},{' '}
        {dataset.tokenization === 'palette' ? `${dataset.paletteSize ?? '?'}-colour palette` : 'RGB'}.
      </p>
      <dl className="grid grid-cols-4 gap-2 text-center text-xs">
        {(
          [
            ['Accepted', counts.accepted],
            ['Skipped', counts.skipped],
            ['Train', counts.train],
            ['Validation', counts.validation],
          ] as const
        ).map(([label, n]) => (
          <div key={label} className="rounded-md bg-neutral-900 py-2">
            <dd className="font-mono text-lg text-white tabular-nums">{n}</dd>
            <dt className="text-neutral-500">{label}</dt>
          </div>
        ))}
      </dl>
      {dataset.classes && <DatasetClasses classes={dataset.classes} />}
      <div className="flex h-56 justify-center rounded-md bg-[repeating-conic-gradient(#262626_0%_25%,#1c1c1c_0%_50%)] bg-[length:16px_16px] p-3">
        {/* A plain img: the optimizer would resample the sheet, and it must stay pixel-exact. */}
        <img
          data-testid="dataset-preview"
          src={dataset.previewUrl}
          alt={`Preview sheet of ${dataset.name}`}
          className="pixelated h-full w-full object-contain"
        />
      </div>
    </section>
  );
}
