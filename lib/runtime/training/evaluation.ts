/**
 * How a run shows its progress besides the loss: validation bits/dim on held-out images, and two
 * sample images drawn from the weights publishing would give.
 */
import { tokensToImage } from '@/lib/pixels/manifest';
import { generate } from '@/lib/reformer/generate';
import { ReformerLM } from '@/lib/reformer/model';
import * as tf from '@/lib/reformer/tf';
import type { SampleImage } from '../train-protocol';
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

/** Two images from the model as it is now; abandoned (not an error) when the run pauses or stops. */
export async function drawSamples(r: Run): Promise<void> {
  // The weights publishing would give (the average), in a model of their own: training may be
  // resumed between the steps of a draw.
  const weights = r.trainer.exportWeights();
  const model = new ReformerLM(r.trainer.model.config, weights);
  tf.dispose(Object.values(weights));
  const seqLength = model.config.seqLength;
  const rows = [new Int32Array(seqLength), new Int32Array(seqLength)];
  r.samples = new AbortController();
  try {
    for await (const s of generate(model, { batch: rows.length, seed: r.trainer.step, signal: r.samples.signal })) {
      for (let b = 0; b < rows.length; b++) rows[b][s.position] = s.tokens[b];
      if (s.position % 64 === 63) await yieldToEventLoop();
    }
  } catch (err) {
    if (r.samples.signal.aborted) return;
    throw err;
  } finally {
    r.samples = undefined;
    model.dispose();
  }
  const images: SampleImage[] = rows.map((tokens) => ({
    width: r.manifest.width,
    height: r.manifest.height,
    rgb: tokensToImage(r.manifest, tokens),
  }));
  r.emit({ type: 'samples', step: r.trainer.step, images });
}
