'use client';

import { ConfirmAction } from '@/components/confirm-action';
import { deleteDataset } from '@/lib/api/datasets';

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
  return (
    <ConfirmAction
      label="Delete"
      question={`Delete “${name}”?`}
      confirmLabel="Delete"
      busyLabel="Deleting…"
      testId="dataset-delete"
      danger
      triggerClassName="rounded-md border border-neutral-700 px-3 py-1 text-xs font-medium text-neutral-300 hover:border-red-500/60 hover:text-red-300"
      onConfirm={async () => {
        await deleteDataset(id);
        onDeleted(id);
      }}
    />
  );
}
