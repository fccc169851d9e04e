/** The Train page's small building blocks: a labelled field, a figure, the run's state badge. */
import type { Phase } from './train-run-reducer';

export const inputClass =
  'w-full rounded-md border border-neutral-700 bg-neutral-950 px-3 py-2 text-sm text-neutral-100 focus:border-emerald-500 focus:outline-none disabled:opacity-60';
export const secondaryButton =
  'rounded-md border border-neutral-700 px-4 py-1.5 text-sm text-neutral-200 hover:bg-neutral-800 disabled:cursor-not-allowed disabled:opacity-40';

export function Field({ label, hint, children }: { label: string; hint?: string; children: React.ReactNode }) {
  return (
    <label className="flex flex-col gap-1.5 text-xs font-medium text-neutral-400">
      {label}
      {children}
      {hint && <span className="font-normal text-neutral-500">{hint}</span>}
    </label>
  );
}

export function Stat({
  label,
  value,
  accent = 'text-neutral-100',
  title,
  testId,
}: {
  label: string;
  value: string;
  accent?: string;
  title?: string;
  testId?: string;
}) {
  return (
    <div className="rounded-lg bg-neutral-950/60 px-3 py-2" title={title} data-testid={testId}>
      <dt className="text-[11px] uppercase tracking-wide text-neutral-500">{label}</dt>
      <dd className={`font-mono text-base tabular-nums ${accent}`}>{value}</dd>
    </div>
  );
}

const BADGES: Record<Phase, [string, string]> = {
  idle: ['Idle', 'border-neutral-700 text-neutral-400'],
  loading: ['Loading', 'border-sky-500/40 text-sky-300'],
  running: ['Training', 'border-emerald-500/40 bg-emerald-500/10 text-emerald-300'],
  paused: ['Paused', 'border-amber-500/40 bg-amber-500/10 text-amber-300'],
  stopped: ['Stopped', 'border-neutral-600 text-neutral-300'],
  done: ['Finished', 'border-emerald-500/40 text-emerald-300'],
  error: ['Failed', 'border-red-500/40 text-red-300'],
};

export function StateBadge({ phase }: { phase: Phase }) {
  const [label, cls] = BADGES[phase];
  return (
    <span
      data-testid="train-state"
      data-state={phase}
      className={`flex items-center gap-1.5 rounded-full border px-2.5 py-1 text-xs font-medium ${cls}`}
    >
      {phase === 'running' && <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-400" />}
      {label}
    </span>
  );
}
