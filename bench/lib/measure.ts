/**
 * Measuring helpers for the engine benchmark: wall time and peak tensor bytes of a run, medians,
 * a per-kernel time breakdown, a wall-clock budget, and plain-text tables.
 *
 * Peak bytes come from tf.profile: tfjs-core's engine.profile records `totalBytesSnapshot`
 * (= engine numBytes, absolute, every live tensor included) after each kernel and reports the max
 * as `peakBytes`. We subtract numBytes taken just before the run, so a peak is "bytes above what
 * was already live" (model weights and inputs excluded). Tensors made outside kernels
 * (tf.tensor from JS arrays) are seen at the next kernel's snapshot.
 */
import * as tf from '../../lib/reformer/tf';

export interface RunResult {
  ms: number;
  peakBytes: number;
  /** Kernel name → summed kernel ms (wasm kernels are synchronous, so these are real times). */
  kernels: Map<string, number>;
}

/** Runs `fn` once under tf.profile; the wall time includes the profiler's small per-kernel bookkeeping. */
export async function profiledRun(fn: () => void | Promise<unknown>): Promise<RunResult> {
  const before = tf.memory().numBytes;
  const t0 = performance.now();
  const info = await tf.profile(async () => {
    await fn();
  });
  const ms = performance.now() - t0;
  const kernels = new Map<string, number>();
  for (const k of info.kernels) kernels.set(k.name, (kernels.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const peak = info.kernels.length > 0 ? info.peakBytes - before : 0;
  return { ms, peakBytes: Math.max(0, peak), kernels };
}

/** Wall time of `fn` with no profiler. */
export async function timedRun(fn: () => void | Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** The `n` kernels with the most time, as "Name 1234 ms (41%)". */
export function topKernels(kernels: Map<string, number>, n = 6): string[] {
  const total = [...kernels.values()].reduce((a, b) => a + b, 0);
  return [...kernels]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, ms]) => `${name} ${ms.toFixed(0)} ms (${((100 * ms) / total).toFixed(0)}%)`);
}

/** A wall-clock allowance shared by the sections; cases ask it before they start. */
export class Budget {
  private readonly start = performance.now();
  constructor(readonly totalMs: number) {}
  get elapsedMs(): number {
    return performance.now() - this.start;
  }
  get remainingMs(): number {
    return this.totalMs - this.elapsedMs;
  }
  /** Remaining time of a section that should end by `fractionEnd` of the whole budget. */
  sectionRemainingMs(fractionEnd: number): number {
    return this.totalMs * fractionEnd - this.elapsedMs;
  }
}

export const MiB = 2 ** 20;
export const fmtMiB = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
export const fmtMs = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;

/** A left-aligned plain-text table. */
export function table(title: string, header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [`\n${title}`, line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join(
    '\n',
  );
}
