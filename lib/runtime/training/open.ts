/**
 * Opening a run: its trainer from fresh weights, from a starting model, or from its checkpoint;
 * its gradient helpers; and the 'ready' event that tells the page what it is about to train.
 */
import type { DatasetManifest } from '@/lib/pixels/manifest';
import { ReformerLM } from '@/lib/reformer/model';
import { configFor } from '@/lib/training/presets';
import { DEFAULT_TRAIN, Trainer } from '@/lib/training/trainer';
import type { BackendChoice } from '../backends';
import type { CheckpointStore } from '../train-checkpoints';
import { MAX_SAMPLE_TOKENS, type TrainEvent, type TrainHistory, type TrainSettings } from '../train-protocol';
import { readCheckpoint } from './checkpoints';
import { loadDataset, startingModel } from './data';
import { startHelpers } from './helpers';
import type { Emit, Run } from './run';

/** Validation images per evaluation: enough to compare runs, few enough to keep the loop moving. */
const EVAL_IMAGES = 8;

export interface OpenRequest {
  runId: string;
  /** Lets go of the run's Web Lock, already held. */
  release: () => Promise<void>;
  requested: TrainSettings;
  /** Resume the saved run `runId` (with its own settings) rather than start a new one. */
  resume: boolean;
  backend: BackendChoice;
  emit: Emit;
}

/** The run, and its 'ready' event for the session to send once it holds the run. */
export async function openRun(
  deps: { store: CheckpointStore; fetchFn: typeof fetch },
  { runId, release, requested, resume, backend, emit }: OpenRequest,
): Promise<{ run: Run; ready: TrainEvent }> {
  let settings = requested;
  let history: TrainHistory = { train: [], validation: [] };
  let savedAt: string | undefined;
  let trainer: Trainer;
  let manifest: DatasetManifest;
  if (resume) {
    emit({ type: 'loading', message: 'Reading the saved checkpoint…' });
    const { artifacts, summary } = await readCheckpoint(deps.store, runId);
    settings = summary.settings;
    history = summary.history;
    savedAt = summary.savedAt;
    emit({ type: 'loading', message: `Downloading ${summary.datasetName}…` });
    const loaded = await loadDataset(deps.fetchFn, settings.datasetId);
    manifest = loaded.manifest;
    trainer = Trainer.fromCheckpoint(artifacts, loaded.data);
  } else {
    emit({ type: 'loading', message: 'Downloading the dataset…' });
    const loaded = await loadDataset(deps.fetchFn, settings.datasetId);
    manifest = loaded.manifest;
    const options = {
      ...DEFAULT_TRAIN,
      steps: settings.steps,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      warmupSteps: Math.min(DEFAULT_TRAIN.warmupSteps, Math.floor(settings.steps / 10)),
      evalEvery: settings.evalEvery,
      evalImages: EVAL_IMAGES,
    };
    // A dataset with classes trains a class-conditional model unless the run says not to, as the CLI does.
    const classes = (settings.conditional ?? true) ? (loaded.data.labels?.classes.length ?? 0) : 0;
    let model: ReformerLM;
    if (settings.startFrom) {
      emit({ type: 'loading', message: `Downloading ${settings.startFrom.card.name}…` });
      model = await startingModel(deps.fetchFn, settings.startFrom, manifest, classes > 0);
    } else {
      model = new ReformerLM({ ...configFor(settings.preset, manifest, { seed: options.seed }), classes });
    }
    try {
      trainer = new Trainer(model, loaded.data, options);
    } catch (err) {
      model.dispose();
      throw err;
    }
  }

  emit({ type: 'loading', message: 'Starting workers…' });
  const helpers = await startHelpers(trainer, backend);
  const run: Run = {
    runId,
    emit,
    release,
    helpers,
    trainer,
    manifest,
    settings,
    history,
    state: 'running',
    lastValidation: history.validation.at(-1)?.[1],
    savedStep: resume ? trainer.step : undefined,
    pauseSaved: false,
    onSettled: [],
    pauseRequested: false,
    stopRequested: false,
    bucket: { sum: 0, count: 0 },
  };
  const ready: TrainEvent = {
    type: 'ready',
    runId,
    ...(savedAt && { savedAt }),
    backend,
    datasetName: manifest.name,
    width: manifest.width,
    height: manifest.height,
    parameters: trainer.model.parameterCount,
    ...(trainer.conditional && { classes: trainer.data.labels!.classes }),
    workers: 1 + helpers.length,
    trainImages: Math.floor(trainer.data.train.length / trainer.data.seqLength),
    evaluationSplit: trainer.evaluationSplit,
    step: trainer.step,
    baseSteps: settings.startFrom?.card.steps ?? 0,
    totalSteps: trainer.options.steps,
    history,
    samples: settings.sampleEvery === 0 ? 'off' : manifest.seqLength > MAX_SAMPLE_TOKENS ? 'too-long' : 'on',
  };
  return { run, ready };
}
