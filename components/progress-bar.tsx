/**
 * The one progress bar of the studio, the Datasets page and the Train page: a thin track with its
 * ARIA role and values, in a colour that says how the work stands.
 */
const TONES = {
  working: 'bg-emerald-400',
  paused: 'bg-amber-400',
  stopped: 'bg-neutral-500',
  failed: 'bg-rose-400',
} as const;

export type ProgressTone = keyof typeof TONES;

export interface ProgressBarProps {
  testId: string;
  /** What is progressing, for screen readers ("Training progress"). */
  label: string;
  /** How far, out of `max`; null while the amount is not known yet (a pulsing bar). */
  value: number | null;
  max?: number;
  /** The value in words ("120 of 400 steps"), when a bare number would not say it. */
  valueText?: string;
  tone?: ProgressTone;
  /** Height and spacing classes of the track. */
  className?: string;
}

export function ProgressBar({
  testId,
  label,
  value,
  max = 100,
  valueText,
  tone = 'working',
  className = 'h-2',
}: ProgressBarProps) {
  const percent = value === null ? null : Math.min(100, (100 * value) / Math.max(1, max));
  return (
    <div
      data-testid={testId}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={max}
      aria-valuenow={value === null ? 0 : Math.round(value)}
      aria-valuetext={valueText}
      className={`overflow-hidden rounded-full bg-neutral-800 ${className}`}
    >
      <div
        className={`h-full rounded-full transition-[width] duration-200 ${TONES[tone]} ${percent === null ? 'w-1/4 animate-pulse' : ''}`}
        style={percent === null ? undefined : { width: `${percent}%` }}
      />
    </div>
  );
}
