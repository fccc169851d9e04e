'use client';
/**
 * What to draw, for a class-conditional model: "Anything" (no class) or one of its classes, each
 * with example pictures when this server has its dataset, and the guidance toward the class.
 */
import { GUIDANCE } from '@/lib/samples/recipe';
import { Field, Slider } from './controls';
import type { ConditioningSettings } from './use-conditioning';

export function ClassPicker({
  settings,
  thumbnails,
  disabled,
}: {
  settings: ConditioningSettings;
  /** A contact-sheet URL per class, or null for names only. */
  thumbnails: string[] | null;
  disabled: boolean;
}) {
  const { classes, conditioning, chooseClass, changeGuidance } = settings;
  if (!classes?.length) return null;
  const { classId, guidance } = conditioning;
  return (
    <div className="space-y-4" data-testid="class-picker">
      <div>
        <span className="text-xs font-medium uppercase tracking-wider text-neutral-400">Draw</span>
        <div role="radiogroup" aria-label="Class" className="mt-1.5 grid grid-cols-2 gap-1.5">
          <ClassOption
            label="Anything"
            pictured={!!thumbnails}
            checked={classId === undefined}
            disabled={disabled}
            onPick={() => chooseClass(undefined)}
          />
          {classes.map((name, id) => (
            <ClassOption
              key={id}
              id={id}
              label={name}
              image={thumbnails?.[id]}
              pictured={!!thumbnails}
              checked={classId === id}
              disabled={disabled}
              onPick={() => chooseClass(id)}
            />
          ))}
        </div>
      </div>
      <Field
        label="Guidance"
        hint={
          classId === undefined ? 'pick a class' : guidance === 0 ? 'off' : `${guidance} · more typical, less varied`
        }
      >
        <Slider
          label="Guidance"
          testId="guidance-input"
          value={guidance}
          min={0}
          max={GUIDANCE.max}
          step={GUIDANCE.step}
          onChange={changeGuidance}
          disabled={disabled || classId === undefined}
        />
      </Field>
    </div>
  );
}

function ClassOption({
  id,
  label,
  image,
  pictured,
  checked,
  disabled,
  onPick,
}: {
  id?: number;
  label: string;
  image?: string;
  /** The options show pictures: one without its own gets a placeholder, so the grid stays even. */
  pictured: boolean;
  checked: boolean;
  disabled: boolean;
  onPick: () => void;
}) {
  return (
    <button
      type="button"
      role="radio"
      aria-checked={checked}
      data-testid="class-option"
      data-class-id={id ?? ''}
      disabled={disabled}
      onClick={onPick}
      title={label}
      className={`flex items-center gap-2 rounded-md border px-1.5 py-1 text-left text-xs transition disabled:cursor-not-allowed disabled:opacity-50 ${
        checked
          ? 'border-emerald-500/60 bg-emerald-500/10 text-emerald-100'
          : 'border-neutral-800 bg-neutral-900 text-neutral-300 hover:border-neutral-700'
      }`}
    >
      {image ? (
        // The class's whole contact sheet, small: a glance at what the class holds.
        <img src={image} alt="" loading="lazy" className="h-10 w-10 shrink-0 rounded-sm bg-neutral-950 object-cover" />
      ) : pictured ? (
        <span
          aria-hidden
          className="grid h-10 w-10 shrink-0 place-items-center rounded-sm bg-neutral-950 text-neutral-500"
        >
          ∗
        </span>
      ) : null}
      <span className="truncate">{label}</span>
    </button>
  );
}
