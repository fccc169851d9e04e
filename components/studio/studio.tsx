'use client';
/**
 * The studio: choose a model, what to draw (a class-conditional model's class and guidance) and
 * sampling options, generate images that fill pixel by pixel as tokens stream from the generation
 * worker, cancel at once, complete an image from its top rows, download results with their exact
 * recipe.
 */
import { BackendPicker } from './backend-picker';
import { ClassPicker } from './class-picker';
import { CompletionPanel } from './completion-panel';
import { EmptyCanvas } from './empty-canvas';
import { ModelPicker } from './model-picker';
import { RemixCompletion } from './remix-completion';
import { type RenderShare, ResultGrid } from './result-grid';
import { RunButton } from './run-button';
import { RunStatusPanel } from './run-status';
import { SamplingControls } from './sampling-controls';
import { useClassThumbnails } from './use-class-thumbnails';
import { useConditioning } from './use-conditioning';
import { useBenchHook } from './use-engine';
import { useGeneration } from './use-generation';
import { useModelLoader } from './use-model-loader';
import { useRemixLink, useRemixPrefix } from './use-remix-link';
import { useSamplingSettings } from './use-sampling-settings';

export interface StudioProps {
  /** The sharing feature's slot in the result panel. */
  renderShare?: RenderShare;
}

export function Studio({ renderShare }: StudioProps) {
  const link = useRemixLink();
  const loader = useModelLoader(link);
  const { model, loaded } = loader;
  const settings = useSamplingSettings(link, model);
  const conditioning = useConditioning(link, model);
  const thumbnails = useClassThumbnails(model);
  const { run, error, running, start, cancel, canvasRefs, completionSources } = useGeneration(
    loader,
    settings,
    conditioning,
  );
  const dataset = model?.card.dataset;
  const remixPrefix = useRemixPrefix(link, dataset);
  useBenchHook();

  return (
    <main className="mx-auto grid max-w-7xl gap-8 px-6 py-8 lg:grid-cols-[340px_minmax(0,1fr)]">
      <aside className="space-y-6 lg:sticky lg:top-20 lg:self-start">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-white">Studio</h1>
          <p className="mt-1 text-sm text-neutral-400">
            A Reformer paints images one token at a time, right here in your browser.
          </p>
        </div>

        <ModelPicker
          models={loader.models}
          model={model}
          loaded={loaded}
          loadProgress={loader.loadProgress}
          modelsError={loader.modelsError}
          loadError={loader.loadError}
          missingModel={loader.missingModel}
          disabled={running}
          onChoose={(key) => {
            settings.forgetLinkSampling();
            conditioning.forgetLink();
            loader.chooseModel(key);
          }}
          onRetry={loader.retryLoad}
        />

        <section className="space-y-4 rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
          <ClassPicker settings={conditioning} thumbnails={thumbnails} disabled={running} />
          <SamplingControls settings={settings} disabled={running} />
          <BackendPicker
            value={loader.backendPref}
            choice={loader.choice}
            error={loader.backendError}
            notice={loader.backendNotice}
            disabled={running}
            onChange={loader.chooseBackend}
          />
          <RunButton
            running={running}
            ready={!!loaded}
            batch={settings.batch}
            onGenerate={() => start()}
            onCancel={cancel}
          />
        </section>

        {dataset && (
          <section className="rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
            <h2 className="mb-3 text-xs font-medium uppercase tracking-wider text-neutral-400">Complete an image</h2>
            {remixPrefix && (
              <RemixCompletion
                prefix={remixPrefix}
                dataset={dataset}
                disabled={running || !loaded}
                onComplete={(tokens) =>
                  start({ tokens, keepRows: remixPrefix.keepRows, label: `Shared sample ${remixPrefix.sampleId}` })
                }
              />
            )}
            {/* Keyed by what tokens mean: an uploaded image read for one model is not another's prefix. */}
            <CompletionPanel
              key={`${dataset.id}:${dataset.width}x${dataset.height}:${dataset.tokenization}`}
              dataset={dataset}
              results={completionSources}
              disabled={running || !loaded}
              onComplete={(s, keepRows) => start({ tokens: s.tokens, keepRows, label: s.label })}
            />
          </section>
        )}
      </aside>

      <section aria-label="Canvas" className="min-w-0 space-y-4">
        <RunStatusPanel run={run} error={error} />
        {run ? (
          <ResultGrid
            painters={run.painters}
            canvasRefs={canvasRefs}
            complete={run.status === 'done'}
            keptRows={run.keptRows}
            recipeFor={(i) => ({ ...run.recipe, imageIndex: run.recipe.firstImage + i })}
            renderShare={renderShare}
          />
        ) : (
          <EmptyCanvas />
        )}
      </section>
    </main>
  );
}
