'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { ConfirmAction } from '@/components/confirm-action';
import { ShippedIndexSchema } from '@/lib/models/card';
import type { DatasetSummary } from '@/lib/pixels/manifest';
import { backendsToAvoid } from '@/lib/runtime/backend-checks';
import {
  MAX_SAMPLE_TOKENS,
  type RunState,
  type SampleImage,
  type SavedRun,
  type TrainEvent,
  type TrainHistory,
  type TrainPreset,
  type TrainSettings,
} from '@/lib/runtime/train-protocol';
import { addStepTime, etaSeconds, etaSpan, type StepTime } from './eta';
import { LossChart } from './loss-chart';
import { listModels, publishModel, type ShippedModel } from './model-api';
import { ModelList } from './model-list';
import { SampleImageCanvas } from './sample-image';
import { TrainClient } from '@/lib/runtime/train-client';

type Phase = 'idle' | RunState | 'error';

interface RunView {
  runId: string;
  datasetName: string;
  width: number;
  height: number;
  parameters: number;
  trainImages: number;
  evaluationSplit: 'validation' | 'train';
  /** Short label (e.g. "WebAssembly · 2 threads") and the selector's full reason. */
  backend: string;
  backendReason: string;
  /** Workers splitting each batch. */
  workers: number;
  step: number;
  totalSteps: number;
  /** The model the run started from, and its steps (steps shown count on from them). */
  startedFrom?: { name: string; steps: number };
  bitsPerDim?: number;
  validation?: number;
  learningRate?: number;
  history: TrainHistory;
  sampling: 'on' | 'off' | 'too-long';
  samples?: { step: number; images: SampleImage[] };
  savedAt?: string;
  /** The step of the last checkpoint saved: where a resume starts. */
  savedStep?: number;
  /** The last save failed (and none has succeeded since). */
  checkpointFailed?: { step: number; message: string };
}

const BACKEND_LABELS: Record<string, string> = { webgpu: 'WebGPU', wasm: 'WebAssembly', webgl: 'WebGL', cpu: 'CPU' };

const PRESET_HINTS: Record<TrainPreset, string> = {
  tiny: '2 layers · d=64 · trains in minutes',
  small: '4 layers · d=128 · hours on a laptop CPU',
};

/** Points on the training curve; beyond this a point averages several steps (as the worker does). */
const CHART_POINTS = 400;

function duration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.floor(seconds % 60);
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

function ago(iso: string): string {
  const s = (Date.now() - Date.parse(iso)) / 1000;
  if (s < 60) return 'just now';
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return new Date(iso).toLocaleDateString();
}

/** Validation and checkpoints every ~5% of the run (at least every 5 steps, at most every 200). */
function evalEveryFor(steps: number): number {
  return Math.min(200, Math.max(5, Math.round(steps / 20)));
}

