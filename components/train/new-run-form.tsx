/**
 * The "New run" form: a dataset, the model to start from, its size, whether it learns the dataset's
 * classes, and the run's settings.
 */
import { useState } from 'react';
import type { DatasetSummary } from '@/lib/pixels/manifest';
import type { TrainPreset, TrainSettings } from '@/lib/runtime/train-protocol';
import type { ShippedModel } from '@/lib/api/models';
import { evalEveryFor, firstDataset, startableModels } from './run-settings';
import { Field, inputClass } from './train-ui';

const PRESET_HINTS: Record<TrainPreset, string> = {
  tiny: '2 layers · d=64 · trains in minutes',
  small: '4 layers · d=128 · hours on a laptop CPU',
};

export function NewRunForm({
  datasets,
  models,
  busy,
  onStart,
}: {
  datasets: DatasetSummary[] | null;
  /** The shipped models, then the published ones. */
  models: ShippedModel[];
  busy: boolean;
  onStart: (settings: TrainSettings) => void;
}) {
  const [chosenDataset, setDatasetId] = useState('');
  /** The url of the model.json a run starts from; '' for a fresh model. */
  const [startFromUrl, setStartFromUrl] = useState('');
  const [preset, setPreset] = useState<TrainPreset>('tiny');
  const [steps, setSteps] = useState(300);
  const [batchSize, setBatchSize] = useState(4);
  const [learningRate, setLearningRate] = useState(0.001);
  const [samples, setSamples] = useState(true);
  const [conditional, setConditional] = useState(true);

  const datasetId = chosenDataset || firstDataset(datasets);
  const dataset = datasets?.find((d) => d.id === datasetId);
  const startable = startableModels(dataset, models);
  const startFrom = startable.find((m) => m.url === startFromUrl);
  const classes = dataset?.classes?.length ?? 0;
  // A class-conditional model trains on its classes only (startableModels offers it where the counts agree).
  const conditionalForced = !!startFrom?.card.classes;

  const start = () => {
    const evalEvery = evalEveryFor(steps);
    onStart({
      datasetId,
      preset,
      ...(startFrom && { startFrom: { url: startFrom.url, card: startFrom.card } }),
      ...(classes > 0 && { conditional: conditionalForced || conditional }),
      steps,
      batchSize,
      learningRate,
      evalEvery,
      sampleEvery: samples ? Math.max(evalEvery, Math.round(steps / 10)) : 0,
      backend: 'auto',
    });
  };

  return (
    <form
      className="flex flex-col gap-4 rounded-xl border border-neutral-800 bg-neutral-900/60 p-5"
      onSubmit={(e) => {
        e.preventDefault();
        start();
      }}
    >
      <h2 className="text-sm font-semibold text-neutral-200">New run</h2>
      <Field
        label="Dataset"
        hint={
          dataset
            ? `${dataset.counts.train} training images · ${dataset.width}×${dataset.height} · ${dataset.seqLength} tokens each`
            : undefined
        }
      >
        <select
          data-testid="train-dataset"
          value={datasetId}
          onChange={(e) => setDatasetId(e.target.value)}
          disabled={busy || !datasets?.length}
          className={inputClass}
        >
          {datasets === null && <option>Loading…</option>}
          {datasets?.length === 0 && <option value="">No datasets: add one on the Datasets page</option>}
          {datasets?.map((d) => (
            <option key={d.id} value={d.id}>
              {d.name} ({d.width}×{d.height}
              {d.tokenization === 'palette' ? `, palette ${d.paletteSize}` : ''})
            </option>
          ))}
        </select>
      </Field>
      {dataset && (
        <img
          src={dataset.previewUrl}
          alt={`Preview of ${dataset.name}`}
          className="pixelated h-20 w-full rounded-md border border-neutral-800 bg-neutral-950 object-cover"
        />
      )}
      <Field
        label="Start from"
        hint={
          startFrom
            ? `Its weights, trained on for the steps below (${startFrom.card.steps.toLocaleString()} so far)`
            : 'A new model with random weights'
        }
      >
        <select
          data-testid="train-start-from"
          value={startFrom?.url ?? ''}
          onChange={(e) => setStartFromUrl(e.target.value)}
          disabled={busy}
          className={inputClass}
        >
          <option value="">A new model</option>
          {startable.map((m) => (
            <option key={m.url} value={m.url}>
              {m.card.name} · {m.card.steps.toLocaleString()} steps
            </option>
          ))}
        </select>
      </Field>
      <Field
        label="Model size"
        hint={startFrom ? `The starting model's: ${startFrom.card.preset}` : PRESET_HINTS[preset]}
      >
        <select
          data-testid="train-preset"
          value={startFrom ? '' : preset}
          onChange={(e) => setPreset(e.target.value as TrainPreset)}
          disabled={busy || !!startFrom}
          className={inputClass}
        >
          {startFrom && <option value="">{startFrom.card.preset}</option>}
          <option value="tiny">Tiny</option>
          <option value="small">Small</option>
        </select>
      </Field>
      {classes > 0 && (
        <label className="flex items-start gap-2 text-sm text-neutral-300">
          <input
            data-testid="train-conditional"
            type="checkbox"
            checked={conditionalForced || conditional}
            onChange={(e) => setConditional(e.target.checked)}
            disabled={busy || conditionalForced}
            className="mt-0.5 accent-emerald-500"
          />
          <span>
            Condition on the dataset&apos;s {classes} classes
            <span className="block text-xs text-neutral-500">
              {conditionalForced
                ? 'The starting model was trained on classes: it trains on them.'
                : conditional
                  ? 'The model learns each image with its class (and some with none), so the Studio can draw the class you pick, or any.'
                  : 'Off: the model learns the images without their classes.'}
            </span>
          </span>
        </label>
      )}
      <div className="grid grid-cols-2 gap-3">
        <Field label="Steps">
          <input
            data-testid="train-steps"
            type="number"
            min={1}
            max={100000}
            value={steps}
            onChange={(e) => setSteps(Math.max(1, Math.floor(Number(e.target.value) || 1)))}
            disabled={busy}
            className={inputClass}
          />
        </Field>
        <Field label="Batch size">
          <input
            data-testid="train-batch"
            type="number"
            min={1}
            max={64}
            value={batchSize}
            onChange={(e) => setBatchSize(Math.min(64, Math.max(1, Math.floor(Number(e.target.value) || 1))))}
            disabled={busy}
            className={inputClass}
          />
        </Field>
      </div>
      <Field label="Learning rate" hint="Peak rate, after warm-up; cosine decay to the last step.">
        <input
          data-testid="train-lr"
          type="number"
          min={0.00001}
          max={0.1}
          step="any"
          value={learningRate}
          onChange={(e) => setLearningRate(Number(e.target.value) || 0.001)}
          disabled={busy}
          className={inputClass}
        />
      </Field>
      <label className="flex items-center gap-2 text-sm text-neutral-300">
        <input
          type="checkbox"
          checked={samples}
          onChange={(e) => setSamples(e.target.checked)}
          disabled={busy}
          className="accent-emerald-500"
        />
        Draw sample images during training
      </label>
      <button
        data-testid="train-start"
        type="submit"
        disabled={busy || !datasetId}
        className="rounded-md bg-emerald-500 px-4 py-2 text-sm font-medium text-neutral-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40"
      >
        Start training
      </button>
      <p className="text-xs text-neutral-500">
        Runs in a background thread of this tab. Checkpoints are kept in this browser, so a reload can pick up where it
        left off.
      </p>
    </form>
  );
}
