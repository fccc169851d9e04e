/**
 * The training worker's protocol, in one file (the same shape as protocol.ts): the UI sends
 * `{ kind, id, payload }` requests; the worker answers each id with any number of `progress`
 * replies and then exactly one `result` or `error`. A `start` stays open for the whole run and
 * streams TrainEvents; `pause`, `resume`, `stop`, `publish` and `close` act on that run between steps.
 */
import type { ModelCard } from '@/lib/models/card';
import type { AvoidList } from './backend-checks';
import type { BackendChoice, BackendName } from './backends';

export type TrainPreset = 'tiny' | 'small';

/** A published or shipped model a run starts from, instead of fresh weights. */
export interface StartFrom {
  /** Its model.json (the server's /models/… or /api/models/…). */
  url: string;
  card: ModelCard;
}

export interface TrainSettings {
  datasetId: string;
  /** For a fresh model; a run with `startFrom` has that model's layers. */
  preset: TrainPreset;
  /** Start from this model's weights (fresh optimizer state); steps then count on from its. */
  startFrom?: StartFrom;
  /**
   * On a dataset with classes: train a class-conditional model (each image fed its class, "no
   * class" for a share of them), as `npm run train` does; false trains an unconditional one. Absent
   * (runs saved before classes) = true. Ignored for a dataset without classes.
   */
  conditional?: boolean;
  steps: number;
  batchSize: number;
  learningRate: number;
  /** Validation (and a checkpoint into IndexedDB) every N steps, and at the end. */
  evalEvery: number;
  /** Sample images every N steps (0: never): two, or one per class for the first few classes of a class-conditional run. */
  sampleEvery: number;
  backend: BackendName | 'auto';
}

/** [step, bits/dim] pairs; training points are means over a few steps so a long run stays small. */
export interface TrainHistory {
  train: [number, number][];
  validation: [number, number][];
}

/** What IndexedDB holds about a saved run, enough to offer "resume" before loading anything heavy. */
export interface CheckpointSummary {
  /** The run's own slot (and Web Lock): made when it starts, kept when it resumes. */
  runId: string;
  settings: TrainSettings;
  datasetName: string;
  step: number;
  savedAt: string;
  history: TrainHistory;
}

/** A saved run as the page lists it. */
export interface SavedRun extends CheckpointSummary {
  /** Live in another tab (or a page still saving it): only that tab may resume or discard it. */
  openElsewhere: boolean;
}

export interface SampleImage {
  width: number;
  height: number;
  /** Interleaved RGB, [height · width · 3]. */
  rgb: Uint8Array;
  /** The class it was drawn as, for a class-conditional model. */
  label?: string;
}

export type RunState = 'loading' | 'running' | 'paused' | 'stopped' | 'done';

export type TrainEvent =
  | { type: 'loading'; message: string }
  | {
      type: 'ready';
      runId: string;
      /** When the checkpoint the run resumed from was saved; none for a new run. */
      savedAt?: string;
      backend: BackendChoice;
      datasetName: string;
      width: number;
      height: number;
      parameters: number;
      /** Workers computing each step: this one and its gradient helpers (lib/runtime/gradient-worker.ts). */
      workers: number;
      trainImages: number;
      /** What the 'validation' events measure: the validation images, or the training images of a dataset without any. */
      evaluationSplit: 'validation' | 'train';
      /** The step the run starts from (0, or the checkpoint's). */
      step: number;
      /** Steps of the model the run started from (settings.startFrom), 0 for a fresh model: shown, and counted on the card. */
      baseSteps: number;
      totalSteps: number;
      history: TrainHistory;
      /** The classes a class-conditional run's model is given, by class id; absent for an unconditional one. */
      classes?: string[];
      /** Whether sample images are drawn: not when switched off, nor for images so long that decoding them would stall training for minutes. */
      samples: 'on' | 'off' | 'too-long';
    }
  | { type: 'step'; step: number; bitsPerDim: number; learningRate: number; gradNorm: number; ms: number }
  | { type: 'validation'; step: number; bitsPerDim: number }
  | { type: 'samples'; step: number; images: SampleImage[] }
  | { type: 'checkpoint'; step: number; savedAt: string }
  /** Saving failed (the browser's storage is full, say); training goes on, and the next save tries again. */
  | { type: 'checkpoint-failed'; step: number; message: string }
  | { type: 'state'; state: RunState; step: number };

/** Model-only artifacts with the card in userDefinedMetadata: what POST /api/models takes. */
export interface PublishArtifacts {
  modelTopology: unknown;
  format: string;
  generatedBy: string;
  weightSpecs: unknown[];
  weightData: ArrayBuffer;
  userDefinedMetadata: { card: ModelCard };
}

export type TrainRequest =
  | { kind: 'list'; id: number; payload: Record<string, never> }
  /** A new run of `settings`, or with `resumeRunId` that saved run (its own settings). */
  | { kind: 'start'; id: number; payload: { settings: TrainSettings; resumeRunId?: string; avoid?: AvoidList } }
  | { kind: 'pause'; id: number; payload: Record<string, never> }
  | { kind: 'resume'; id: number; payload: Record<string, never> }
  | { kind: 'stop'; id: number; payload: Record<string, never> }
  | { kind: 'publish'; id: number; payload: { name?: string } }
  | { kind: 'discard'; id: number; payload: { runId: string } }
  /** The page is going away: pause a live run and answer once its checkpoint is saved, so the worker may end. */
  | { kind: 'close'; id: number; payload: Record<string, never> };

export interface TrainResults {
  list: SavedRun[];
  /** Where the run ended. */
  start: { step: number; state: 'stopped' | 'done' };
  pause: { step: number };
  resume: { step: number };
  stop: { step: number };
  publish: PublishArtifacts;
  discard: { discarded: boolean };
  /** The step of the checkpoint the run was left at (none when nothing was running). */
  close: { savedStep: number | null };
}

export interface ErrorPayload {
  name: string;
  message: string;
}

export type TrainReply =
  | { kind: 'progress'; id: number; payload: TrainEvent }
  | { kind: 'result'; id: number; payload: TrainResults[keyof TrainResults] }
  | { kind: 'error'; id: number; payload: ErrorPayload };

/** A class-conditional run's samples: one image of each of its first this many classes. */
export const SAMPLE_CLASSES = 4;

/** Longest image (in tokens) the worker draws samples of during training: 32×32 RGB. */
export const MAX_SAMPLE_TOKENS = 3072;
