'use client';

import { useRouter } from 'next/navigation';
import { useEffect, useState } from 'react';
import { ConfirmAction } from '@/components/confirm-action';
import { deleteSample, forgetDeleteToken, getDeleteToken } from '@/lib/api/samples';

/** Shown only in the browser that shared the sample (it holds the delete token). */
export function DeleteSampleButton({ id }: { id: string }) {
  const router = useRouter();
  const [token, setToken] = useState<string | undefined>();
  // localStorage exists only after hydration; the server renders no button.
  useEffect(() => setToken(getDeleteToken(id)), [id]);
  if (!token) return null;

  return (
    <ConfirmAction
      label="Delete"
      question="Delete for everyone?"
      confirmLabel="Delete"
      busyLabel="Deleting…"
      testId="sample-delete"
      danger
      triggerClassName="rounded-md border border-neutral-700 px-3 py-1.5 text-sm font-medium text-neutral-300 hover:border-red-500/60 hover:text-red-300"
      onConfirm={async () => {
        await deleteSample(id, token);
        forgetDeleteToken(id);
        // The page re-renders on the server, finds nothing, and shows the 404 page.
        router.refresh();
      }}
    />
  );
}
