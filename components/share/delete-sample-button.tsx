'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { deleteSample, forgetDeleteToken, getDeleteToken } from './sample-api';

/** Shown only in the browser that shared the sample (it holds the delete token). Two-step, no modal. */
export function DeleteSampleButton({ id }: { id: string }) {
  const router = useRouter();
  const [token, setToken] = useState<string | undefined>();
  const [state, setState] = useState<'idle' | 'confirming' | 'deleting'>('idle');
  const [error, setError] = useState<string | null>(null);

  // localStorage exists only after hydration; the server renders no button.
  useEffect(() => setToken(getDeleteToken(id)), [id]);
  if (!token) return null;

  async function confirmDelete() {
    setState('deleting');
    setError(null);
    try {
      await deleteSample(id, token!);
      forgetDeleteToken(id);
      router.refresh();
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setState('idle');
    }
  }

  if (state === 'idle') {
    return (
      <div className="flex flex-col gap-1">
        <button
          type="button"
          data-testid="sample-delete"
          onClick={() => setState('confirming')}
          className="rounded-md border border-neutral-700 px-3 py-1.5 text-sm font-medium text-neutral-300 hover:border-red-500/60 hover:text-red-300"
        >
          Delete
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
    <div className="flex items-center gap-2 text-sm" role="group" aria-label="Confirm deleting this sample">
      <span className="text-neutral-400">Delete for everyone?</span>
      <button type="button" onClick={() => setState('idle')} disabled={state === 'deleting'} className="rounded-md px-2 py-1.5 text-neutral-300 hover:bg-neutral-800 disabled:opacity-50">
        Cancel
      </button>
      <button
        type="button"
        data-testid="sample-delete-confirm"
        onClick={confirmDelete}
        disabled={state === 'deleting'}
        className="rounded-md bg-red-600 px-3 py-1.5 font-medium text-white hover:bg-red-500 disabled:opacity-50"
      >
        {state === 'deleting' ? 'Deleting…' : 'Delete'}
      </button>
    </div>
  );
}
