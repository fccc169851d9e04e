/**
 * Classifier-free guidance for class-conditional sampling (Ho & Salimans 2022, "Classifier-Free
 * Diffusion Guidance", eq. 6, applied to next-token logits as in Gafni et al. 2022, "Make-A-Scene"):
 *
 *   logits = cond + s·(cond − uncond)
 *
 * where cond are the logits given the class and uncond those given "no class" (the row the model
 * learned by label dropout). s is the paper's w: s = 0 is plain conditional sampling, larger s
 * trades variety for samples more typical of the class. Both streams are decoded side by side in
 * one decoder of twice the batch, and both are fed the token sampled from the guided logits, so the
 * unconditional stream always sees the same image so far as the conditional one.
 */
import type { ResolvedConfig } from './config';

/** What to condition generation on; beside, not inside, the sampling settings. */
export interface ConditioningOptions {
  /**
   * The class to draw, in [0, classes) of a class-conditional model; `classes` or omitted = "no
   * class" (a draw from every class at once). Unconditional models take none.
   */
  classId?: number;
  /**
   * Guidance strength s ≥ 0 (see above); 0 or omitted = plain conditional sampling. Without a
   * class there is nothing to guide towards, and it has no effect.
   */
  guidance?: number;
}

/** How a batch of `batch` images is decoded under `o`: the decoder's class ids, and whether guided. */
export interface ConditionedBatch {
  /** Class id per decoder row ([2·batch] when guided: the class, then "no class"); undefined: unconditional model. */
  classIds?: Int32Array;
  /** Whether the decoder runs both streams and the logits are combined by `guidedLogits`. */
  guided: boolean;
  guidance: number;
}

/** Checks `o` against a model's config and says how to decode it; throws an Error that says what is allowed. */
export function conditionedBatch(
  config: Pick<ResolvedConfig, 'classes'>,
  o: ConditioningOptions,
  batch: number,
): ConditionedBatch {
  const { classId, guidance = 0 } = o;
  if (typeof guidance !== 'number' || !Number.isFinite(guidance) || guidance < 0)
    throw new Error(`guidance ${guidance} must be a finite number ≥ 0; use 0 for plain conditional sampling`);
  const { classes } = config;
  if (classId === undefined) {
    return classes > 0
      ? { classIds: new Int32Array(batch).fill(classes), guided: false, guidance }
      : { guided: false, guidance };
  }
  if (classes === 0)
    throw new Error(`class ${classId} was asked of an unconditional model: it knows no classes; omit classId`);
  if (!Number.isInteger(classId) || classId < 0 || classId > classes)
    throw new Error(
      `class ${classId} is not one of this model's: use 0 to ${classes - 1}, or ${classes} (or none) for "no class"`,
    );
  const guided = guidance > 0 && classId !== classes;
  const classIds = new Int32Array(guided ? 2 * batch : batch).fill(classId);
  if (guided) classIds.fill(classes, batch);
  return { classIds, guided, guidance };
}

/**
 * Guided logits [batch, vocab] from a doubled decoder's [2·batch, vocab]: rows [0, batch) given
 * the class, rows [batch, 2·batch) given "no class". Computed in float64 and rounded once.
 */
export function guidedLogits(logits: Float32Array, batch: number, vocab: number, guidance: number): Float32Array {
  if (logits.length !== 2 * batch * vocab)
    throw new Error(`guided logits need 2 × ${batch} rows of ${vocab}, got ${logits.length} values`);
  const out = new Float32Array(batch * vocab);
  const uncondBase = batch * vocab;
  for (let i = 0; i < out.length; i++) {
    const cond = logits[i];
    out[i] = cond + guidance * (cond - logits[uncondBase + i]);
  }
  return out;
}