export function TrainStudio() {
  const client = useRef<TrainClient | null>(null);
  /** The settings of the run being started or shown, for what its events leave out. */
  const settingsRef = useRef<TrainSettings | null>(null);
  const [datasets, setDatasets] = useState<DatasetSummary[] | null>(null);
  const [models, setModels] = useState<ShippedModel[] | null>(null);
  /** The studio's shipped models: runs may start from them too. */
  const [shipped, setShipped] = useState<ShippedModel[]>([]);
  /** The url of the model.json a run starts from; '' for a fresh model. */
  const [startFromUrl, setStartFromUrl] = useState('');
  const [modelsError, setModelsError] = useState<string>();
  const [saved, setSaved] = useState<SavedRun[]>([]);
  const [savedError, setSavedError] = useState<string>();

  const [datasetId, setDatasetId] = useState('');
  const [preset, setPreset] = useState<TrainPreset>('tiny');
  const [steps, setSteps] = useState(300);
  const [batchSize, setBatchSize] = useState(4);
  const [learningRate, setLearningRate] = useState(0.001);
  const [samples, setSamples] = useState(true);

  const [phase, setPhase] = useState<Phase>('idle');
  const [loadingMessage, setLoadingMessage] = useState('');
  const [error, setError] = useState<string>();
  const [run, setRun] = useState<RunView | null>(null);
  const [rate, setRate] = useState(0);
  /** A control the worker has been asked for but not yet acted on (it acts between steps). */
  const [pending, setPending] = useState<'pause' | 'resume' | 'stop' | null>(null);
  const [elapsed, setElapsed] = useState(0);
  const [publishName, setPublishName] = useState('');
  const [publishing, setPublishing] = useState(false);
  const [published, setPublished] = useState<string>();
  const [publishError, setPublishError] = useState<string>();

  // Steps/s over a sliding window of recent steps, reset whenever the run pauses.
  const recentSteps = useRef<[number, number][]>([]);
  // Step events of this running stretch over the last period of pauses: what the ETA extrapolates (eta.ts).
  const [stepTimes, setStepTimes] = useState<StepTime[]>([]);
  const bucket = useRef({ sum: 0, count: 0 });
  const runningSince = useRef<number | null>(null);
  const elapsedBefore = useRef(0);

  const refreshModels = useCallback(async () => {
    try {
      setModels(await listModels());
      setModelsError(undefined);
    } catch (err) {
      setModelsError(`Could not list published models: ${(err as Error).message}`);
    }
  }, []);

  const refreshSaved = useCallback(async () => {
    const c = client.current;
    if (!c || c.dead) return;
    try {
      setSaved(await c.list());
      setSavedError(undefined);
    } catch (err) {
      // Not "no saved run": the runs may well be there, unreadable for now.
      setSavedError((err as Error).message);
    }
  }, []);

  // A run open in another tab frees when that tab closes: look again every few seconds meanwhile.
  // (The look is locks.query(), which neither waits for the lock nor keeps that tab from its run.)
  const openElsewhere = saved.some((s) => s.openElsewhere);
  useEffect(() => {
    if (!openElsewhere) return;
    const timer = setInterval(() => void refreshSaved(), 3000);
    return () => clearInterval(timer);
  }, [openElsewhere, refreshSaved]);

  useEffect(() => {
    client.current = new TrainClient();
    // A run this page left a moment ago may still be saving: list once it is done, not as open elsewhere.
    void TrainClient.afterClosing().then(refreshSaved);
    // Another tab may have started, ended or discarded a run meanwhile.
    const onVisible = () => document.visibilityState === 'visible' && void refreshSaved();
    document.addEventListener('visibilitychange', onVisible);
    fetch('/api/datasets', { cache: 'no-store' })
      .then((r) => r.json())
      .then((body: { datasets: DatasetSummary[] }) => {
        setDatasets(body.datasets);
        const first = body.datasets.find((d) => d.width * d.height <= 256) ?? body.datasets[0];
        setDatasetId((current) => current || first?.id || '');
      })
      .catch(() => setDatasets([]));
    void refreshModels();
    fetch('/models/index.json', { cache: 'no-cache' })
      .then((r) => r.json())
      .then((json) => setShipped(ShippedIndexSchema.parse(json).models))
      .catch(() => setShipped([]));
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      // Navigating away inside the app unmounts this page: a live run pauses and saves its
      // checkpoint before the worker ends, rather than losing the steps since the last one.
      void client.current?.close();
      client.current = null;
    };
  }, [refreshModels, refreshSaved]);

  useEffect(() => {
    if (phase !== 'running') return;
    // Leaving the site or reloading ends the worker mid-run: ask first.
    const warn = (e: BeforeUnloadEvent) => {
      e.preventDefault();
      e.returnValue = '';
    };
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [phase]);

  useEffect(() => {
    if (phase !== 'running') return;
    const timer = setInterval(() => {
      if (runningSince.current !== null)
        setElapsed(elapsedBefore.current + (performance.now() - runningSince.current) / 1000);
    }, 500);
    return () => clearInterval(timer);
  }, [phase]);

  const onEvent = useCallback((e: TrainEvent) => {
    switch (e.type) {
      case 'loading':
        setLoadingMessage(e.message);
        return;
      case 'ready':
        bucket.current = { sum: 0, count: 0 };
        setRun({
          runId: e.runId,
          savedAt: e.savedAt,
          savedStep: e.savedAt ? e.step : undefined,
          datasetName: e.datasetName,
          width: e.width,
          height: e.height,
          parameters: e.parameters,
          trainImages: e.trainImages,
          evaluationSplit: e.evaluationSplit,
          backend: `${BACKEND_LABELS[e.backend.name] ?? e.backend.name}${e.workers > 1 ? ` · ${e.workers} workers` : ''}`,
          backendReason:
            e.workers > 1
              ? `${e.backend.reason}; each batch split across ${e.workers} workers, one per core`
              : e.backend.reason,
          workers: e.workers,
          step: e.step,
          totalSteps: e.totalSteps,
          startedFrom: settingsRef.current?.startFrom && {
            name: settingsRef.current.startFrom.card.name,
            steps: e.baseSteps,
          },
          history: e.history,
          sampling: e.samples,
          validation: e.history.validation.at(-1)?.[1],
          bitsPerDim: e.history.train.at(-1)?.[1],
        });
        return;
      case 'state':
        setPhase(e.state);
        setPending(null);
        recentSteps.current = [];
        setStepTimes([]);
        setRate(0);
        if (e.state === 'running') runningSince.current = performance.now();
        else if (runningSince.current !== null) {
          elapsedBefore.current += (performance.now() - runningSince.current) / 1000;
          runningSince.current = null;
          setElapsed(elapsedBefore.current);
        }
        return;
      case 'step': {
        const now = performance.now();
        const w = recentSteps.current;
        w.push([now, e.step]);
        while (w.length > 2 && now - w[0][0] > 15_000) w.shift();
        if (w.length >= 2) setRate((w[w.length - 1][1] - w[0][1]) / ((w[w.length - 1][0] - w[0][0]) / 1000));
        const span = etaSpan(settingsRef.current);
        setStepTimes((times) => addStepTime(times, [now, e.step], span));
        setRun((r) => {
          if (!r) return r;
          const every = Math.max(1, Math.ceil(r.totalSteps / CHART_POINTS));
          const b = bucket.current;
          b.sum += e.bitsPerDim;
          b.count++;
          let train = r.history.train;
          if (e.step % every === 0 || e.step === r.totalSteps) {
            train = [...train, [e.step, b.sum / b.count]];
            bucket.current = { sum: 0, count: 0 };
          }
          return {
            ...r,
            step: e.step,
            bitsPerDim: e.bitsPerDim,
            learningRate: e.learningRate,
            history: { ...r.history, train },
          };
        });
        return;
      }
      case 'validation':
        setRun(
          (r) =>
            r && {
              ...r,
              validation: e.bitsPerDim,
              history: { ...r.history, validation: [...r.history.validation, [e.step, e.bitsPerDim]] },
            },
        );
        return;
      case 'samples':
        setRun((r) => r && { ...r, samples: { step: e.step, images: e.images } });
        return;
      case 'checkpoint':
        setRun((r) => r && { ...r, savedAt: e.savedAt, savedStep: e.step, checkpointFailed: undefined });
        return;
      case 'checkpoint-failed':
        setRun((r) => r && { ...r, checkpointFailed: { step: e.step, message: e.message } });
        return;
    }
  }, []);

  const begin = async (settings: TrainSettings, resumeRunId?: string) => {
    // A crashed worker is gone: a fresh one resumes from the checkpoint.
    if (client.current?.dead) client.current = new TrainClient();
    const c = client.current;
    if (!c) return;
    settingsRef.current = settings;
    setError(undefined);
    setPublished(undefined);
    setPublishError(undefined);
    setRun(null);
    setPhase('loading');
    setLoadingMessage('Starting the training worker…');
    elapsedBefore.current = 0;
    runningSince.current = null;
    setElapsed(0);
    void refreshSaved(); // the run that was on screen is listed again
    try {
      await c.start(settings, resumeRunId, onEvent, backendsToAvoid());
    } catch (err) {
      setPhase('error');
      setPending(null);
      setError((err as Error).message);
    } finally {
      void refreshSaved();
    }
  };

  const start = () => {
    const evalEvery = evalEveryFor(steps);
    void begin({
      datasetId,
      preset,
      ...(startFrom && { startFrom: { url: startFrom.url, card: startFrom.card } }),
      steps,
      batchSize,
      learningRate,
      evalEvery,
      sampleEvery: samples ? Math.max(evalEvery, Math.round(steps / 10)) : 0,
      backend: 'auto',
    });
  };

  const control = async (action: 'pause' | 'resume' | 'stop') => {
    setPending(action);
    try {
      await client.current?.[action]();
    } catch (err) {
      setPending(null);
      setError((err as Error).message);
    }
  };

  const publish = async () => {
    const c = client.current;
    if (!c) return;
    setPublishing(true);
    setPublishError(undefined);
    try {
      const entry = await publishModel(await c.publish(publishName));
      setPublished(entry.card.id);
      await refreshModels();
    } catch (err) {
      setPublishError((err as Error).message);
    } finally {
      setPublishing(false);
    }
  };

  const discard = async (runId: string) => {
    const c = client.current;
    if (!c) return;
    await c.discard(runId);
    setRun((r) => (r?.runId === runId ? { ...r, savedAt: undefined, savedStep: undefined } : r));
    await refreshSaved();
  };

  const busy = phase === 'loading' || phase === 'running' || phase === 'paused';
  const dataset = datasets?.find((d) => d.id === datasetId);
  // Models a run on this dataset can start from: their tokens mean its pixels (same size and
  // tokenization; a palette model only on its own dataset, whose palette it learned).
  const startable = dataset
    ? [...shipped, ...(models ?? [])].filter(
        (m, i, all) =>
          all.findIndex((o) => o.url === m.url) === i &&
          m.card.dataset.width === dataset.width &&
          m.card.dataset.height === dataset.height &&
          m.card.dataset.tokenization === dataset.tokenization &&
          (dataset.tokenization === 'rgb' || m.card.dataset.id === dataset.id),
      )
    : [];
  const startFrom = startable.find((m) => m.url === startFromUrl);
  const percent = run ? Math.round((run.step / run.totalSteps) * 100) : 0;
  const eta = run ? etaSeconds(stepTimes, run.totalSteps) : undefined;
  // After a stop or a failure the run carries on from its last checkpoint, without a reload.
  const resumable =
    run && (phase === 'stopped' || phase === 'error') && run.savedStep !== undefined && run.savedStep < run.totalSteps;

  return (
    <div className="grid gap-8 lg:grid-cols-[20rem_1fr]">
      <aside className="flex flex-col gap-4">
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
            Runs in a background thread of this tab. Checkpoints are kept in this browser, so a reload can pick up where
            it left off.
          </p>
        </form>

        {savedError && (
          <p
            role="alert"
            data-testid="train-saved-error"
            className="rounded-lg border border-red-500/40 bg-red-500/10 p-3 text-xs text-red-200"
          >
            {savedError}
          </p>
        )}
        {/* Each run keeps its own slot; the run on screen has its controls in the panel. */}
        {saved.some((s) => s.runId !== run?.runId) && (
          <section
            aria-label="Saved runs"
            className="flex flex-col gap-3 rounded-xl border border-sky-500/30 bg-sky-500/5 p-4 text-sm"
          >
            <h2 className="font-medium text-sky-200">Saved runs</h2>
            {saved
              .filter((s) => s.runId !== run?.runId)
              .map((s) => {
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
                    <p className="text-xs text-neutral-500">saved {ago(s.savedAt)}</p>
                    {datasetGone && !s.openElsewhere && (
                      <p data-testid="train-saved-dataset-gone" className="mt-2 text-xs text-amber-300">
                        Its dataset was deleted, so this run can no longer train, validate or publish. Discard it to
                        free the space it takes.
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
                          onClick={() => void begin(s.settings, s.runId)}
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
                          onConfirm={() => discard(s.runId)}
                        />
                      </div>
                    )}
                  </div>
                );
              })}
          </section>
        )}
      </aside>

      <section aria-label="Training run" className="flex min-w-0 flex-col gap-4">
        {error && (
          <p role="alert" className="rounded-lg border border-red-500/40 bg-red-500/10 p-3 text-sm text-red-200">
            {error}
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
            <span className="h-3 w-3 animate-pulse rounded-full bg-emerald-400" /> {loadingMessage}
          </div>
        )}
        {run && (
          <>
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
                <div
                  data-testid="train-progress"
                  role="progressbar"
                  aria-label="Training progress"
                  aria-valuemin={0}
                  aria-valuemax={run.totalSteps}
                  aria-valuenow={run.step}
                  aria-valuetext={`${run.step} of ${run.totalSteps} steps`}
                  className="h-2 overflow-hidden rounded-full bg-neutral-800"
                >
                  <div
                    className={`h-full rounded-full transition-[width] duration-300 ${phase === 'paused' ? 'bg-amber-400' : 'bg-emerald-400'}`}
                    style={{ width: `${percent}%` }}
                  />
                </div>
                <dl className="mt-4 grid grid-cols-2 gap-3 sm:grid-cols-5">
                  <Stat label="Steps/s" value={rate > 0 ? rate.toFixed(rate < 10 ? 2 : 1) : '—'} />
                  <Stat
                    label="ETA"
                    value={phase === 'running' && eta !== undefined ? duration(eta) : phase === 'done' ? 'done' : '—'}
                  />
                  <Stat label="Elapsed" value={duration(elapsed)} />
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
                    onClick={() => void begin(settingsRef.current!, run.runId)}
                    className={`${secondaryButton} border-emerald-500/50 text-emerald-200`}
                  >
                    Resume from step {run.savedStep!.toLocaleString()}
                  </button>
                ) : phase !== 'paused' ? (
                  <button
                    data-testid="train-pause"
                    type="button"
                    onClick={() => void control('pause')}
                    disabled={phase !== 'running' || pending !== null}
                    className={secondaryButton}
                  >
                    {pending === 'pause' ? 'Pausing after this step…' : 'Pause'}
                  </button>
                ) : (
                  <button
                    data-testid="train-resume"
                    type="button"
                    onClick={() => void control('resume')}
                    disabled={pending !== null}
                    className={`${secondaryButton} border-emerald-500/50 text-emerald-200`}
                  >
                    Resume
                  </button>
                )}
                <button
                  data-testid="train-stop"
                  type="button"
                  onClick={() => void control('stop')}
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
                    onConfirm={() => discard(run.runId)}
                  />
                )}
                <span
                  data-testid="train-checkpoint"
                  data-saved-step={run.savedStep ?? ''}
                  className="ml-auto text-xs text-neutral-500"
                >
                  {run.savedAt
                    ? `Checkpoint saved at ${new Date(run.savedAt).toLocaleTimeString()}`
                    : 'No checkpoint yet'}
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

            <LossChart
              train={run.history.train}
              validation={run.history.validation}
              totalSteps={run.totalSteps}
              evaluationSplit={run.evaluationSplit}
            />

            <div className="grid gap-4 md:grid-cols-2">
              <figure className="flex flex-col rounded-xl border border-neutral-800 bg-neutral-900/60 p-4">
                <figcaption className="mb-3 text-xs font-medium text-neutral-200">
                  Samples{' '}
                  {run.samples && <span className="font-normal text-neutral-500">at step {run.samples.step}</span>}
                </figcaption>
                {run.samples ? (
                  <div data-testid="train-samples" className="flex flex-wrap gap-3">
                    {run.samples.images.map((image, i) => (
                      <SampleImageCanvas
                        key={`${run.samples!.step}-${i}`}
                        image={image}
                        label={`Sample ${i + 1} at step ${run.samples!.step}`}
                      />
                    ))}
                  </div>
                ) : (
                  <p className="text-xs text-neutral-500">
                    {run.sampling === 'on' &&
                      'Two images are drawn from the model every few steps, so you can watch it learn.'}
                    {run.sampling === 'off' && 'Sample images are switched off for this run.'}
                    {run.sampling === 'too-long' &&
                      `No samples during this run: ${run.width}×${run.height} images are longer than ${MAX_SAMPLE_TOKENS.toLocaleString()} tokens, and drawing them would stall training for minutes. Publish the model and generate in the Studio instead.`}
                  </p>
                )}
              </figure>
              <div className="flex flex-col gap-3 rounded-xl border border-neutral-800 bg-neutral-900/60 p-4">
                <Field
                  label="Publish as"
                  hint="The model and its card go to this server, for the studio and everyone using it."
                >
                  <input
                    value={publishName}
                    onChange={(e) => setPublishName(e.target.value)}
                    placeholder={`${run.datasetName} · ${(run.startedFrom?.steps ?? 0) + run.step} steps`}
                    className={inputClass}
                  />
                </Field>
                <button
                  data-testid="train-publish"
                  type="button"
                  onClick={() => void publish()}
                  disabled={publishing || phase === 'loading' || run.step === 0}
                  className="self-start rounded-md bg-emerald-500 px-4 py-2 text-sm font-medium text-neutral-950 hover:bg-emerald-400 disabled:cursor-not-allowed disabled:opacity-40"
                >
                  {publishing
                    ? 'Publishing…'
                    : `Publish step ${((run.startedFrom?.steps ?? 0) + run.step).toLocaleString()}`}
                </button>
                {published && (
                  <p className="text-sm text-emerald-300">
                    Published as <span className="font-mono">{published}</span>; it is in the list below.
                  </p>
                )}
                {publishError && (
                  <p role="alert" className="text-sm text-red-300">
                    {publishError}
                  </p>
                )}
              </div>
            </div>
          </>
        )}
      </section>

      <div className="lg:col-span-2">
        <ModelList
          models={models}
          highlight={published}
          error={modelsError}
          onDeleted={(id) => setModels((m) => m?.filter((x) => x.card.id !== id) ?? null)}
        />
      </div>
    </div>
  );
}

