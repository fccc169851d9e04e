/**
 * The training loop of one run, until its last step or a stop: a step at a time, yielding between
 * steps so pause, resume and stop requests reach it; validation and a checkpoint every `evalEvery`
 * steps, samples every `sampleEvery`, and a checkpoint whenever it pauses.
 */
import type { CheckpointStore } from '../train-checkpoints';
import { MAX_SAMPLE_TOKENS } from '../train-protocol';
import { saveCheckpoint } from './checkpoints';
import { drawSamples, validate, validateIfStale } from './evaluation';
import { type Run, setState, settle, yieldToEventLoop } from './run';

/** Training points kept on the chart; beyond this, points average more steps. */
const CHART_POINTS = 400;

export async function trainLoop(store: CheckpointStore, r: Run): Promise<{ step: number; state: 'stopped' | 'done' }> {
  const { trainer, history, settings, manifest } = r;
  const total = trainer.options.steps;
  setState(r, 'running');
  const chartEvery = Math.max(1, Math.ceil(total / CHART_POINTS));

  while (trainer.step < total && !r.stopRequested) {
    if (r.pauseRequested) {
      // Armed before 'paused' goes out: a resume or stop that arrives while the checkpoint is
      // being saved must still wake the loop.
      const woken = new Promise<void>((resolve) => {
        r.wake = resolve;
      });
      setState(r, 'paused');
      await saveCheckpoint(store, r);
      r.pauseSaved = true;
      settle(r);
      await woken;
      r.wake = undefined;
      r.pauseSaved = false;
      if (r.stopRequested) break;
      setState(r, 'running');
    }
    const report =
      r.helpers.length > 0 ? await trainer.trainStepParallel(r.helpers.map((h) => h.client)) : trainer.trainStep();
    r.emit({
      type: 'step',
      step: report.step,
      bitsPerDim: report.bitsPerDim,
      learningRate: report.learningRate,
      gradNorm: report.gradNorm,
      ms: report.ms,
    });
    r.bucket.sum += report.bitsPerDim;
    r.bucket.count++;
    if (report.step % chartEvery === 0 || report.step === total) {
      history.train.push([report.step, r.bucket.sum / r.bucket.count]);
      r.bucket = { sum: 0, count: 0 };
    }
    if (report.step % trainer.options.evalEvery === 0 || report.step === total) {
      validate(r);
      await saveCheckpoint(store, r);
    }
    const sampleNow =
      settings.sampleEvery > 0 && report.step % settings.sampleEvery === 0 && manifest.seqLength <= MAX_SAMPLE_TOKENS;
    if (sampleNow && !r.pauseRequested && !r.stopRequested) await drawSamples(r);
    await yieldToEventLoop();
  }
  validateIfStale(r);
  if (r.savedStep !== trainer.step) await saveCheckpoint(store, r);
  const state = trainer.step >= total ? 'done' : 'stopped';
  setState(r, state);
  settle(r);
  return { step: trainer.step, state };
}
