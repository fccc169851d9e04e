import { describe, expect, it } from 'vitest';
import { addStepTime, etaSeconds, etaSpan, type StepTime } from '@/components/train/eta';

/**
 * What the page sees of a run: a step event every `stepSeconds`, and after the step events that end
 * an evaluation (or sample) period, the time its validation and checkpoint (or samples) take.
 */
function stepEvents({
  from = 0,
  to,
  startMs = 0,
  stepSeconds,
  evalEvery,
  evalSeconds = 0,
  sampleEvery = 0,
  sampleSeconds = 0,
}: {
  from?: number;
  to: number;
  startMs?: number;
  stepSeconds: number;
  evalEvery: number;
  evalSeconds?: number;
  sampleEvery?: number;
  sampleSeconds?: number;
}): StepTime[] {
  const events: StepTime[] = [];
  let ms = startMs;
  for (let step = from + 1; step <= to; step++) {
    ms += stepSeconds * 1000;
    events.push([ms, step]);
    if (step % evalEvery === 0) ms += evalSeconds * 1000;
    if (sampleEvery > 0 && step % sampleEvery === 0) ms += sampleSeconds * 1000;
  }
  return events;
}

/** The ETA the page shows after each event, fed as the page feeds them. */
function etasAlong(
  events: StepTime[],
  settings: { evalEvery: number; sampleEvery: number },
  totalSteps: number,
): (number | undefined)[] {
  let times: StepTime[] = [];
  return events.map((event) => {
    times = addStepTime(times, event, etaSpan(settings));
    return etaSeconds(times, totalSteps);
  });
}

describe('Train page ETA', () => {
  it('at a steady pace, is the steps left times the seconds a step takes', () => {
    const settings = { evalEvery: 1000, sampleEvery: 0 };
    const etas = etasAlong(stepEvents({ to: 10, stepSeconds: 0.5, evalEvery: 1000 }), settings, 100);
    expect(etas[1]).toBeCloseTo(98 * 0.5);
    expect(etas[9]).toBeCloseTo(90 * 0.5);
  });

  it('counts the validation, checkpoint and sample pauses between steps, as often as they come', () => {
    // 1 s a step, 3 s of validation and checkpoint after every 5th, 6 s of samples after every 10th:
    // (10 × 1 + 2 × 3 + 6) / 10 = 2.2 s a step on average.
    const settings = { evalEvery: 5, sampleEvery: 10 };
    const totalSteps = 100;
    const events = stepEvents({
      to: 60,
      stepSeconds: 1,
      evalEvery: 5,
      evalSeconds: 3,
      sampleEvery: 10,
      sampleSeconds: 6,
    });
    const etas = etasAlong(events, settings, totalSteps);
    // Once a whole period is in view, at whatever point of the period the run is.
    for (let i = 10; i < events.length; i++) expect(etas[i]).toBeCloseTo((totalSteps - events[i][1]) * 2.2, 6);
  });

  it('for a resumed run, counts only this stretch: not the steps before the resume, nor the time to load it', () => {
    // Resumed at step 200 of 300: the checkpoint loads for 30 s, then a step every 2 s.
    const settings = { evalEvery: 50, sampleEvery: 0 };
    const events = stepEvents({ from: 200, to: 205, startMs: 30_000, stepSeconds: 2, evalEvery: 50 });
    const etas = etasAlong(events, settings, 300);
    expect(events[0]).toEqual([32_000, 201]);
    expect(etas[0]).toBeUndefined();
    expect(etas[1]).toBeCloseTo(98 * 2);
    expect(etas[4]).toBeCloseTo(95 * 2);
  });

  it('has no ETA before a stretch has two steps, and never NaN or Infinity', () => {
    expect(etaSeconds([], 100)).toBeUndefined();
    expect(etaSeconds([[1000, 1]], 100)).toBeUndefined();
    expect(etaSeconds([[0, 0]], 1)).toBeUndefined();
    // The same step reported twice says nothing about the pace.
    expect(
      etaSeconds(
        [
          [1000, 7],
          [1500, 7],
        ],
        100,
      ),
    ).toBeUndefined();
    // Two events in the same millisecond: a pace of zero, not a division by zero.
    expect(
      etaSeconds(
        [
          [1000, 7],
          [1000, 8],
        ],
        100,
      ),
    ).toBe(0);
    // At (or past, after a shorter reschedule) the last step, nothing is left.
    expect(
      etaSeconds(
        [
          [0, 9],
          [1000, 10],
        ],
        10,
      ),
    ).toBe(0);
    expect(
      etaSeconds(
        [
          [0, 11],
          [1000, 12],
        ],
        10,
      ),
    ).toBe(0);
  });

  it('averages over the longest period between pauses, and at least one step', () => {
    expect(etaSpan({ evalEvery: 15, sampleEvery: 30 })).toBe(30);
    expect(etaSpan({ evalEvery: 15, sampleEvery: 0 })).toBe(15);
    expect(etaSpan(null)).toBe(1);
    expect(
      addStepTime(
        [
          [0, 1],
          [1, 2],
          [2, 3],
        ],
        [3, 4],
        2,
      ),
    ).toEqual([
      [1, 2],
      [2, 3],
      [3, 4],
    ]);
  });
});
