/**
 * What the Train page talks to: the worker client (train-client.ts) and the in-process engine
 * (training/session.ts) alike, as `StudioEngine` is for generation, so tests run whole runs without
 * a worker. One run at a time: `start` stays open for the whole run and streams its events;
 * `pause`, `resume`, `stop` and `publish` act on it between steps.
 */
import type { AvoidList } from './backend-checks';
import type { PublishArtifacts, SavedRun, TrainEvent, TrainResults, TrainSettings } from './train-protocol';

export interface TrainEngine {
  /** Runs saved in this browser, each marked if another tab has it open. */
  list(): Promise<SavedRun[]>;
  /**
   * A new run of `settings`, or the saved run `resumeRunId` (with its own settings), streamed to
   * `onEvent` until it ends; `avoid`: backends automatic selection skips (backend-checks.ts).
   */
  start(
    settings: TrainSettings,
    resumeRunId: string | undefined,
    onEvent: (event: TrainEvent) => void,
    avoid?: AvoidList,
  ): Promise<TrainResults['start']>;
  pause(): Promise<TrainResults['pause']>;
  resume(): Promise<TrainResults['resume']>;
  stop(): Promise<TrainResults['stop']>;
  /** The model as it is now, with a card describing the run, ready for POST /api/models. */
  publish(name?: string): Promise<PublishArtifacts>;
  discard(runId: string): Promise<TrainResults['discard']>;
  /** Pauses a live run and answers once its checkpoint is saved, so the engine may end without losing steps. */
  close(): Promise<TrainResults['close']>;
  /** Frees the engine; a run still training is stopped first. */
  dispose(): void;
}

export { InProcessTrainEngine, type SessionDeps } from './training/session';
