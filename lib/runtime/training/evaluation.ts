/**
 * How a run shows its progress besides the loss: validation bits/dim on held-out images (given
 * their classes, for a class-conditional model), and sample images drawn from the weights
 * publishing would give.
 */
import { tokensToImage } from '@/lib/pixels/manifest';
import { generate } from '@/lib/reformer/generate';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import { SAMPLE_CLASSES, type SampleImage } from '../train-protocol';
import { type Run, yieldToEventLoop } from './run';

export function validate(r: Run): void {
  const bitsPerDim = r.trainer.evaluate();
  r.lastValidation = bitsPerDim;
  r.history.validation.push([r.trainer.step, bitsPerDim]);
  r.emit({ type: 'validation', step: r.trainer.step, bitsPerDim });
}

/** Validates unless the last figure is of this very step: a card must describe the weights it ships. */
export function validateIfStale(r: Run): void {
  if (r.history.validation.at(-1)?.[0] !== r.trainer.step) validate(r);
}

/**
 * Images from the model as it is now: two, or for a class-conditional model one of each of its
 * first SAMPLE_CLASSES classes (plain conditional sampling, labelled), so the page shows whether
 * the class is taking hold. Abandoned (not an error) when the run pauses or stops.
 */
export async function drawSamples(r: Run): Promise<void> {
  // The weights publishing would give (the average), in a model of their own: training may be
  // resumed between the steps of a draw.
  const weights = r.trainer.exportWeights();
  const model = new ReformerLM(r.trainer.model.config, weights);
  tf.dispose(Object.values(weights));
  const classes = r.trainer.conditional ? r.trainer.data.labels!.classes.slice(0, SAMPLE_CLASSES) : undefined;
  const draws: { batch: number; classId?: number; label?: string }[] = classes
    ? classes.map((label, classId) => ({ batch: 1, classId, label }))
    : [{ batch: 2 }];
  const signal = (r.samples = new AbortController()).signal;
  const images: SampleImage[] = [];
  try {
    for (const [i, { label, ...draw }] of draws.entries()) {
      const rows = await drawRows(model, { ...draw, seed: r.trainer.step, firstImage: i, signal });
      for (const tokens of rows)
        images.push({
          width: r.manifest.width,
          height: r.manifest.height,
          rgb: tokensToImage(r.manifest, tokens),
          ...(label !== undefined && { label }),
        });
    }
  } catch (err) {
    if (signal.aborted) return;
    throw err;
  } finally {
    r.samples = undefined;
    model.dispose();
  }
  r.emit({ type: 'samples', step: r.trainer.step, images });
}

/** `batch` images' tokens from `model`, yielding to the event loop as they are decoded. */
async function drawRows(
  model: ReformerLM,
  opts: { batch: number; seed: number; firstImage: number; classId?: number; signal: AbortSignal },
): Promise<Int32Array[]> {
  const rows = Array.from({ length: opts.batch }, () => new Int32Array(model.config.seqLength));
  for await (const s of generate(model, opts)) {
    for (let b = 0; b < rows.length; b++) rows[b][s.position] = s.tokens[b];
    if (s.position % 64 === 63) await yieldToEventLoop();
  }
  return rows;
}
