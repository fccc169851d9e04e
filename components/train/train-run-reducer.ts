/**
 * The Train page's view of a run, as a pure reducer of the worker's events and the page's own
 * actions. Times come in with the actions (`now`, from `performance.now()`), so the reducer is
 * deterministic and tested without a worker or a clock.
 */
import type { RunState, SampleImage, TrainEvent, TrainHistory, TrainSettings } from '@/lib/runtime/train-protocol';
import { addStepTime, etaSpan, type StepTime } from './eta';

export type Phase = 'idle' | RunState | 'error';

export type Control = 'pause' | 'resume' | 'stop';

export interface RunView {
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
  /** A class-conditional run's classes, by class id; absent for an unconditional run. */
  classes?: string[];
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

export interface TrainRunState {
  phase: Phase;
  loadingMessage: string;
  error?: string;
  run: RunView | null;
  /** The settings of the run being started or shown, for what its events leave out. */
  settings: TrainSettings | null;
  /** A control the worker has been asked for but not yet acted on (it acts between steps). */
  pending: Control | null;
  /** Steps/s over a sliding window of recent steps (`recentSteps`), reset whenever the run pauses. */
  rate: number;
  recentSteps: [ms: number, step: number][];
  /** Step events of this running stretch over the last period of pauses: what the ETA extrapolates (eta.ts). */
  stepTimes: StepTime[];
  /** Running mean of training bits/dim since the last chart point. */
  bucket: { sum: number; count: number };
  /** Seconds spent running: `elapsedBefore` for the stretches that ended, plus the one since `runningSince`. */
  elapsed: number;
  elapsedBefore: number;
  runningSince: number | null;
}

export type TrainRunAction =
  /** The page asked the worker for a run (new, or the saved one it resumes). */
  | { type: 'begin'; settings: TrainSettings }
  | { type: 'event'; event: TrainEvent; now: number }
  /** The run failed (or could not start). */
  | { type: 'failed'; message: string }
  | { type: 'control'; control: Control }
  | { type: 'control-failed'; message: string }
  /** The elapsed clock's tick while running. */
  | { type: 'tick'; now: number }
  /** A run's checkpoint was discarded: the run on screen, if it is that one, has none left. */
  | { type: 'discarded'; runId: string };

export const initialTrainRun: TrainRunState = {
  phase: 'idle',
  loadingMessage: '',
  run: null,
  settings: null,
  pending: null,
  rate: 0,
  recentSteps: [],
  stepTimes: [],
  bucket: { sum: 0, count: 0 },
  elapsed: 0,
  elapsedBefore: 0,
  runningSince: null,
};

const BACKEND_LABELS: Record<string, string> = { webgpu: 'WebGPU', wasm: 'WebAssembly', webgl: 'WebGL', cpu: 'CPU' };

/** Points on the training curve; beyond this a point averages several steps (as the worker does). */
const CHART_POINTS = 400;

/** Steps/s is measured over at most this much recent time. */
const RATE_WINDOW_MS = 15_000;

export function trainRunReducer(state: TrainRunState, action: TrainRunAction): TrainRunState {
  switch (action.type) {
    case 'begin':
      return {
        ...state,
        settings: action.settings,
        error: undefined,
        run: null,
        phase: 'loading',
        loadingMessage: 'Starting the training worker…',
        elapsedBefore: 0,
        runningSince: null,
        elapsed: 0,
      };
    case 'failed':
      return { ...state, phase: 'error', pending: null, error: action.message };
    case 'control':
      return { ...state, pending: action.control };
    case 'control-failed':
      return { ...state, pending: null, error: action.message };
    case 'tick':
      return state.runningSince === null
        ? state
        : { ...state, elapsed: state.elapsedBefore + (action.now - state.runningSince) / 1000 };
    case 'discarded':
      return state.run?.runId === action.runId
        ? { ...state, run: { ...state.run, savedAt: undefined, savedStep: undefined } }
        : state;
    case 'event':
      return onEvent(state, action.event, action.now);
  }
}

function onEvent(state: TrainRunState, e: TrainEvent, now: number): TrainRunState {
  const run = state.run;
  switch (e.type) {
    case 'loading':
      return { ...state, loadingMessage: e.message };
    case 'ready':
      return { ...state, bucket: { sum: 0, count: 0 }, run: viewOf(e, state.settings) };
    case 'state': {
      const next = { ...state, phase: e.state, pending: null, recentSteps: [], stepTimes: [], rate: 0 };
      if (e.state === 'running') return { ...next, runningSince: now };
      if (state.runningSince === null) return next;
      const elapsedBefore = state.elapsedBefore + (now - state.runningSince) / 1000;
      return { ...next, elapsedBefore, runningSince: null, elapsed: elapsedBefore };
    }
    case 'step': {
      const recentSteps = [...state.recentSteps, [now, e.step] as [number, number]];
      while (recentSteps.length > 2 && now - recentSteps[0][0] > RATE_WINDOW_MS) recentSteps.shift();
      const first = recentSteps[0];
      const last = recentSteps[recentSteps.length - 1];
      const rate = recentSteps.length >= 2 ? (last[1] - first[1]) / ((last[0] - first[0]) / 1000) : state.rate;
      const stepTimes = addStepTime(state.stepTimes, [now, e.step], etaSpan(state.settings));
      const next = { ...state, recentSteps, rate, stepTimes };
      if (!run) return next;
      // Training points are means over a few steps, as the worker keeps them.
      const every = Math.max(1, Math.ceil(run.totalSteps / CHART_POINTS));
      let bucket = { sum: state.bucket.sum + e.bitsPerDim, count: state.bucket.count + 1 };
      let train = run.history.train;
      if (e.step % every === 0 || e.step === run.totalSteps) {
        train = [...train, [e.step, bucket.sum / bucket.count]];
        bucket = { sum: 0, count: 0 };
      }
      return {
        ...next,
        bucket,
        run: {
          ...run,
          step: e.step,
          bitsPerDim: e.bitsPerDim,
          learningRate: e.learningRate,
          history: { ...run.history, train },
        },
      };
    }
    case 'validation':
      return withRun(state, (r) => ({
        ...r,
        validation: e.bitsPerDim,
        history: { ...r.history, validation: [...r.history.validation, [e.step, e.bitsPerDim]] },
      }));
    case 'samples':
      return withRun(state, (r) => ({ ...r, samples: { step: e.step, images: e.images } }));
    case 'checkpoint':
      return withRun(state, (r) => ({ ...r, savedAt: e.savedAt, savedStep: e.step, checkpointFailed: undefined }));
    case 'checkpoint-failed':
      return withRun(state, (r) => ({ ...r, checkpointFailed: { step: e.step, message: e.message } }));
  }
}

function withRun(state: TrainRunState, update: (run: RunView) => RunView): TrainRunState {
  return state.run ? { ...state, run: update(state.run) } : state;
}

function viewOf(e: Extract<TrainEvent, { type: 'ready' }>, settings: TrainSettings | null): RunView {
  return {
    runId: e.runId,
    savedAt: e.savedAt,
    savedStep: e.savedAt ? e.step : undefined,
    datasetName: e.datasetName,
    width: e.width,
    height: e.height,
    parameters: e.parameters,
    classes: e.classes,
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
    startedFrom: settings?.startFrom && { name: settings.startFrom.card.name, steps: e.baseSteps },
    history: e.history,
    sampling: e.samples,
    validation: e.history.validation.at(-1)?.[1],
    bitsPerDim: e.history.train.at(-1)?.[1],
  };
}
