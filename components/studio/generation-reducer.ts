/**
 * The state of a generation run, as a pure reducer: a run starts, takes progress reports from the
 * token stream, and ends done, cancelled or failed. No React here, so its transitions are unit-tested.
 */
import type { MemoryStats } from '@/lib/runtime/protocol';
import type { TokenPainter } from './pixels';
import type { ResultRecord } from '@/lib/samples/recipe';

export type RunStatus = 'running' | 'done' | 'cancelled' | 'error';

export interface RunState {
  status: RunStatus;
  painters: TokenPainter[];
  done: number;
  total: number;
  tokensPerSecond: number;
  elapsedMs: number;
  recipe: Omit<ResultRecord, 'imageIndex'>;
  keptRows?: number;
  /** The worker's memory once the run ended: decoding cache + peak tensor bytes. */
  memory?: MemoryStats;
}

export interface GenerationState {
  run: RunState | null;
  /** What the last run failed with, as `Name: message`. */
  error: string | null;
}

export const INITIAL_GENERATION: GenerationState = { run: null, error: null };

export type GenerationAction =
  | { type: 'start'; painters: TokenPainter[]; total: number; recipe: RunState['recipe']; keptRows?: number }
  | { type: 'progress'; done: number; tokensPerSecond: number; elapsedMs: number }
  | { type: 'done'; memory?: MemoryStats }
  | { type: 'cancelled' }
  | { type: 'failed'; error: Error };

export function generationReducer(state: GenerationState, action: GenerationAction): GenerationState {
  if (action.type === 'start') {
    const { painters, total, recipe, keptRows } = action;
    return {
      run: { status: 'running', painters, done: 0, total, tokensPerSecond: 0, elapsedMs: 0, recipe, keptRows },
      error: null,
    };
  }
  // Every other action reports on the run in flight: a run that has ended takes no more reports.
  const run = state.run;
  if (run?.status !== 'running') return state;
  switch (action.type) {
    case 'progress': {
      const { done, tokensPerSecond, elapsedMs } = action;
      return { ...state, run: { ...run, done, tokensPerSecond, elapsedMs } };
    }
    case 'done':
      return { ...state, run: { ...run, status: 'done', memory: action.memory } };
    case 'cancelled':
      return { ...state, run: { ...run, status: 'cancelled' } };
    case 'failed':
      return { run: { ...run, status: 'error' }, error: `${action.error.name}: ${action.error.message}` };
  }
}

/** How far the run is, in whole percent (0 before any run). */
export function runPercent(run: RunState | null): number {
  return run ? Math.round((100 * run.done) / Math.max(1, run.total)) : 0;
}

/** Milliseconds left at the run's pace so far; NaN when unknown (no run, nothing done yet, or ended). */
export function runEtaMs(run: RunState | null): number {
  return run && run.done > 0 && run.status === 'running' ? ((run.total - run.done) * run.elapsedMs) / run.done : NaN;
}

/** A run that finished every token: its images can be completed again. */
export function isRunComplete(run: RunState | null): run is RunState {
  return run?.status === 'done' && run.done === run.total;
}
