import { describe, expect, it } from 'vitest';
import {
  type GenerationAction,
  type GenerationState,
  generationReducer,
  INITIAL_GENERATION,
  isRunComplete,
  runEtaMs,
  runPercent,
  type RunState,
} from '@/components/studio/generation-reducer';
import type { TokenPainter } from '@/components/studio/pixels';

const recipe: RunState['recipe'] = {
  model: { id: 'tiny', name: 'Tiny', sha256: 'ab'.repeat(32), url: '/models/tiny.bin' },
  seed: 7,
  firstImage: 0,
  batch: 2,
  sampling: { temperature: 1, topK: 0, topP: 1, epsilon: 0 },
  length: 300,
  backend: { name: 'cpu', reason: 'forced' },
  createdAt: '2026-01-01T00:00:00.000Z',
};
const painters = [{}, {}] as TokenPainter[];
const start: GenerationAction = { type: 'start', painters, total: 300, recipe };

function reduce(actions: GenerationAction[], state: GenerationState = INITIAL_GENERATION): GenerationState {
  return actions.reduce(generationReducer, state);
}

describe('generationReducer', () => {
  it('starts a run at zero with its painters, recipe and kept rows', () => {
    const { run, error } = reduce([{ ...start, keptRows: 4 }]);
    expect(error).toBeNull();
    expect(run).toEqual({
      status: 'running',
      painters,
      done: 0,
      total: 300,
      tokensPerSecond: 0,
      elapsedMs: 0,
      recipe,
      keptRows: 4,
    });
    expect(run!.painters).toBe(painters);
  });

  it('takes progress reports while running, the last one winning', () => {
    const { run } = reduce([
      start,
      { type: 'progress', done: 30, tokensPerSecond: 10, elapsedMs: 3000 },
      { type: 'progress', done: 120, tokensPerSecond: 40, elapsedMs: 3000 },
    ]);
    expect(run).toMatchObject({ status: 'running', done: 120, tokensPerSecond: 40, elapsedMs: 3000 });
  });

  it('ends done with the worker memory, keeping the progress', () => {
    const memory = { numTensors: 12, numBytes: 2048, cacheBytes: 1024, peakTensorBytes: 4096 };
    const { run, error } = reduce([
      start,
      { type: 'progress', done: 300, tokensPerSecond: 50, elapsedMs: 6000 },
      { type: 'done', memory },
    ]);
    expect(run).toMatchObject({ status: 'done', done: 300, memory });
    expect(error).toBeNull();
  });

  it('ends cancelled where the stream stopped', () => {
    const { run } = reduce([
      start,
      { type: 'progress', done: 90, tokensPerSecond: 30, elapsedMs: 3000 },
      { type: 'cancelled' },
    ]);
    expect(run).toMatchObject({ status: 'cancelled', done: 90 });
  });

  it('ends in error with the error named, and a new start clears it', () => {
    const failed = reduce([start, { type: 'failed', error: new RangeError('out of memory') }]);
    expect(failed.run?.status).toBe('error');
    expect(failed.error).toBe('RangeError: out of memory');
    const again = reduce([start], failed);
    expect(again.error).toBeNull();
    expect(again.run).toMatchObject({ status: 'running', done: 0 });
  });

  it('ignores reports once the run has ended', () => {
    for (const end of [{ type: 'done' }, { type: 'cancelled' }] as GenerationAction[]) {
      const ended = reduce([start, { type: 'progress', done: 60, tokensPerSecond: 20, elapsedMs: 3000 }, end]);
      for (const late of [
        { type: 'progress', done: 90, tokensPerSecond: 30, elapsedMs: 3000 },
        { type: 'done' },
        { type: 'cancelled' },
        { type: 'failed', error: new Error('late') },
      ] as GenerationAction[]) {
        expect(generationReducer(ended, late)).toBe(ended);
      }
    }
  });

  it('ignores reports before any run', () => {
    expect(generationReducer(INITIAL_GENERATION, { type: 'progress', done: 1, tokensPerSecond: 1, elapsedMs: 1 })).toBe(
      INITIAL_GENERATION,
    );
    expect(generationReducer(INITIAL_GENERATION, { type: 'failed', error: new Error('x') })).toBe(INITIAL_GENERATION);
  });

  it('does not change the state it was given', () => {
    const running = reduce([start]);
    const snapshot = structuredClone({ ...running, run: { ...running.run!, painters: [] } });
    reduce([{ type: 'progress', done: 10, tokensPerSecond: 1, elapsedMs: 1 }, { type: 'done' }], running);
    expect({ ...running, run: { ...running.run!, painters: [] } }).toEqual(snapshot);
  });
});

describe('run progress', () => {
  const at = (done: number, elapsedMs: number, status: RunState['status'] = 'running') =>
    ({ ...reduce([start]).run!, done, elapsedMs, status }) as RunState;

  it('counts whole percent of the tokens, 0 without a run', () => {
    expect(runPercent(null)).toBe(0);
    expect(runPercent(at(0, 0))).toBe(0);
    expect(runPercent(at(100, 1000))).toBe(33);
    expect(runPercent(at(299, 1000))).toBe(100);
    expect(runPercent(at(300, 1000))).toBe(100);
    expect(runPercent({ ...at(0, 0), total: 0 })).toBe(0);
  });

  it('projects the time left from the pace so far, only while running', () => {
    expect(runEtaMs(at(100, 2000))).toBe(4000);
    expect(runEtaMs(at(250, 5000))).toBe(1000);
    expect(runEtaMs(null)).toBeNaN();
    expect(runEtaMs(at(0, 500))).toBeNaN();
    expect(runEtaMs(at(100, 2000, 'cancelled'))).toBeNaN();
  });

  it('calls a run complete only when it is done with every token', () => {
    expect(isRunComplete(at(300, 1000, 'done'))).toBe(true);
    expect(isRunComplete(at(150, 1000, 'done'))).toBe(false);
    expect(isRunComplete(at(300, 1000, 'running'))).toBe(false);
    expect(isRunComplete(at(300, 1000, 'cancelled'))).toBe(false);
    expect(isRunComplete(null)).toBe(false);
  });
});
