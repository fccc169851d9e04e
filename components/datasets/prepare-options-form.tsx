'use client';

import { useId } from 'react';
import type { PrepareOptions } from '@/lib/api/datasets';
import { PALETTE_MAX, PALETTE_MIN, SIZE_MAX, SIZE_MIN, VALIDATION_MAX } from './prepare-options';

const inputClass =
  'w-full rounded-md border border-neutral-700 bg-neutral-950 px-2.5 py-1.5 text-sm text-neutral-100 outline-none focus:border-emerald-500 focus:ring-1 focus:ring-emerald-500 disabled:opacity-50';

/** Controlled form for the preparation options; the parent owns the value. */
export function PrepareOptionsForm({
  value,
  onChange,
  square,
  onSquareChange,
  disabled,
}: {
  value: PrepareOptions;
  onChange: (next: PrepareOptions) => void;
  square: boolean;
  onSquareChange: (square: boolean) => void;
  disabled: boolean;
}) {
  const set = <K extends keyof PrepareOptions>(key: K, v: PrepareOptions[K]) => onChange({ ...value, [key]: v });

  return (
    <fieldset disabled={disabled} className="grid grid-cols-2 gap-x-4 gap-y-3">
      <Field label="Name" className="col-span-2">
        <input
          data-testid="dataset-name"
          className={inputClass}
          value={value.name}
          maxLength={100}
          placeholder="e.g. smileys"
          onChange={(e) => set('name', e.target.value)}
        />
      </Field>

      <Field label={`Width (${SIZE_MIN}–${SIZE_MAX})`}>
        <NumberInput
          testId="dataset-width"
          min={SIZE_MIN}
          max={SIZE_MAX}
          value={value.width}
          onChange={(width) => onChange({ ...value, width, height: square ? width : value.height })}
        />
      </Field>
      <Field label={`Height (${SIZE_MIN}–${SIZE_MAX})`}>
        <NumberInput
          testId="dataset-height"
          min={SIZE_MIN}
          max={SIZE_MAX}
          disabled={square}
          value={value.height}
          onChange={(v) => set('height', v)}
        />
      </Field>
      <label className="col-span-2 -mt-1 flex items-center gap-2 text-xs text-neutral-400">
        <input
          type="checkbox"
          checked={square}
          className="accent-emerald-500"
          onChange={(e) => {
            onSquareChange(e.target.checked);
            if (e.target.checked) onChange({ ...value, height: value.width });
          }}
        />
        Square (height follows width)
      </label>

      <FieldGroup label="Fit">
        <Segmented
          name="fit"
          value={value.fit}
          options={[
            { value: 'contain', label: 'Contain' },
            { value: 'cover', label: 'Cover' },
          ]}
          onChange={(v) => set('fit', v)}
        />
      </FieldGroup>
      <FieldGroup label="Background">
        <div className="flex items-center gap-2">
          <input
            type="color"
            aria-label="Background colour"
            value={/^#[0-9a-f]{6}$/i.test(value.background) ? value.background : '#000000'}
            onChange={(e) => set('background', e.target.value)}
            className="h-8 w-10 shrink-0 cursor-pointer rounded border border-neutral-700 bg-neutral-950"
          />
          <input
            aria-label="Background hex"
            className={`${inputClass} font-mono`}
            value={value.background}
            maxLength={7}
            onChange={(e) => set('background', e.target.value)}
          />
        </div>
      </FieldGroup>

      <FieldGroup label="Tokenization">
        <Segmented
          name="tokenization"
          value={value.tokenization}
          options={[
            { value: 'rgb', label: 'RGB' },
            { value: 'palette', label: 'Palette' },
          ]}
          onChange={(v) => set('tokenization', v)}
        />
      </FieldGroup>
      {value.tokenization === 'palette' ? (
        <Field label={`Palette size (${PALETTE_MIN}–${PALETTE_MAX})`}>
          <NumberInput
            testId="dataset-palette-size"
            min={PALETTE_MIN}
            max={PALETTE_MAX}
            value={value.paletteSize}
            onChange={(v) => set('paletteSize', v)}
          />
        </Field>
      ) : (
        <p className="self-end pb-2 text-xs text-neutral-500">One token per channel value.</p>
      )}

      <Field label={`Validation fraction (0–${VALIDATION_MAX})`}>
        <NumberInput
          min={0}
          max={VALIDATION_MAX}
          step={0.05}
          value={value.validationFraction}
          onChange={(v) => set('validationFraction', v)}
        />
      </Field>
      <Field label="Seed">
        <NumberInput min={0} value={value.seed} onChange={(v) => set('seed', v)} />
      </Field>
    </fieldset>
  );
}

/** An emptied box becomes NaN, which optionProblems reports instead of silently sending 0. */
function NumberInput({
  value,
  onChange,
  min,
  max,
  step = 1,
  disabled,
  testId,
}: {
  value: number;
  onChange: (v: number) => void;
  min: number;
  max?: number;
  step?: number;
  disabled?: boolean;
  testId?: string;
}) {
  return (
    <input
      data-testid={testId}
      type="number"
      min={min}
      max={max}
      step={step}
      disabled={disabled}
      className={inputClass}
      value={Number.isNaN(value) ? '' : value}
      onChange={(e) => onChange(e.target.value.trim() === '' ? Number.NaN : Number(e.target.value))}
    />
  );
}

function Field({ label, className = '', children }: { label: string; className?: string; children: React.ReactNode }) {
  return (
    <label className={`flex flex-col gap-1 ${className}`}>
      <span className="text-xs font-medium text-neutral-400">{label}</span>
      {children}
    </label>
  );
}

/** A labelled group of several controls (a label element may hold only one). */
function FieldGroup({ label, children }: { label: string; children: React.ReactNode }) {
  const id = useId();
  return (
    <div role="group" aria-labelledby={id} className="flex flex-col gap-1">
      <span id={id} className="text-xs font-medium text-neutral-400">
        {label}
      </span>
      {children}
    </div>
  );
}

function Segmented<T extends string>({
  name,
  value,
  options,
  onChange,
}: {
  name: string;
  value: T;
  options: { value: T; label: string }[];
  onChange: (v: T) => void;
}) {
  return (
    <div role="radiogroup" className="flex rounded-md border border-neutral-700 p-0.5">
      {options.map((o) => (
        <label
          key={o.value}
          className={`flex-1 cursor-pointer rounded px-2 py-1 text-center text-sm transition-colors has-[:focus-visible]:ring-1 has-[:focus-visible]:ring-emerald-500 ${
            value === o.value ? 'bg-neutral-700 text-white' : 'text-neutral-400 hover:text-neutral-200'
          }`}
        >
          <input
            type="radio"
            name={name}
            value={o.value}
            checked={value === o.value}
            onChange={() => onChange(o.value)}
            className="sr-only"
          />
          {o.label}
        </label>
      ))}
    </div>
  );
}
