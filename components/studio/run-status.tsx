'use client';
/** The run's status line (pace, time, ETA, peak memory, tokens), its progress bar and its error. */
import type { MemoryStats } from '@/lib/runtime/protocol';
import { formatBytes, formatClock } from '@/lib/format';
import { type RunState, type RunStatus, runEtaMs, runPercent } from './generation-reducer';
import { ProgressBar } from '@/components/progress-bar';

export function RunStatusPanel({ run, error }: { run: RunState | null; error: string | null }) {
  const running = run?.status === 'running';
  const percent = runPercent(run);
  return (
    <div className="rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
      <div className="flex flex-wrap items-baseline gap-x-6 gap-y-1 text-sm tabular-nums text-neutral-400">
        <span className="font-medium text-neutral-200">{run ? statusLabel(run.status) : 'Ready'}</span>
        <span>
          <span data-testid="tokens-per-second" className="text-neutral-100">
            {run ? Math.round(run.tokensPerSecond).toLocaleString() : '–'}
          </span>{' '}
          tokens/s
        </span>
        <span>
          elapsed <span className="text-neutral-100">{formatClock(run ? run.elapsedMs : NaN)}</span>
        </span>
        <span>
          ETA <span className="text-neutral-100">{formatClock(running ? runEtaMs(run) : NaN)}</span>
        </span>
        {run?.memory && <MemoryReadout memory={run.memory} />}
        <span className="ml-auto">
          {run ? `${run.done.toLocaleString()} / ${run.total.toLocaleString()} tokens` : ''}
        </span>
      </div>
      <ProgressBar
        testId="progress"
        label="Generation progress"
        value={percent}
        tone={run?.status === 'cancelled' ? 'stopped' : run?.status === 'error' ? 'failed' : 'working'}
        className="mt-3 h-1.5"
      />
      {error && (
        <p role="alert" className="mt-3 text-sm text-rose-300">
          {error}
        </p>
      )}
    </div>
  );
}

function statusLabel(s: RunStatus): string {
  return { running: 'Generating…', done: 'Done', cancelled: 'Cancelled', error: 'Failed' }[s];
}

/** Peak memory of the finished run: the cache grows linearly with the image, never quadratically. */
function MemoryReadout({ memory }: { memory: MemoryStats }) {
  const peak = memory.cacheBytes + memory.peakTensorBytes;
  return (
    <span
      data-testid="memory"
      data-cache-bytes={memory.cacheBytes}
      data-peak-tensor-bytes={memory.peakTensorBytes}
      title={`decoding cache ${formatBytes(memory.cacheBytes)} + peak tensors (weights included) ${formatBytes(memory.peakTensorBytes)}`}
    >
      peak memory <span className="text-neutral-100">{formatBytes(peak)}</span>
    </span>
  );
}
