/** The run on screen: what it trains, its progress and figures, and its controls. */
import { ConfirmAction } from '@/components/confirm-action';
import { etaSeconds, type StepTime } from './eta';
import { formatClock } from '@/lib/format';
import type { Control, Phase, RunView } from './train-run-reducer';
import { secondaryButton, Stat, StateBadge } from './train-ui';
import { ProgressBar } from '@/components/progress-bar';

export function RunPanel({
  run,
  phase,
  pending,
  rate,
  elapsed,
  stepTimes,
  onResumeRun,
  onControl,
  onDiscard,
}: {
  run: RunView;
  phase: Phase;
  pending: Control | null;
  rate: number;
  elapsed: number;
  stepTimes: StepTime[];
  /** Carries a stopped or failed run on from its last checkpoint. */
  onResumeRun: () => void;
  onControl: (control: Control) => void;
  onDiscard: () => Promise<void>;
}) {
  const busy = phase === 'loading' || phase === 'running' || phase === 'paused';
  const percent = Math.round((run.step / run.totalSteps) * 100);
  const eta = etaSeconds(stepTimes, run.totalSteps);
  // After a stop or a failure the run carries on from its last checkpoint, without a reload.
  const resumable =
    (phase === 'stopped' || phase === 'error') && run.savedStep !== undefined && run.savedStep < run.totalSteps;

  return (
    <div className="rounded-xl border border-neutral-800 bg-neutral-900/60 p-5">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div>
          <h2 className="text-lg font-semibold tracking-tight">
            {run.datasetName} <span className="text-neutral-500">·</span>{' '}
            <span className="font-normal text-neutral-400">{run.parameters.toLocaleString()} parameters</span>
          </h2>
          <p className="mt-0.5 text-xs text-neutral-500">
            {run.startedFrom && (
              <span data-testid="train-started-from">
                from {run.startedFrom.name} ({run.startedFrom.steps.toLocaleString()} steps) ·{' '}
              </span>
            )}
            {run.trainImages.toLocaleString()} training images · {run.width}×{run.height} ·{' '}
            {run.classes && (
              <span data-testid="train-classes" title={run.classes.join(', ')}>
                conditioned on {run.classes.length} classes ·{' '}
              </span>
            )}
            <span
              data-testid="train-backend"
              data-workers={run.workers}
              title={run.backendReason}
              className="cursor-help underline decoration-neutral-700 decoration-dotted underline-offset-2"
            >
              {run.backend}
            </span>
          </p>
        </div>
        <StateBadge phase={phase} />
      </div>

      <div className="mt-5">
        <div className="mb-1.5 flex items-baseline justify-between text-sm">
          <span className="tabular-nums text-neutral-200">
            Step{' '}
            <span data-testid="train-step-count" className="font-mono font-semibold">
              {run.step}
            </span>
            <span className="text-neutral-500"> / {run.totalSteps.toLocaleString()}</span>
          </span>
          <span className="font-mono text-xs tabular-nums text-neutral-400">{percent}%</span>
        </div>
        <ProgressBar
          testId="train-progress"
          label="Training progress"
          value={run.step}
          max={run.totalSteps}
          valueText={`${run.step} of ${run.totalSteps} steps`}
          tone={phase === 'paused' ? 'paused' : 'working'}
        />
        <dl className="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-5">
          <Stat label="Steps/s" value={rate > 0 ? rate.toFixed(rate < 10 ? 2 : 1) : '—'} />
          <Stat
            label="ETA"
            value={phase === 'running' && eta !== undefined ? formatClock(eta * 1000) : phase === 'done' ? 'done' : '—'}
          />
          <Stat label="Elapsed" value={formatClock(elapsed * 1000)} />
          <Stat label="Train bits/dim" value={run.bitsPerDim?.toFixed(3) ?? '—'} accent="text-emerald-300" />
          <Stat
            testId="train-validation"
            label={run.evaluationSplit === 'validation' ? 'Val bits/dim' : 'Eval bits/dim'}
            value={run.validation?.toFixed(3) ?? '—'}
            accent="text-amber-300"
            title={
              run.evaluationSplit === 'validation'
                ? undefined
                : 'This dataset has no validation images: measured on training images, it shows fitting, not generalisation.'
            }
          />
        </dl>
      </div>

      <div className="mt-5 flex flex-wrap items-center gap-2">
        {resumable ? (
          <button
            data-testid="train-resume-run"
            type="button"
            onClick={onResumeRun}
            className={`${secondaryButton} border-emerald-500/50 text-emerald-200`}
          >
            Resume from step {run.savedStep!.toLocaleString()}
          </button>
        ) : phase !== 'paused' ? (
          <button
            data-testid="train-pause"
            type="button"
            onClick={() => onControl('pause')}
            disabled={phase !== 'running' || pending !== null}
            className={secondaryButton}
          >
            {pending === 'pause' ? 'Pausing after this step…' : 'Pause'}
          </button>
        ) : (
          <button
            data-testid="train-resume"
            type="button"
            onClick={() => onControl('resume')}
            disabled={pending !== null}
            className={`${secondaryButton} border-emerald-500/50 text-emerald-200`}
          >
            Resume
          </button>
        )}
        <button
          data-testid="train-stop"
          type="button"
          onClick={() => onControl('stop')}
          disabled={(phase !== 'running' && phase !== 'paused') || pending === 'stop'}
          className={`${secondaryButton} hover:border-red-500/50 hover:text-red-200`}
        >
          {pending === 'stop' ? 'Stopping…' : 'Stop'}
        </button>
        {!busy && run.savedStep !== undefined && (
          <ConfirmAction
            label="Discard checkpoint"
            question={`Delete this run's checkpoint (step ${run.savedStep.toLocaleString()})? The model on screen can still be published.`}
            confirmLabel="Delete"
            busyLabel="Deleting…"
            testId="train-discard-run"
            danger
            triggerClassName={`${secondaryButton} text-neutral-400`}
            onConfirm={onDiscard}
          />
        )}
        <span
          data-testid="train-checkpoint"
          data-saved-step={run.savedStep ?? ''}
          className="ml-auto text-xs text-neutral-500"
        >
          {run.savedAt ? `Checkpoint saved at ${new Date(run.savedAt).toLocaleTimeString()}` : 'No checkpoint yet'}
        </span>
      </div>
      {run.checkpointFailed && (
        <p
          role="alert"
          data-testid="train-checkpoint-failed"
          className="mt-3 rounded-lg border border-amber-500/40 bg-amber-500/10 p-3 text-xs text-amber-200"
        >
          The checkpoint at step {run.checkpointFailed.step.toLocaleString()} could not be saved:{' '}
          {run.checkpointFailed.message} Training goes on; the next checkpoint tries again
          {run.savedStep !== undefined
            ? `, and a reload would resume from step ${run.savedStep.toLocaleString()}.`
            : ', and nothing is saved to resume from yet.'}
        </p>
      )}
    </div>
  );
}
