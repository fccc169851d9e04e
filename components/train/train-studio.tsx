'use client';

/**
 * The Train page: the new-run form and the saved runs beside the run on screen (its panel, loss
 * chart, samples and publishing), and the published models below. State lives in useTrainRun
 * (the run, through the worker) and useTrainCatalog (datasets and models).
 */
import { LossChart } from './loss-chart';
import { ModelList } from './model-list';
import { NewRunForm } from './new-run-form';
import { PublishPanel, RunSamples } from './run-outputs';
import { RunPanel } from './run-panel';
import { SavedRuns } from './saved-runs';
import { useTrainCatalog } from './use-train-catalog';
import { useTrainRun } from './use-train-run';

export function TrainStudio() {
  const catalog = useTrainCatalog();
  const t = useTrainRun({ onPublished: catalog.refreshModels });
  const { run, phase } = t;
  const busy = phase === 'loading' || phase === 'running' || phase === 'paused';

  return (
    <div className="grid gap-8 lg:grid-cols-[20rem_1fr]">
      <aside className="flex flex-col gap-4">
        <NewRunForm
          datasets={catalog.datasets}
          models={[...catalog.shipped, ...(catalog.models ?? [])]}
          busy={busy}
          onStart={(settings) => void t.begin(settings)}
        />
        <SavedRuns
          saved={t.saved}
          error={t.savedError}
          shownRunId={run?.runId}
          datasets={catalog.datasets}
          busy={busy}
          onResume={(s) => void t.begin(s.settings, s.runId)}
          onDiscard={t.discard}
        />
      </aside>

      <section aria-label="Training run" className="flex min-w-0 flex-col gap-4">
        {t.error && (
          <p role="alert" className="rounded-lg border border-red-500/40 bg-red-500/10 p-3 text-sm text-red-200">
            {t.error}
          </p>
        )}
        {!run && phase !== 'loading' && (
          <div className="flex min-h-80 flex-col items-center justify-center rounded-xl border border-dashed border-neutral-800 p-10 text-center">
            <p className="font-medium text-neutral-300">No run yet</p>
            <p className="mt-1 max-w-sm text-sm text-neutral-500">
              Pick a dataset and a model size, then start. The curve, the samples and the controls appear here.
            </p>
          </div>
        )}
        {!run && phase === 'loading' && (
          <div className="flex min-h-80 items-center justify-center gap-3 rounded-xl border border-neutral-800 bg-neutral-900/60 text-sm text-neutral-400">
            <span className="h-3 w-3 animate-pulse rounded-full bg-emerald-400" /> {t.loadingMessage}
          </div>
        )}
        {run && (
          <>
            <RunPanel
              run={run}
              phase={phase}
              pending={t.pending}
              rate={t.rate}
              elapsed={t.elapsed}
              stepTimes={t.stepTimes}
              onResumeRun={() => t.settings && void t.begin(t.settings, run.runId)}
              onControl={(control) => void t.control(control)}
              onDiscard={() => t.discard(run.runId)}
            />
            <LossChart
              train={run.history.train}
              validation={run.history.validation}
              totalSteps={run.totalSteps}
              evaluationSplit={run.evaluationSplit}
            />
            <div className="grid gap-4 md:grid-cols-2">
              <RunSamples run={run} />
              <PublishPanel run={run} phase={phase} publish={t.publishState} onPublish={() => void t.publish()} />
            </div>
          </>
        )}
      </section>

      <div className="lg:col-span-2">
        <ModelList
          models={catalog.models}
          highlight={t.publishState.published}
          error={catalog.modelsError}
          onDeleted={catalog.forgetModel}
        />
      </div>
    </div>
  );
}
