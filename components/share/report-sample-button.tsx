'use client';

import { useState } from 'react';
import { ConfirmAction } from '@/components/confirm-action';
import { reportSample } from '@/lib/api/samples';

/** One report hides a sample from the gallery and its permalink until someone reviews it. */
export function ReportSampleButton({ id }: { id: string }) {
  const [reported, setReported] = useState(false);
  if (reported) {
    return (
      <p data-testid="sample-reported" className="text-xs text-neutral-400">
        Thanks. The sample is hidden until it has been reviewed.
      </p>
    );
  }
  return (
    <ConfirmAction
      label="Report this sample"
      question="Hide it from everyone until it is reviewed?"
      confirmLabel="Report"
      busyLabel="Reporting…"
      testId="sample-report"
      danger={false}
      triggerClassName="text-xs text-neutral-500 underline-offset-4 hover:text-neutral-300 hover:underline"
      onConfirm={async () => {
        await reportSample(id);
        setReported(true);
      }}
    />
  );
}
