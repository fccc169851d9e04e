/**
 * The Train page's ETA, from the wall time between step events over one whole period of the run's
 * pauses (validation and a checkpoint every `evalEvery` steps, samples every `sampleEvery`), so
 * each pause counts as often as it happens. The times start afresh with each running stretch (after
 * a pause, or a resume from a checkpoint): neither time spent paused nor steps taken before a resume
 * count as this stretch's.
 */

/** When a step event arrived (ms, from `performance.now()`) and the step it reported. */
export type StepTime = readonly [ms: number, step: number];

/** Steps of wall time to average over: the longest period between pauses, at least one. */
export function etaSpan(settings: { evalEvery?: number; sampleEvery?: number } | null | undefined): number {
  return Math.max(1, settings?.evalEvery ?? 1, settings?.sampleEvery ?? 0);
}

/** `times` with `time` added, keeping the last `span + 1`: `span` steps' wall time. */
export function addStepTime(times: readonly StepTime[], time: StepTime, span: number): StepTime[] {
  return [...times, time].slice(-(span + 1));
}

/**
 * Seconds until step `totalSteps` at the pace `times` show; undefined until two of them are at least
 * a step apart (a stretch's first step event alone says nothing about its pace).
 */
export function etaSeconds(times: readonly StepTime[], totalSteps: number): number | undefined {
  if (times.length < 2) return undefined;
  const [firstMs, firstStep] = times[0];
  const [lastMs, lastStep] = times[times.length - 1];
  if (!(lastStep > firstStep && lastMs >= firstMs)) return undefined;
  const secondsPerStep = (lastMs - firstMs) / 1000 / (lastStep - firstStep);
  return Math.max(0, totalSteps - lastStep) * secondsPerStep;
}
