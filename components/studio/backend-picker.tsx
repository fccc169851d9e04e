'use client';
/** The backend select, and which backend the engine runs on and why (or why it cannot start). */
import { BACKENDS, type BackendChoice, type BackendName } from '@/lib/runtime/backends';
import { Field, inputClass } from './controls';

export function BackendPicker({
  value,
  choice,
  error,
  notice,
  disabled,
  onChange,
}: {
  value: BackendName | 'auto';
  choice: BackendChoice | null;
  error: Error | null;
  /** Why a Remix link's backend was not used. */
  notice: string | null;
  disabled: boolean;
  onChange: (pref: BackendName | 'auto') => void;
}) {
  return (
    <>
      <Field label="Backend">
        <select
          data-testid="backend-select"
          className={inputClass}
          value={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value as BackendName | 'auto')}
        >
          <option value="auto">Auto (fastest available)</option>
          {BACKENDS.map((b) => (
            <option key={b.name} value={b.name}>
              {b.label}
            </option>
          ))}
        </select>
      </Field>
      <p
        data-testid="backend-reason"
        data-backend={choice?.name ?? ''}
        className="text-xs leading-relaxed text-neutral-500"
      >
        {notice && (
          <span data-testid="backend-notice" className="mb-1 block text-amber-300">
            {notice}
          </span>
        )}
        {error ? (
          <span className="text-rose-300">{error.message}</span>
        ) : choice ? (
          <>
            <span className="font-medium text-emerald-300">{choice.name}</span> · {choice.reason}
          </>
        ) : (
          'Starting the engine…'
        )}
      </p>
    </>
  );
}
