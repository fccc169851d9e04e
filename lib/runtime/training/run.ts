/**
 * One training run as the session holds it between requests: its trainer, dataset, settings and
 * history, its Web Lock, and the flags that pause, resume and stop requests set for the loop to
 * act on between steps. The small helpers every part of a run uses live here too.
 */
import type { DatasetManifest } from '@/lib/pixels/manifest';
import type { Trainer } from '@/lib/training/trainer';
import type { RunState, TrainEvent, TrainHistory, TrainSettings } from '../train-protocol';
import type { Helper } from './helpers';

/** Where a run's events go: the page's callback (through the worker, or in process). */
export type Emit = (event: TrainEvent) => void;

export interface Run {
  runId: string;
  emit: Emit;
  /** Lets go of the run's Web Lock. */
  release: () => Promise<void>;
  trainer: Trainer;
  manifest: DatasetManifest;
  settings: TrainSettings;
  history: TrainHistory;
  state: RunState;
  lastValidation?: number;
  /** The step of the last checkpoint saved (the one a resume starts from). */
  savedStep?: number;
  /** Paused, and the pause's checkpoint written (or tried). */
  pauseSaved: boolean;
  /** Told when the run is paused with its checkpoint saved, or has ended: `close` waits for it. */
  onSettled: (() => void)[];
  pauseRequested: boolean;
  stopRequested: boolean;
  wake?: () => void;
  samples?: AbortController;
  /** Running mean of training bits/dim since the last chart point. */
  bucket: { sum: number; count: number };
  /** Gradient helpers in other workers, splitting each batch with this one. */
  helpers: Helper[];
}

/** Lets queued messages in between steps: awaiting tensor data alone may never yield. */
export const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export function settle(r: Run): void {
  for (const tell of r.onSettled.splice(0)) tell();
}

export function setState(r: Run, state: RunState): void {
  r.state = state;
  r.emit({ type: 'state', state, step: r.trainer.step });
}

/** Whether the run is live here: its loop is running or waiting, so it holds its model and lock busy. */
export function isLive(r: Run | undefined): r is Run {
  return r !== undefined && (r.state === 'running' || r.state === 'paused' || r.state === 'loading');
}
