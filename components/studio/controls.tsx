'use client';
/** Small form controls of the studio sidebar, styled once. */
import type { ReactNode } from 'react';

export function Field({ label, hint, children }: { label: string; hint?: ReactNode; children: ReactNode }) {
  return (
    <label className="block">
      <span className="flex items-baseline justify-between text-xs font-medium uppercase tracking-wider text-neutral-400">
        {label}
        {hint && <span className="font-normal normal-case tracking-normal text-neutral-500">{hint}</span>}
      </span>
      <div className="mt-1.5">{children}</div>
    </label>
  );
}

export const inputClass =
  'w-full rounded-md border border-neutral-800 bg-neutral-900 px-3 py-2 text-sm text-neutral-100 tabular-nums outline-none transition focus:border-emerald-500/70 focus:ring-2 focus:ring-emerald-500/20 disabled:opacity-50';

export function Slider(props: {
  value: number;
  min: number;
  max: number;
  step: number;
  onChange: (v: number) => void;
  disabled?: boolean;
  testId?: string;
  label: string;
}) {
  return (
    <input
      type="range"
      aria-label={props.label}
      data-testid={props.testId}
      className="w-full accent-emerald-400"
      value={props.value}
      min={props.min}
      max={props.max}
      step={props.step}
      disabled={props.disabled}
      onChange={(e) => props.onChange(Number(e.target.value))}
    />
  );
}

export function Button({
  variant = 'secondary',
  className = '',
  ...props
}: React.ButtonHTMLAttributes<HTMLButtonElement> & { variant?: 'primary' | 'secondary' | 'danger' }) {
  const styles = {
    primary: 'bg-emerald-500 text-neutral-950 hover:bg-emerald-400 disabled:bg-neutral-800 disabled:text-neutral-500',
    secondary:
      'border border-neutral-800 bg-neutral-900 text-neutral-200 hover:border-neutral-700 hover:bg-neutral-800 disabled:opacity-50',
    danger: 'border border-rose-500/40 bg-rose-500/10 text-rose-200 hover:bg-rose-500/20',
  }[variant];
  return (
    <button
      type="button"
      className={`inline-flex items-center justify-center gap-2 rounded-md px-3 py-2 text-sm font-medium transition disabled:cursor-not-allowed ${styles} ${className}`}
      {...props}
    />
  );
}
