/** What a run produces: its latest sample images, and publishing the model as it is now. */
import { MAX_SAMPLE_TOKENS, SAMPLE_CLASSES } from '@/lib/runtime/train-protocol';
import { SampleImageCanvas } from './sample-image';
import type { Phase, RunView } from './train-run-reducer';
import { Field, inputClass } from './train-ui';
import type { PublishState } from './use-train-run';

export function RunSamples({ run }: { run: RunView }) {
  const samples = run.samples;
  return (
    <figure className="flex flex-col rounded-xl border border-neutral-800 bg-neutral-900/60 p-4">
      <figcaption className="mb-3 text-xs font-medium text-neutral-200">
        Samples {samples && <span className="font-normal text-neutral-500">at step {samples.step}</span>}
      </figcaption>
      {samples ? (
        <div data-testid="train-samples" className="flex flex-wrap gap-3">
          {samples.images.map((image, i) =>
            image.label === undefined ? (
              <SampleImageCanvas
                key={`${samples.step}-${i}`}
                image={image}
                label={`Sample ${i + 1} at step ${samples.step}`}
              />
            ) : (
              <figure key={`${samples.step}-${i}`} className="flex flex-col items-center gap-1">
                <SampleImageCanvas image={image} label={`${image.label} at step ${samples.step}`} />
                <figcaption className="w-28 truncate text-center text-xs text-neutral-400" title={image.label}>
                  {image.label}
                </figcaption>
              </figure>
            ),
          )}
        </div>
      ) : (
        <p className="text-xs text-neutral-500">
          {run.sampling === 'on' &&
            (run.classes
              ? `One image of each of the first ${Math.min(run.classes.length, SAMPLE_CLASSES)} classes is drawn from the model every few steps, so you can watch it learn them.`
              : 'Two images are drawn from the model every few steps, so you can watch it learn.')}
          {run.sampling === 'off' && 'Sample images are switched off for this run.'}
          {run.sampling === 'too-long' &&
            `No samples during this run: ${run.width}×${run.height} images are longer than ${MAX_SAMPLE_TOKENS.toLocaleString()} tokens, and drawing them would stall training for minutes. Publish the model and generate in the Studio instead.`}
        </p>
      )}
    </figure>
  );
}

export function PublishPanel({
  run,
  phase,
  publish,
  onPublish,
}: {
  run: RunView;
  phase: Phase;
  publish: PublishState;
  onPublish: () => void;
}) {
  // Steps count on from those of the model the run started from, as the card does.
  const steps = (run.startedFrom?.steps ?? 0) + run.step;
  return (
    <div className="flex flex-col gap-3 rounded-xl border border-neutral-800 bg-neutral-900/60 p-4">
      <Field label="Publish as" hint="The model and its card go to this server, for the studio and everyone using it.">
        <input
          value={publish.name}
          onChange={(e) => publish.setName(e.target.value)}
          placeholder={`${run.datasetName} · ${steps} steps`}
          className={inputClass}
        />
      </Field>
      <button
        data-testid="train-publish"
        type="button"
        onClick={onPublish}
        disabled={publish.busy || phase === 'loading' || run.step === 0}
        className="self-start rounded-md bg-emerald-500 px-4 py-2 text-sm font-medium text-neutral-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40"
      >
        {publish.busy ? 'Publishing…' : `Publish step ${steps.toLocaleString()}`}
      </button>
      {publish.published && (
        <p className="text-sm text-emerald-300">
          Published as <span className="font-mono">{publish.published}</span>; it is in the list below.
        </p>
      )}
      {publish.error && (
        <p role="alert" className="text-sm text-red-300">
          {publish.error}
        </p>
      )}
    </div>
  );
}
