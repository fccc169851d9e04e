/**
 * A shared sample, written down once: the recipe the studio sends with the PNG (the `recipe` form
 * field of POST /api/samples, as JSON), the public view the API and pages serve, and the Remix URL
 * the studio reads back. Isomorphic: the server validates with these schemas, the browser types
 * its requests with them.
 */
import { z } from 'zod';
import { DatasetIdSchema, ModelIdSchema } from '@/lib/ids';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase hex sha256');

export const RecipeSchema = z
  .object({
    /** The model that drew it, and the sha256 of its files (public/models/index.json `sha256`). */
    model: z.object({ id: ModelIdSchema, sha256 }).strict(),
    seed: z.number().int().min(0).max(0xffffffff),
    temperature: z.number().min(0).max(10),
    /** 0 = no top-k cut. */
    topK: z.number().int().min(0).max(65536),
    /** 1 = no nucleus cut. */
    topP: z.number().gt(0).max(1),
    /** Probability floor (lib/reformer/sampling.ts); 0 = none, as when absent (recipes from before it). */
    epsilon: z.number().min(0).lt(1).optional(),
    /** Which image of the run drawn from `seed` this is (0-based; image i samples from the seed's stream i). */
    batchIndex: z.number().int().min(0).max(1023),
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
  .strict();
export type Recipe = z.infer<typeof RecipeSchema>;

/** What GET /api/samples[/:id] answers: the record minus its secret (the delete-token hash). */
export interface SampleView {
  id: string;
  createdAt: string;
  recipe: Recipe;
  model: { id: string; name: string; dataset: { id: string; name: string; tokenization: 'rgb' | 'palette' } };
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
 * backend; for a completion, also `complete` (the sample `sampleId`, whose top rows the studio reads
 * back from its PNG: they are the prefix, kept exactly) and `keepRows`.
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
  if (recipe.completion && sampleId) {
    q.set('complete', sampleId);
    q.set('keepRows', String(recipe.completion.rowsKept));
  }
  return `/?${q.toString()}`;
}

/**
 * The fields of the studio's result recipe (components/studio/recipe.ts) that a share needs,
 * typed structurally so this module does not depend on the studio's UI code.
 */
export interface StudioResultRecipe {
  model: { id: string; sha256?: string };
  seed: number;
  imageIndex: number;
  sampling: { temperature: number; topK: number; topP: number; epsilon: number };
  completion?: { source: string; keepRows: number };
  backend: { name: string };
}

/**
 * The studio's recipe → the share recipe; null when the model has no sha256 (a model that only
 * lives in this browser cannot be shared: the server would not know it).
 */
export function fromStudioRecipe(r: StudioResultRecipe, milliseconds?: number): Recipe | null {
  if (!r.model.sha256) return null;
  return {
    model: { id: r.model.id, sha256: r.model.sha256 },
    seed: r.seed,
    temperature: r.sampling.temperature,
    topK: r.sampling.topK,
    topP: r.sampling.topP,
    epsilon: r.sampling.epsilon,
    batchIndex: r.imageIndex,
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
