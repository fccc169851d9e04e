/**
 * The model card a training run writes beside its weights, assembled in one place for the CLI
 * (scripts/train.ts) and the Train page's worker, so both describe a model the same way.
 */
import type { DatasetManifest } from '../pixels/manifest';
import type { ModelCard } from './card';

export interface ModelCardInput {
  id: string;
  name: string;
  /** The dataset the model was trained on: its tokens are this dataset's pixels. */
  manifest: Pick<DatasetManifest, 'id' | 'name' | 'tokenization' | 'width' | 'height' | 'palette'>;
  preset: string;
  parameters: number;
  /** All the steps behind the weights, those of any model the run started from included. */
  steps: number;
  /** The validation figure and what it covers (the trainer's `validationFields`); empty when there is none. */
  validation: Pick<ModelCard, 'validationBitsPerDim' | 'validationImages'>;
  /** The command that started the run (the CLI's). */
  command?: string;
  initialisedFrom?: ModelCard['initialisedFrom'];
  /** A class-conditional model's class names (ids in order); absent for an unconditional one. */
  classes?: string[];
  /** When the weights were saved; now by default. */
  trainedAt?: string;
}

export function buildModelCard(input: ModelCardInput): ModelCard {
  const { manifest } = input;
  return {
    id: input.id,
    name: input.name,
    dataset: {
      id: manifest.id,
      name: manifest.name,
      tokenization: manifest.tokenization,
      width: manifest.width,
      height: manifest.height,
      palette: manifest.palette,
    },
    preset: input.preset,
    parameters: input.parameters,
    steps: input.steps,
    ...input.validation,
    ...(input.classes && { classes: input.classes }),
    trainedAt: input.trainedAt ?? new Date().toISOString(),
    ...(input.command !== undefined && { command: input.command }),
    ...(input.initialisedFrom && { initialisedFrom: input.initialisedFrom }),
  };
}