const inputClass =
  'w-full rounded-md border border-neutral-700 bg-neutral-950 px-3 py-2 text-sm text-neutral-100 focus:border-emerald-500 focus:outline-none disabled:opacity-60';
const secondaryButton =
  'rounded-md border border-neutral-700 px-4 py-1.5 text-sm text-neutral-200 hover:bg-neutral-800 disabled:cursor-not-allowed disabled:opacity-40';

function Field({ label, hint, children }: { label: string; hint?: string; children: React.ReactNode }) {
  return (
    <label className="flex flex-col gap-1.5 text-xs font-medium text-neutral-400">
      {label}
      {children}
      {hint && <span className="font-normal text-neutral-500">{hint}</span>}
    </label>
  );
}

function Stat({
  label,
  value,
  accent = 'text-neutral-100',
  title,
  testId,
}: {
  label: string;
  value: string;
  accent?: string;
  title?: string;
  testId?: string;
}) {
  return (
    <div className="rounded-lg bg-neutral-950/60 px-3 py-2" title={title} data-testid={testId}>
      <dt className="text-[11px] uppercase tracking-wide text-neutral-500">{label}</dt>
      <dd className={`font-mono text-base tabular-nums ${accent}`}>{value}</dd>
    </div>
  );
}

const BADGES: Record<Phase, [string, string]> = {
  idle: ['Idle', 'border-neutral-700 text-neutral-400'],
  loading: ['Loading', 'border-sky-500/40 text-sky-300'],
  running: ['Training', 'border-emerald-500/40 bg-emerald-500/10 text-emerald-300'],
  paused: ['Paused', 'border-amber-500/40 bg-amber-500/10 text-amber-300'],
  stopped: ['Stopped', 'border-neutral-600 text-neutral-300'],
  done: ['Finished', 'border-emerald-500/40 text-emerald-300'],
  error: ['Failed', 'border-red-500/40 text-red-300'],
};

function StateBadge({ phase }: { phase: Phase }) {
  const [label, cls] = BADGES[phase];
  return (
    <span
      data-testid="train-state"
      data-state={phase}
      className={`flex items-center gap-1.5 rounded-full border px-2.5 py-1 text-xs font-medium ${cls}`}
    >
      {phase === 'running' && <span className="h-1.5 w-1.5 animate-pulse rounded-full bg-emerald-400" />}
      {label}
    </span>
  );
}
