'use client';

import { useState } from 'react';

/**
 * A two-step action: the first click asks, the second runs `onConfirm`. No modal, nothing to
 * dismiss; a failure is shown under the trigger. While `onConfirm` runs the buttons are disabled.
 */
export function ConfirmAction({
  label,
  question,
  confirmLabel,
  busyLabel,
  testId,
  danger,
  triggerClassName,
  onConfirm,
}: {
  label: string;
  question: string;
  confirmLabel: string;
  busyLabel: string;
  /** `<testId>` on the trigger, `<testId>-confirm` on the second button. */
  testId: string;
  /** Red for destroying, amber for flagging. */
  danger: boolean;
  triggerClassName: string;
  onConfirm: () => Promise<void>;
}) {
  const [state, setState] = useState<'idle' | 'confirming' | 'busy'>('idle');
  const [error, setError] = useState<string | null>(null);

  async function confirm() {
    setState('busy');
    setError(null);
    try {
      await onConfirm();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setState('idle');
    }
  }

  if (state === 'idle') {
    return (
      <div className="flex flex-col gap-1">
        <button type="button" data-testid={testId} onClick={() => setState('confirming')} className={triggerClassName}>
          {label}
        </button>
        {error && (
          <p role="alert" className="text-xs text-red-400">
            {error}
          </p>
        )}
      </div>
    );
  }

  return (
    <div className="flex flex-wrap items-center gap-2 text-sm" role="group" aria-label={question}>
      <span className="text-neutral-400">{question}</span>
      <button
        type="button"
        onClick={() => setState('idle')}
        disabled={state === 'busy'}
        className="rounded-md px-2 py-1.5 text-neutral-300 hover:bg-neutral-800 disabled:opacity-50"
      >
        Cancel
      </button>
      <button
        type="button"
        data-testid={`${testId}-confirm`}
        onClick={confirm}
        disabled={state === 'busy'}
        className={`rounded-md px-3 py-1.5 font-medium text-white disabled:opacity-50 ${danger ? 'bg-red-600 hover:bg-red-500' : 'bg-amber-600 hover:bg-amber-500'}`}
      >
        {state === 'busy' ? busyLabel : confirmLabel}
      </button>
    </div>
  );
}
