/**
 * A shared sample, written down once: the recipe the studio sends with the PNG (the `recipe` form
 * field of POST /api/samples, as JSON), the public view the API and pages serve, and the Remix URL
 * the studio reads back. Isomorphic: the server validates with these schemas, the browser types
 * its requests with them.
 */
import { z } from 'zod';
import { DatasetIdSchema, ModelIdSchema, Sha256Schema } from '@/lib/ids';
import { type FullSamplingSettings, SamplingSettingsSchema } from '@/lib/models/sampling';

/**
 * Classifier-free guidance as a recipe holds it (lib/reformer/guidance.ts: s = 0 is plain
 * conditional sampling): the studio's slider range and step. Whole steps keep a recipe's number
 * exact in its JSON and its link.
 */
export const GUIDANCE = { max: 10, step: 0.25 } as const;

/** A guidance value a recipe accepts: within [0, max], on the slider's steps. */
export const isGuidance = (g: number) =>
  Number.isFinite(g) && g >= 0 && g <= GUIDANCE.max && Number.isInteger(g / GUIDANCE.step);

export const RecipeSchema = z
  .object({
    /** The model that drew it, and the sha256 of its files (public/models/index.json `sha256`). */
    model: z.object({ id: ModelIdSchema, sha256: Sha256Schema }).strict(),
    seed: z.number().int().min(0).max(0xffffffff),
    ...SamplingSettingsSchema.shape,
    /** Which image of the run drawn from `seed` this is (0-based; image i samples from the seed's stream i). */
    batchIndex: z.number().int().min(0).max(1023),
    /**
     * A class-conditional model's class (the card's `classes` index); absent = "Anything" (no class).
     * Below 255: the dataset format's limit on classes.
     */
    classId: z.number().int().min(0).max(254).optional(),
    /** Classifier-free guidance strength toward `classId` (GUIDANCE); absent = none (0). */
    guidance: z
      .number()
      .refine(isGuidance, `must be between 0 and ${GUIDANCE.max} in steps of ${GUIDANCE.step}`)
      .optional(),
    /** Set when the model completed rows taken from an image instead of starting blank. */
    completion: z
      .object({ datasetId: z.string().max(64).optional(), rowsKept: z.number().int().min(0).max(4096) })
      .strict()
      .nullable()
      .optional(),
    /** The TensorFlow.js backend that ran it (webgpu, webgl, wasm, cpu). */
    backend: z.string().regex(/^[a-z0-9-]{1,32}$/, 'must be a backend name like "webgpu"'),
    /** Wall-clock generation time, when the studio measured it. */
    milliseconds: z.number().min(0).max(86_400_000).optional(),
  })
  .strict()
  .refine((r) => r.guidance === undefined || r.classId !== undefined, {
    path: ['guidance'],
    message: 'guides toward a class: give classId too, or leave guidance out',
  });
export type Recipe = z.infer<typeof RecipeSchema>;

/** A class of a class-conditional model: its index in the card's `classes`, and its name there. */
export interface SampleClass {
  id: number;
  name: string;
}

/** What GET /api/samples[/:id] answers: the record minus its secret (the delete-token hash). */
export interface SampleView {
  id: string;
  createdAt: string;
  recipe: Recipe;
  model: { id: string; name: string; dataset: { id: string; name: string; tokenization: 'rgb' | 'palette' } };
  /** The class it was drawn as (`recipe.classId` and its name on the model's card at share time); absent = no class. */
  class?: SampleClass;
  width: number;
  height: number;
  imageUrl: string;
  thumbUrl: string;
  thumbWidth: number;
  thumbHeight: number;
  url: string;
}

