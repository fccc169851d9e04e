/** The runs saved in this browser, other than the one on screen: resume, open to publish, or discard each. */
import { ConfirmAction } from '@/components/confirm-action';
import type { DatasetSummary } from '@/lib/pixels/manifest';
import type { SavedRun } from '@/lib/runtime/train-protocol';
import { formatAgo } from '@/lib/format';

export function SavedRuns({
  saved,
  error,
  shownRunId,
  datasets,
  busy,
  onResume,
  onDiscard,
}: {
  saved: SavedRun[];
  error?: string;
  /** The run on screen: it has its controls in the run panel. */
  shownRunId?: string;
  datasets: DatasetSummary[] | null;
  busy: boolean;
  onResume: (run: SavedRun) => void;
  onDiscard: (runId: string) => Promise<void>;
}) {
  const others = saved.filter((s) => s.runId !== shownRunId);
  return (
    <>
      {error && (
        <p
          role="alert"
          data-testid="train-saved-error"
          className="rounded-lg border border-red-500/40 bg-red-500/10 p-3 text-xs text-red-200"
        >
          {error}
        </p>
      )}
      {/* Each run keeps its own slot; the run on screen has its controls in the panel. */}
      {others.length > 0 && (
        <section
          aria-label="Saved runs"
          className="flex flex-col gap-3 rounded-xl border border-sky-500/30 bg-sky-500/5 p-4 text-sm"
        >
          <h2 className="font-medium text-sky-200">Saved runs</h2>
          {others.map((s) => {
            // A run trains, validates and publishes on its dataset's shards: once the dataset is
            // deleted it can go no further, and only Discard is left.
            const datasetGone = datasets !== null && !datasets.some((d) => d.id === s.settings.datasetId);
            return (
              <div
                key={s.runId}
                data-testid="train-saved"
                data-run-id={s.runId}
                className="border-t border-sky-500/20 pt-3 first-of-type:border-t-0 first-of-type:pt-0"
              >
                <p className="text-neutral-300">
                  {s.datasetName} ·{' '}
                  {s.settings.startFrom ? `from ${s.settings.startFrom.card.name}` : s.settings.preset} — step{' '}
                  {s.step.toLocaleString()} of {s.settings.steps.toLocaleString()}
                </p>
                <p className="text-xs text-neutral-500">saved {formatAgo(s.savedAt)}</p>
                {datasetGone && !s.openElsewhere && (
                  <p data-testid="train-saved-dataset-gone" className="mt-2 text-xs text-amber-300">
                    Its dataset was deleted, so this run can no longer train, validate or publish. Discard it to free
                    the space it takes.
                  </p>
                )}
                {s.openElsewhere ? (
                  <p data-testid="train-saved-elsewhere" className="mt-2 text-xs text-amber-300">
                    Open in another tab: only that tab can resume or discard it.
                  </p>
                ) : (
                  <div className="mt-2 flex flex-wrap items-start gap-2">
                    <button
                      data-testid="train-resume-saved"
                      type="button"
                      onClick={() => onResume(s)}
                      disabled={busy || datasetGone}
                      title={
                        datasetGone ? 'Its dataset was deleted' : busy ? 'Stop the run on screen first' : undefined
                      }
                      className={
                        s.step < s.settings.steps
                          ? 'rounded-md bg-sky-500 px-3 py-1.5 text-xs font-medium text-neutral-950 hover:bg-sky-400 disabled:cursor-not-allowed disabled:opacity-40'
                          : 'rounded-md border border-sky-500/40 px-3 py-1.5 text-xs text-sky-200 hover:bg-sky-500/10 disabled:cursor-not-allowed disabled:opacity-40'
                      }
                    >
                      {s.step < s.settings.steps ? 'Resume' : 'Open to publish'}
                    </button>
                    <ConfirmAction
                      label="Discard"
                      question={`Delete this run's checkpoint (step ${s.step.toLocaleString()})?`}
                      confirmLabel="Delete"
                      busyLabel="Deleting…"
                      testId="train-discard-saved"
                      danger
                      triggerClassName="rounded-md px-3 py-1.5 text-xs text-neutral-400 hover:bg-neutral-800"
                      onConfirm={() => onDiscard(s.runId)}
                    />
                  </div>
                )}
              </div>
            );
          })}
        </section>
      )}
    </>
  );
}
