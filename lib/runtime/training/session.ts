/**
 * One tab's training, in process: at most one run, opened, trained, published and closed on
 * request. It runs inside the training worker (train-worker.ts) for the page, and directly in
 * tests; its checkpoint store, Web Locks and fetch are injected so tests need no browser.
 */
import type { AvoidList } from '../backend-checks';
import { type BackendChoice, selectBackend } from '../backends';
import { NothingTrainingError, RunInProgressError, RunOpenElsewhereError } from '../errors';
import { type CheckpointStore, indexedDbCheckpoints, type RunLocks, webRunLocks } from '../train-checkpoints';
import type { TrainEngine } from '../train-engine';
import type { PublishArtifacts, SavedRun, TrainEvent, TrainResults, TrainSettings } from '../train-protocol';
import { newRunId } from './checkpoints';
import { stopHelpers } from './helpers';
import { trainLoop } from './loop';
import { openRun } from './open';
import { publishArtifacts } from './publish';
import { isLive, type Run, settle } from './run';

/** What a session talks to besides its page; the browser's by default, stand-ins in tests. */
export interface SessionDeps {
  store: CheckpointStore;
  locks: RunLocks;
  fetchFn: typeof fetch;
}

export class InProcessTrainEngine implements TrainEngine {
  private backend: BackendChoice | undefined;
  private run: Run | undefined;
  /** The run's loop, while there is one: `dispose` frees the run once it has ended. */
  private training: Promise<unknown> = Promise.resolve();
  private readonly deps: SessionDeps;

  constructor(deps: Partial<SessionDeps> = {}) {
    this.deps = {
      store: deps.store ?? indexedDbCheckpoints,
      locks: deps.locks ?? webRunLocks,
      fetchFn: deps.fetchFn ?? ((input, init) => fetch(input, init)),
    };
  }

  async list(): Promise<SavedRun[]> {
    const [runs, held] = await Promise.all([this.deps.store.list(), this.deps.locks.held()]);
    // The run open here holds its own lock.
    return runs.map((s) => ({ ...s, openElsewhere: held.has(s.runId) && s.runId !== this.run?.runId }));
  }

  async start(
    requested: TrainSettings,
    resumeRunId: string | undefined,
    onEvent: (event: TrainEvent) => void,
    avoid?: AvoidList,
  ): Promise<TrainResults['start']> {
    if (isLive(this.run)) throw new RunInProgressError();
    // Lets go of the run shown here (and its lock) first: it may be the one being resumed.
    await this.disposeRun();
    const runId = resumeRunId ?? newRunId();
    const release = await this.deps.locks.tryHold(runId);
    if (!release) throw new RunOpenElsewhereError('resumed');
    let r: Run;
    try {
      onEvent({ type: 'loading', message: 'Choosing a backend…' });
      this.backend ??= await selectBackend({ force: requested.backend, avoid });
      const opened = await openRun(this.deps, {
        runId,
        release,
        requested,
        resume: resumeRunId !== undefined,
        backend: this.backend,
        emit: onEvent,
      });
      r = opened.run;
      this.run = r;
      onEvent(opened.ready);
    } catch (err) {
      await release();
      throw err;
    }
    const training = trainLoop(this.deps.store, r).catch((err) => {
      r.state = 'stopped';
      settle(r);
      throw err;
    });
    this.training = training.catch(() => undefined);
    return training;
  }

  async pause(): Promise<TrainResults['pause']> {
    const r = this.activeRun();
    r.pauseRequested = true;
    r.samples?.abort();
    return { step: r.trainer.step };
  }

  async resume(): Promise<TrainResults['resume']> {
    const r = this.activeRun();
    r.pauseRequested = false;
    r.wake?.();
    return { step: r.trainer.step };
  }

  async stop(): Promise<TrainResults['stop']> {
    const r = this.activeRun();
    r.stopRequested = true;
    r.samples?.abort();
    r.wake?.();
    return { step: r.trainer.step };
  }

  publish(name?: string): Promise<PublishArtifacts> {
    return publishArtifacts(this.activeRun(), name);
  }

  async discard(runId: string): Promise<TrainResults['discard']> {
    const { store, locks } = this.deps;
    if (this.run?.runId === runId) {
      if (this.run.state !== 'stopped' && this.run.state !== 'done')
        throw new RunInProgressError('Stop the run before discarding its checkpoint.');
      return { discarded: await store.remove(runId) }; // its lock is this session's
    }
    const release = await locks.tryHold(runId);
    if (!release) throw new RunOpenElsewhereError('discarded');
    try {
      return { discarded: await store.remove(runId) };
    } finally {
      await release();
    }
  }

  async close(): Promise<TrainResults['close']> {
    const r = this.run;
    if (r && (r.state === 'running' || r.state === 'paused') && !r.pauseSaved) {
      const settled = new Promise<void>((resolve) => r.onSettled.push(resolve));
      r.pauseRequested = true;
      r.samples?.abort();
      await settled;
    }
    return { savedStep: r?.savedStep ?? null };
  }

  dispose(): void {
    const r = this.run;
    if (r) {
      r.stopRequested = true;
      r.samples?.abort();
      r.wake?.();
    }
    void this.training.then(() => this.disposeRun());
  }

  private activeRun(): Run {
    if (!this.run) throw new NothingTrainingError();
    return this.run;
  }

  /** Frees the run's model and helpers; done once its lock is free. */
  private async disposeRun(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = undefined;
    stopHelpers(r.helpers);
    r.trainer.model.dispose();
    r.trainer.dispose();
    await r.release();
  }
}
