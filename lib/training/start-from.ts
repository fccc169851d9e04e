/**
 * Training that starts from another model's weights (fine-tuning, or training a model on once its
 * checkpoint is gone): what both the CLI (`--init`) and the browser's Train page check and record.
 */
import type { ModelCard } from '../models/card';
import type { DatasetManifest } from '../pixels/manifest';
import type { ReformerConfig } from '../reformer/config';
import { ReformerLM } from '../reformer/model';
import * as tf from '../reformer/tf';

export type Lineage = NonNullable<ModelCard['initialisedFrom']>;

/**
 * Why a model cannot train on `manifest`, or undefined if it can: its tokens must mean the same
 * pixels (tokenization, image shape, palette). `card` is the model's, when it has one.
 */
export function startMismatch(
  config: Pick<ReformerConfig, 'axialShape'>,
  card: ModelCard | undefined,
  manifest: Pick<DatasetManifest, 'id' | 'tokenization' | 'width' | 'height' | 'palette'>,
): string | undefined {
  const expected =
    manifest.tokenization === 'rgb' ? [manifest.height, manifest.width, 3] : [manifest.height, manifest.width];
  const axial = config.axialShape;
  if (card && card.dataset.tokenization !== manifest.tokenization)
    return `it reads ${card.dataset.tokenization} tokens, dataset ${manifest.id} is ${manifest.tokenization}`;
  if (axial.length !== expected.length || axial.some((d, i) => d !== expected[i]))
    return `it was made for ${axial.join('×')} tokens per image, dataset ${manifest.id} has ${expected.join('×')}`;
  if (card?.dataset.palette && manifest.palette && card.dataset.palette.join() !== manifest.palette.join())
    return `dataset ${manifest.id} has another palette, so its tokens are other colours`;
  return undefined;
}

/**
 * Why a model of `modelClasses` classes (0: unconditional) cannot start a run on `manifest` that is
 * to train class-conditionally or not (`conditional`; meaningless without classes), or undefined if
 * it can. An unconditional model always can: on classes it gains a class table (`withClassTable`).
 */
export function classesMismatch(
  modelClasses: number,
  manifest: Pick<DatasetManifest, 'id' | 'classes'>,
  conditional: boolean,
): string | undefined {
  if (modelClasses === 0) return undefined;
  const datasetClasses = manifest.classes?.length ?? 0;
  if (datasetClasses === 0)
    return `it is class-conditional (${modelClasses} classes) and dataset ${manifest.id} has no classes`;
  if (!conditional) return `it is class-conditional (${modelClasses} classes) and cannot train unconditionally`;
  if (datasetClasses !== modelClasses)
    return `it knows ${modelClasses} classes, dataset ${manifest.id} has ${datasetClasses}`;
  return undefined;
}

/** The lineage of a model trained on from `card`: the runs before it, oldest first. */
export function lineageAfter(card: ModelCard): Lineage {
  return [
    ...(card.initialisedFrom ?? []),
    { id: card.id, steps: card.steps, ...(card.command && { command: card.command }) },
  ];
}

/**
 * A class-conditional model of `classes` classes made from an unconditional one: its weights, and a
 * class table of zeros, so that it starts out predicting exactly what `model` did, for every class.
 * Disposes `model`.
 */
export function withClassTable(model: ReformerLM, classes: number): ReformerLM {
  if (model.config.classes > 0) throw new Error(`the model already takes ${model.config.classes} classes`);
  const weights: tf.NamedTensorMap = Object.fromEntries(model.variables);
  const table = tf.zeros([classes + 1, model.config.dModel]);
  try {
    return new ReformerLM({ ...model.config, classes }, { ...weights, 'embed.classes': table });
  } finally {
    table.dispose();
    model.dispose();
  }
}
