'use client';
/**
 * The engine and its model: the backend preference (a Remix link's backend tried first, with a
 * fallback when it cannot run here), restarts after a lost GPU device, the model choice, and its
 * load with progress and errors.
 */
import { useCallback, useEffect, useState } from 'react';
import type { BackendName } from '@/lib/runtime/backends';
import { DeviceLostError } from '@/lib/runtime/errors';
import type { LoadedModel, LoadProgress } from '@/lib/runtime/protocol';
import type { RemixQuery } from './remix-query';
import { type ModelEntry, useEngine, useModels } from './use-engine';

/** How many times a visit a lost GPU device restarts the engine, so one lost at every load does not loop. */
const MAX_ENGINE_RESTARTS = 3;

export function useModelLoader(link: RemixQuery | null) {
  const [backendPref, setBackendPref] = useState<BackendName | 'auto'>('auto');
  // The backend a Remix link ran on: tried first, but a preference, not a force (see below).
  const [linkBackend, setLinkBackend] = useState<BackendName | null>(null);
  const [backendNotice, setBackendNotice] = useState<string | null>(null);
  const [engineRestarts, setEngineRestarts] = useState(0);
  const { client, choice, error: backendError } = useEngine(backendPref, engineRestarts);
  // A lost GPU device stays lost in its worker: a new worker (which loads the model again) is the way back.
  const restartIfLost = useCallback((e: Error) => {
    if (e instanceof DeviceLostError) setEngineRestarts((n) => (n < MAX_ENGINE_RESTARTS ? n + 1 : n));
  }, []);

  useEffect(() => {
    if (link?.backend && link.backend !== 'auto') {
      setLinkBackend(link.backend);
      setBackendPref(link.backend);
    }
  }, [link]);

  // A Remix link's backend gives the same pixels when it runs here; when it cannot (no WebGPU in
  // this browser), or runs only as a slow software fallback, the studio picks the best backend
  // instead and says so. The user can still force any backend with the select.
  useEffect(() => {
    if (!linkBackend || backendPref !== linkBackend) return;
    const fallback = choice?.adapterInfo?.isFallback ? 'is only a slow software fallback here' : null;
    const why = backendError ? `cannot run here (${backendError.message})` : fallback;
    if (!why) return;
    setBackendNotice(
      `This recipe ran on ${linkBackend}, which ${why}: using the fastest backend available instead, so a few pixels may differ. Choose ${linkBackend} under Backend to force it.`,
    );
    setLinkBackend(null);
    setBackendPref('auto');
  }, [linkBackend, backendPref, backendError, choice]);

  const chooseBackend = useCallback((pref: BackendName | 'auto') => {
    setLinkBackend(null);
    setBackendNotice(null);
    setBackendPref(pref);
  }, []);

  const { models, error: modelsError } = useModels(client);
  const [modelKey, setModelKey] = useState<string | null>(null);
  const wantedModelId = link?.model ?? null;
  const model: ModelEntry | undefined =
    models?.find((m) => m.key === modelKey) ??
    (wantedModelId ? models?.find((m) => m.card.id === wantedModelId) : undefined) ??
    models?.[0];
  // A Remix link whose model is not here (deleted, or trained on another server): say so, since
  // the same seed on the model shown instead draws a different image.
  const missingModel =
    wantedModelId !== null && modelKey === null && models !== null && !models.some((m) => m.card.id === wantedModelId)
      ? wantedModelId
      : null;

  const [loadAttempt, setLoadAttempt] = useState(0);
  const [loaded, setLoaded] = useState<LoadedModel | null>(null);
  const [loadProgress, setLoadProgress] = useState<LoadProgress | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const retryLoad = useCallback(() => setLoadAttempt((n) => n + 1), []);
  // Load the chosen model into the worker as soon as the backend is up.
  useEffect(() => {
    // A new engine (backend switch, restart) holds no model: nothing can run until it loads one.
    setLoaded(null);
    if (!client || !choice || !model) return;
    let live = true;
    setLoadError(null);
    setLoadProgress({ stage: 'download', loaded: 0, total: model.bytes });
    client
      .load(model.source, (p) => live && setLoadProgress(p))
      .then(
        (m) => live && (setLoaded(m), setLoadProgress(null)),
        (e: Error) => {
          if (!live) return;
          setLoadError(`${e.name}: ${e.message}`);
          setLoadProgress(null);
          restartIfLost(e);
        },
      );
    return () => {
      live = false;
    };
  }, [client, choice, model, loadAttempt]);

  return {
    client,
    choice,
    backendPref,
    backendError,
    backendNotice,
    chooseBackend,
    models,
    modelsError,
    model,
    chooseModel: setModelKey,
    missingModel,
    loaded,
    loadProgress,
    loadError,
    retryLoad,
    restartIfLost,
  };
}

export type ModelLoader = ReturnType<typeof useModelLoader>;
