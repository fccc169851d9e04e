import { expect, test } from 'vitest';
import {
  initialTrainRun,
  type TrainRunAction,
  trainRunReducer,
  type TrainRunState,
} from '@/components/train/train-run-reducer';
import type { TrainEvent, TrainSettings } from '@/lib/runtime/train-protocol';

const settings: TrainSettings = {
  datasetId: 'icons',
  preset: 'tiny',
  steps: 800,
  batchSize: 4,
  learningRate: 1e-3,
  evalEvery: 40,
  sampleEvery: 80,
  backend: 'auto',
};

const ready = (over: Partial<Extract<TrainEvent, { type: 'ready' }>> = {}): TrainEvent => ({
  type: 'ready',
  runId: 'run-1',
  backend: { name: 'wasm', reason: 'WebAssembly runs everywhere' },
  datasetName: 'Icons',
  width: 8,
  height: 8,
  parameters: 1000,
  workers: 2,
  trainImages: 90,
  evaluationSplit: 'validation',
  step: 0,
  baseSteps: 0,
  totalSteps: 800,
  history: { train: [], validation: [] },
  samples: 'on',
  ...over,
});

const step = (n: number, bitsPerDim = 2): TrainEvent => ({
  type: 'step',
  step: n,
  bitsPerDim,
  learningRate: 1e-3,
  gradNorm: 1,
  ms: 100,
});

/** The state after `actions`, in order. */
const after = (actions: TrainRunAction[], from: TrainRunState = initialTrainRun) =>
  actions.reduce(trainRunReducer, from);
const event = (e: TrainEvent, now = 0): TrainRunAction => ({ type: 'event', event: e, now });

test('beginning a run clears the last one and shows the loading message until it is ready', () => {
  const failed = after([{ type: 'begin', settings }, event(ready()), { type: 'failed', message: 'boom' }]);
  expect(failed).toMatchObject({ phase: 'error', error: 'boom', pending: null });
  const again = after([{ type: 'begin', settings }], failed);
  expect(again).toMatchObject({ phase: 'loading', run: null, error: undefined, settings, elapsed: 0 });
  expect(again.loadingMessage).toBe('Starting the training worker…');
  expect(after([event({ type: 'loading', message: 'Downloading the dataset…' })], again).loadingMessage).toBe(
    'Downloading the dataset…',
  );
});

test('the ready event describes the run: backend and workers, where it starts, the model it started from, its classes', () => {
  const fromBase = { ...settings, startFrom: { url: '/models/base/model.json', card: { name: 'Base' } } };
  const state = after([
    { type: 'begin', settings: fromBase as TrainSettings },
    event(
      ready({
        savedAt: '2026-01-01T00:00:00.000Z',
        step: 40,
        baseSteps: 500,
        classes: ['warm', 'cool'],
        history: { train: [[40, 3.5]], validation: [[40, 3.25]] },
      }),
    ),
  ]);
  expect(state.run).toMatchObject({
    runId: 'run-1',
    backend: 'WebAssembly · 2 workers',
    backendReason: 'WebAssembly runs everywhere; each batch split across 2 workers, one per core',
    step: 40,
    savedStep: 40,
    startedFrom: { name: 'Base', steps: 500 },
    classes: ['warm', 'cool'],
    bitsPerDim: 3.5,
    validation: 3.25,
  });
  // A new run has no checkpoint yet, and one worker is not mentioned.
  const fresh = after([{ type: 'begin', settings }, event(ready({ workers: 1 }))]);
  expect(fresh.run).toMatchObject({
    backend: 'WebAssembly',
    savedStep: undefined,
    startedFrom: undefined,
    classes: undefined,
  });
});

test('steps move the run on, and chart points average the steps between them as the worker does', () => {
  // 800 steps on a 400-point chart: a point every 2 steps, the mean of both.
  const state = after([
    { type: 'begin', settings },
    event(ready()),
    event(step(1, 3), 1000),
    event(step(2, 2), 2000),
    event(step(3, 5), 3000),
  ]);
  expect(state.run).toMatchObject({ step: 3, bitsPerDim: 5, history: { train: [[2, 2.5]] } });
  expect(state.bucket).toEqual({ sum: 5, count: 1 });
  expect(state.rate).toBeCloseTo(1); // 2 steps in 2 s
  expect(state.stepTimes).toHaveLength(3);
});

test('pausing resets the pace, and the elapsed time counts only the running stretches', () => {
  const running = after([
    { type: 'begin', settings },
    event(ready()),
    event({ type: 'state', state: 'running', step: 0 }, 1000),
    event(step(1), 2000),
    event(step(2), 3000),
  ]);
  expect(after([{ type: 'tick', now: 4000 }], running).elapsed).toBe(3);
  const paused = after(
    [{ type: 'control', control: 'pause' }, event({ type: 'state', state: 'paused', step: 2 }, 5000)],
    running,
  );
  expect(paused).toMatchObject({ phase: 'paused', pending: null, rate: 0, stepTimes: [], elapsed: 4 });
  // Time spent paused does not count, nor does a tick while paused change anything.
  expect(after([{ type: 'tick', now: 60_000 }], paused)).toBe(paused);
  const resumed = after(
    [event({ type: 'state', state: 'running', step: 2 }, 65_000), { type: 'tick', now: 66_000 }],
    paused,
  );
  expect(resumed.elapsed).toBe(5);
});

test('validation, samples and checkpoints land on the run; a failed save is shown until one succeeds', () => {
  const base = after([{ type: 'begin', settings }, event(ready())]);
  const images = [{ width: 8, height: 8, rgb: new Uint8Array(192) }];
  const failed = after(
    [
      event({ type: 'validation', step: 40, bitsPerDim: 3 }),
      event({ type: 'samples', step: 40, images }),
      event({ type: 'checkpoint-failed', step: 40, message: 'The quota has been exceeded.' }),
    ],
    base,
  );
  expect(failed.run).toMatchObject({
    validation: 3,
    history: { validation: [[40, 3]] },
    samples: { step: 40, images },
    checkpointFailed: { step: 40, message: 'The quota has been exceeded.' },
  });
  const saved = after([event({ type: 'checkpoint', step: 80, savedAt: '2026-01-01T00:00:00.000Z' })], failed);
  expect(saved.run).toMatchObject({ savedStep: 80, savedAt: '2026-01-01T00:00:00.000Z', checkpointFailed: undefined });
  // Discarding another run's checkpoint leaves this one's; discarding its own clears it.
  expect(after([{ type: 'discarded', runId: 'other' }], saved)).toBe(saved);
  expect(after([{ type: 'discarded', runId: 'run-1' }], saved).run).toMatchObject({
    savedStep: undefined,
    savedAt: undefined,
  });
});

test('events that arrive before any run is shown change nothing but the pace', () => {
  const state = after([event({ type: 'validation', step: 1, bitsPerDim: 1 }), event(step(1), 10)]);
  expect(state.run).toBeNull();
  expect(state.bucket).toEqual({ sum: 0, count: 0 });
  expect(state.stepTimes).toEqual([[10, 1]]);
});

test('a control that fails clears the pending state and says why', () => {
  expect(
    after([
      { type: 'control', control: 'stop' },
      { type: 'control-failed', message: 'Nothing is training' },
    ]),
  ).toMatchObject({ pending: null, error: 'Nothing is training' });
});
