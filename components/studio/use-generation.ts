'use client';
/**
 * A generation run: start it (from scratch or from an image's top rows), paint its tokens as they
 * stream from the worker, cancel it at once, and read the worker's memory when it ends.
 */
import { useCallback, useMemo, useReducer, useRef } from 'react';
import { GenerationCancelled } from '@/lib/runtime/client';
import type { CompletionSource } from './completion-panel';
import { runConditioning } from './conditioning';
import { generationReducer, INITIAL_GENERATION, isRunComplete, type RunState } from './generation-reducer';
import { TokenPainter, tokensPerRow } from './pixels';
import { readRowLimit } from './remix-query';
import type { ModelLoader } from './use-model-loader';
import type { ConditioningSettings } from './use-conditioning';
import type { SamplingSettings } from './use-sampling-settings';

/** The top rows a completion keeps, and where they came from (for its recipe). */
export interface RunPrefix {
  tokens: Int32Array;
  keepRows: number;
  label: string;
}

export function useGeneration(
  { client, loaded, model, choice, restartIfLost }: ModelLoader,
  { batch, seed, firstImage, sampling }: SamplingSettings,
  { conditioning }: Pick<ConditioningSettings, 'conditioning'>,
) {
  const [{ run, error }, dispatch] = useReducer(generationReducer, INITIAL_GENERATION);
  const abort = useRef<AbortController | null>(null);
  const canvasRefs = useRef<(HTMLCanvasElement | null)[]>([]);
  const dataset = model?.card.dataset;

  const start = useCallback(
    async (prefix?: RunPrefix) => {
      if (!client || !loaded || !model || !choice || !dataset) return;
      const controller = new AbortController();
      abort.current = controller;
      const painters = Array.from({ length: batch }, () => new TokenPainter(dataset));
      const limit = readRowLimit(window.location.search);
      const length = limit ? Math.min(loaded.seqLength, limit * tokensPerRow(dataset)) : loaded.seqLength;
      const prefixTokens = prefix ? Math.min(prefix.keepRows * tokensPerRow(dataset), length) : 0;
      const drawn = runConditioning(model.card.classes, conditioning);
      const recipe: RunState['recipe'] = {
        model: {
          id: model.card.id,
          name: model.card.name,
          sha256: model.sha256,
          url: model.source.kind === 'random' ? '' : model.source.url,
        },
        seed,
        firstImage,
        batch,
        sampling,
        ...drawn,
        length,
        ...(prefix ? { completion: { source: prefix.label, keepRows: prefix.keepRows, prefixTokens } } : {}),
        backend: { name: choice.name, reason: choice.reason },
        createdAt: new Date().toISOString(),
      };
      canvasRefs.current = [];
      dispatch({ type: 'start', painters, total: length, recipe, keptRows: prefix?.keepRows });
      try {
        const stream = client.sample(
          {
            batch,
            seed,
            firstImage,
            sampling,
            classId: drawn.class?.id,
            guidance: drawn.guidance,
            length,
            prefix: prefix ? painters.map(() => Array.from(prefix.tokens.subarray(0, prefixTokens))) : undefined,
          },
          controller.signal,
        );
        for await (const chunk of stream) {
          chunk.rows.forEach((row, b) => {
            painters[b].write(chunk.start, row);
            painters[b].paint(canvasRefs.current[b]);
          });
          const { done, tokensPerSecond, elapsedMs } = chunk;
          dispatch({ type: 'progress', done, tokensPerSecond, elapsedMs });
        }
        const memory = await client.memory().catch(() => undefined);
        dispatch({ type: 'done', memory });
      } catch (e) {
        if (e instanceof GenerationCancelled) dispatch({ type: 'cancelled' });
        else {
          dispatch({ type: 'failed', error: e as Error });
          restartIfLost(e as Error);
        }
      } finally {
        if (abort.current === controller) abort.current = null;
      }
    },
    [client, loaded, model, choice, dataset, batch, seed, firstImage, sampling, conditioning, restartIfLost],
  );

  const cancel = useCallback(() => abort.current?.abort(), []);

  // Results are offered for completion only to the model that drew them: another model's tokens
  // mean other things (RGB values are not palette indices) or lie outside its vocabulary.
  const sameModel = run?.recipe.model.id === model?.card.id && run?.recipe.model.sha256 === model?.sha256;
  const completionSources = useMemo<CompletionSource[]>(
    () =>
      sameModel && isRunComplete(run)
        ? run.painters.map((p, i) => ({
            label: `Result #${i + 1} (seed ${run.recipe.seed})`,
            tokens: p.tokens.slice(),
          }))
        : [],
    [sameModel, run?.status, run?.painters, run?.done, run?.total, run?.recipe.seed],
  );

  return { run, error, running: run?.status === 'running', start, cancel, canvasRefs, completionSources };
}