export interface SamplePage {
  samples: SampleView[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

/** POST /api/samples success body. */
export interface ShareResult {
  id: string;
  url: string;
  /** Shown once: the only way to delete the sample later. The server keeps its sha256. */
  deleteToken: string;
}

/** localStorage key of the `{ [sampleId]: deleteToken }` map the browser keeps. */
export const SHARE_TOKENS_KEY = 'reformer-share-tokens';

export const permalink = (id: string) => `/s/${id}`;

/**
 * The studio URL that redraws a recipe. Parameter names are the contract with the studio page:
 * model, seed, temperature, topK, topP, epsilon, image (0-based index of the image in the run),
 * backend; for a class-conditional draw, `class` (the class id) and `guidance`; for a completion,
 * also `complete` (the sample `sampleId`, whose top rows the studio reads back from its PNG: they
 * are the prefix, kept exactly) and `keepRows`.
 */
export function remixHref(recipe: Recipe, sampleId?: string): string {
  const q = new URLSearchParams({
    model: recipe.model.id,
    seed: String(recipe.seed),
    temperature: String(recipe.temperature),
    topK: String(recipe.topK),
    topP: String(recipe.topP),
    epsilon: String(recipe.epsilon ?? 0),
    image: String(recipe.batchIndex),
    backend: recipe.backend,
  });
  if (recipe.classId !== undefined) q.set('class', String(recipe.classId));
  if (recipe.guidance !== undefined) q.set('guidance', String(recipe.guidance));
  if (recipe.completion && sampleId) {
    q.set('complete', sampleId);
    q.set('keepRows', String(recipe.completion.rowsKept));
  }
  return `/?${q.toString()}`;
}

/**
 * What the studio keeps of each result, shown beside it and downloaded as its recipe JSON: enough to
 * regenerate it bit for bit on the same backend, in the studio's terms, with what a share does not
 * record (the model's name and URL, the run's batch and length, why the backend was chosen, when).
 * `toShareRecipe` is the one mapping from it to a `Recipe`.
 */
export interface ResultRecord {
  model: { id: string; name: string; sha256?: string; url: string };
  /** Image i of the seed samples from its stream `fork(i)`. */
  seed: number;
  /** Which image of the seed this is: the run's firstImage + its place in the run (a Recipe's batchIndex). */
  imageIndex: number;
  /** The run drew images firstImage … firstImage + batch − 1 of the seed. */
  firstImage: number;
  batch: number;
  sampling: FullSamplingSettings;
  /** A class-conditional model's class (its card's `classes` index) and its name; absent = "Anything". */
  class?: SampleClass;
  /** Classifier-free guidance toward `class` (GUIDANCE); 0 = none. Absent without a class. */
  guidance?: number;
  /** Tokens generated (the whole image unless a test or benchmark shortened the run). */
  length: number;
  /** `source`: a dataset id or a label such as `upload:<file>`; `keepRows`: a Recipe's rowsKept. */
  completion?: { source: string; keepRows: number; prefixTokens: number };
  backend: { name: string; reason: string };
  createdAt: string;
}

/**
 * A studio result → the share recipe; null when the model has no sha256 (a model that only lives in
 * this browser cannot be shared: the server would not know it). A completion keeps its source only
 * when that is a dataset id.
 */
export function toShareRecipe(r: ResultRecord, milliseconds?: number): Recipe | null {
  if (!r.model.sha256) return null;
  return {
    model: { id: r.model.id, sha256: r.model.sha256 },
    seed: r.seed,
    temperature: r.sampling.temperature,
    topK: r.sampling.topK,
    topP: r.sampling.topP,
    epsilon: r.sampling.epsilon,
    batchIndex: r.imageIndex,
    ...(r.class ? { classId: r.class.id, ...(r.guidance ? { guidance: r.guidance } : {}) } : {}),
    completion: r.completion
      ? {
          ...(DatasetIdSchema.safeParse(r.completion.source).success ? { datasetId: r.completion.source } : {}),
          rowsKept: r.completion.keepRows,
        }
      : null,
    backend: r.backend.name,
    ...(milliseconds === undefined ? {} : { milliseconds }),
  };
}
