'use client';

import { useState } from 'react';
import { deleteDataset } from './dataset-api';

/** Two-step delete: the first click asks, the second deletes. No modal, nothing to dismiss. */
export function DeleteDatasetButton({
  id,
  name,
  onDeleted,
}: {
  id: string;
  name: string;
  onDeleted: (id: string) => void;
}) {
  const [state, setState] = useState<'idle' | 'confirming' | 'deleting'>('idle');
  const [error, setError] = useState<string | null>(null);

  async function confirmDelete() {
    setState('deleting');
    setError(null);
    try {
      await deleteDataset(id);
      onDeleted(id);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setState('idle');
    }
  }

  if (state === 'idle') {
    return (
      <div className="flex flex-col items-end gap-1">
        <button
          type="button"
          data-testid="dataset-delete"
          onClick={() => setState('confirming')}
          className="rounded-md border border-neutral-700 px-3 py-1 text-xs font-medium text-neutral-300 hover:border-red-500/60 hover:text-red-300"
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
    <div className="flex items-center gap-2 text-xs" role="group" aria-label={`Confirm deleting ${name}`}>
      <span className="text-neutral-400">Delete “{name}”?</span>
      <button
        type="button"
        onClick={() => setState('idle')}
        disabled={state === 'deleting'}
        className="rounded-md px-2 py-1 text-neutral-300 hover:bg-neutral-800 disabled:opacity-50"
      >
        Cancel
      </button>
      <button
        type="button"
        data-testid="dataset-delete-confirm"
        onClick={confirmDelete}
        disabled={state === 'deleting'}
        className="rounded-md bg-red-600 px-3 py-1 font-medium text-white hover:bg-red-500 disabled:opacity-50"
      >
        {state === 'deleting' ? 'Deleting…' : 'Delete'}
      </button>
    </div>
  );
}
