/**
 * What a model needs besides its weights to be useful in the studio: which dataset and
 * tokenization it speaks (to turn tokens into pixels), how far it was trained and how good it is.
 * Stored in model.json's `userDefinedMetadata.card`, so a model file is self-describing, and listed
 * in `public/models/index.json` for the shipped defaults.
 */
import { z } from 'zod';
import { ModelIdSchema, Sha256Schema } from '@/lib/ids';
import { FullSamplingSettingsSchema } from './sampling';

export const ModelCardSchema = z.object({
  id: ModelIdSchema,
  name: z.string().min(1),
  dataset: z.object({
    id: z.string(),
    name: z.string(),
    tokenization: z.enum(['rgb', 'palette']),
    width: z.number().int().positive(),
    height: z.number().int().positive(),
    /** Flat [r0, g0, b0, r1, …] for `palette` models. */
    palette: z.array(z.number().int().min(0).max(255)).optional(),
  }),
  preset: z.string(),
  parameters: z.number().int().positive(),
  steps: z.number().int().min(0),
  /** Validation bits per dimension (sub-pixel) at the end of training. */
  validationBitsPerDim: z.number().positive().optional(),
  /**
   * How many validation images that figure covers (the first N of the split). Absent in cards from
   * before it was recorded.
   */
  validationImages: z.number().int().positive().optional(),
  /**
   * A class-conditional model's classes, by class id (the dataset's class names): what the studio
   * offers to draw. Absent for an unconditional model.
   */
  classes: z.array(z.string().min(1)).optional(),
  trainedAt: z.string(),
  /** The command that started the run that produced it (shipped models); its train.log lists any resumes. */
  command: z.string().optional(),
  /**
   * For a run started from another model's weights (`npm run train -- --init DIR`): the runs
   * before it, oldest first, each with its model's id, the steps it ended at and its command.
   * `steps` above counts theirs too.
   */
  initialisedFrom: z
    .array(z.object({ id: z.string(), steps: z.number().int().min(0), command: z.string().optional() }))
    .optional(),
  /**
   * The sampling the studio opens this model with: of the settings `npm run bench:samples` tried,
   * the one whose samples' stray pixels and ink came nearest the validation images'
   * (lib/models/recommend.ts). `measured` says how near, for the studio to show.
   */
  sampling: FullSamplingSettingsSchema.extend({
    measured: z.object({
      samples: z.number().int().positive(),
      stray: z.number().min(0).max(1),
      ink: z.number().min(0).max(1),
      validationStray: z.number().min(0).max(1),
      validationInk: z.number().min(0).max(1),
    }),
  }).optional(),
});
export type ModelCard = z.infer<typeof ModelCardSchema>;

/** One entry of public/models/index.json. */
export const ShippedModelSchema = z.object({
  card: ModelCardSchema,
  /** URL of model.json, relative to the site root. */
  url: z.string(),
  /** sha256 of model.json + weights, for cache invalidation. */
  sha256: Sha256Schema,
  bytes: z.number().int().positive(),
});
export type ShippedModel = z.infer<typeof ShippedModelSchema>;

export const ShippedIndexSchema = z.object({ models: z.array(ShippedModelSchema) });

/** Dimensions one token stands for: a channel value (rgb) or a whole pixel (palette). */
export function dimsPerToken(tokenization: 'rgb' | 'palette'): number {
  return tokenization === 'rgb' ? 1 : 3;
}

/** What a card's bits/dim was measured on, for a tooltip: "on 188 validation images". */
export function validationScope(card: ModelCard): string {
  return card.validationImages ? `on ${card.validationImages} validation images` : 'on validation images';
}
