'use client';
/**
 * The studio: choose a model and sampling options, generate images that fill pixel by pixel as
 * tokens stream from the generation worker, cancel at once, complete an image from its top rows,
 * download results with their exact recipe.
 */
import { useCallback, useEffect, useMemo, useReducer, useRef, useState } from 'react';
import { validationScope } from '@/lib/models/card';
import { randomSeed } from '@/lib/reformer/random';
import { BACKENDS, type BackendName } from '@/lib/runtime/backends';
import { GenerationCancelled } from '@/lib/runtime/client';
import { DeviceLostError } from '@/lib/runtime/errors';
import type { LoadedModel, LoadProgress, MemoryStats } from '@/lib/runtime/protocol';
import { CompletionPanel, type CompletionSource } from './completion-panel';
import { Button, Field, formatBytes, formatDuration, inputClass, Slider } from './controls';
import {
  generationReducer,
  INITIAL_GENERATION,
  isRunComplete,
  runEtaMs,
  runPercent,
  type RunState,
  type RunStatus,
} from './generation-reducer';
import { exactImageToTokens, TokenPainter, tokensPerRow } from './pixels';
import type { Recipe } from './recipe';
import {
  linkSampling as linkSamplingOf,
  PLAIN_SAMPLING,
  readRemixQuery,
  readRowLimit,
  type Sampling,
} from './remix-query';
import { type RenderShare, ResultGrid } from './result-grid';
import { type ModelEntry, useBenchHook, useEngine, useModels } from './use-engine';

export interface StudioProps {
  /** The sharing feature's slot in the result panel. */
  renderShare?: RenderShare;
}

export function Studio({ renderShare }: StudioProps) {
  const [backendPref, setBackendPref] = useState<BackendName | 'auto'>('auto');
  // The backend a Remix link ran on: tried first, but a preference, not a force (see below).
  const [linkBackend, setLinkBackend] = useState<BackendName | null>(null);
  const [backendNotice, setBackendNotice] = useState<string | null>(null);
  const [engineRestarts, setEngineRestarts] = useState(0);
  const { client, choice, error: backendError } = useEngine(backendPref, engineRestarts);
  // A lost GPU device stays lost in its worker: a new worker (which loads the model again) is the
  // way back. At most a few times a visit, so a GPU that is lost at every load does not loop.
  const restartIfLost = (e: Error) => {
    if (e instanceof DeviceLostError && engineRestarts < 3) setEngineRestarts((n) => n + 1);
  };
  const [loadAttempt, setLoadAttempt] = useState(0);
  const { models, error: modelsError } = useModels(client);
  const [modelKey, setModelKey] = useState<string | null>(null);
  const [loaded, setLoaded] = useState<LoadedModel | null>(null);
  const [loadProgress, setLoadProgress] = useState<LoadProgress | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [batch, setBatch] = useState(4);
  const [temperature, setTemperature] = useState(1);
  const [topK, setTopK] = useState(0);
  const [topP, setTopP] = useState(1);
  const [epsilon, setEpsilon] = useState(0);
  const [seed, setSeed] = useState(1);
  /** The run draws images firstImage, firstImage + 1, … of the seed: a Remix of image i draws it alone. */
  const [firstImage, setFirstImage] = useState(0);
  const changeSeed = (s: number) => {
    setSeed(s);
    setFirstImage(0);
  };
  const [{ run, error: runError }, dispatch] = useReducer(generationReducer, INITIAL_GENERATION);
  const abort = useRef<AbortController | null>(null);
  const canvasRefs = useRef<(HTMLCanvasElement | null)[]>([]);

  const [wantedModelId, setWantedModelId] = useState<string | null>(null);
  /** A Remix of a completion: the shared image whose top rows are the prefix, read back once the model is known. */
  const [remixPrefix, setRemixPrefix] = useState<{
    sampleId: string;
    keepRows: number;
    tokens?: Int32Array;
    error?: string;
  } | null>(null);
  const batchFromLink = useRef(false);
  /** A Remix link's sampling: it holds until the user picks a model, which then opens with its own. */
  const linkSampling = useRef<Sampling | null>(null);
  // A Remix link (lib/samples/recipe.ts remixHref) presets the recipe; otherwise a fresh seed.
  useEffect(() => {
    const q = readRemixQuery(window.location.search);
    setSeed(q.seed ?? randomSeed());
    linkSampling.current = linkSamplingOf(q);
    // Image i of a seed samples from the seed's stream i: a run of one image starting there redraws it.
    if (q.image !== undefined) {
      batchFromLink.current = true;
      setBatch(1);
      setFirstImage(q.image);
    }
    if (q.backend && q.backend !== 'auto') {
      setLinkBackend(q.backend);
      setBackendPref(q.backend);
    }
    if (q.model) setWantedModelId(q.model);
    if (q.complete && q.keepRows) setRemixPrefix({ sampleId: q.complete, keepRows: q.keepRows });
  }, []);
  useBenchHook();

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
  const model: ModelEntry | undefined =
    models?.find((m) => m.key === modelKey) ??
    (wantedModelId ? models?.find((m) => m.card.id === wantedModelId) : undefined) ??
    models?.[0];

  // Each model opens with the sampling its card recommends (the setting bench:samples found
  // nearest its images), or plain temperature-1 sampling; a Remix link's own holds until the user
  // picks a model.
  const recommended = model?.card.sampling;
  const applySampling = (s: Sampling) => {
    setTemperature(s.temperature);
    setTopK(s.topK);
    setTopP(s.topP);
    setEpsilon(s.epsilon);
  };
  const openedModel = model?.key;
  useEffect(() => {
    if (openedModel === undefined) return;
    applySampling(linkSampling.current ?? recommended ?? PLAIN_SAMPLING);
    // Only a change of model resets the controls (`recommended` comes with it).
  }, [openedModel]);
  const onRecommended =
    recommended !== undefined &&
    temperature === recommended.temperature &&
    topK === recommended.topK &&
    topP === recommended.topP &&
    epsilon === recommended.epsilon;

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

  // A high-resolution model starts at one image (unless a Remix link asks for more): each image
  // holds its own decoding cache (~70 MB at 256×256) and takes minutes. The user can raise it.
  const pixelsPerImage = model ? model.card.dataset.width * model.card.dataset.height : 0;
  useEffect(() => {
    if (pixelsPerImage > 128 * 128 && !batchFromLink.current) setBatch(1);
  }, [pixelsPerImage]);

  const running = run?.status === 'running';
  const dataset = model?.card.dataset;

  const remixSample = remixPrefix?.sampleId;
  useEffect(() => {
    if (!remixSample || !dataset) return;
    let live = true;
    (async () => {
      const res = await fetch(`/api/samples/${encodeURIComponent(remixSample)}/image.png`);
      if (!res.ok) throw new Error(`the shared image answered HTTP ${res.status}`);
      const tokens = await exactImageToTokens(await res.blob(), dataset);
      if (live) setRemixPrefix((p) => p && { ...p, tokens, error: undefined });
    })().catch((e: Error) => live && setRemixPrefix((p) => p && { ...p, tokens: undefined, error: e.message }));
    return () => {
      live = false;
    };
  }, [remixSample, dataset]);

  const start = useCallback(
    async (prefix?: { tokens: Int32Array; keepRows: number; label: string }) => {
      if (!client || !loaded || !model || !choice || !dataset) return;
      const controller = new AbortController();
      abort.current = controller;
      const painters = Array.from({ length: batch }, () => new TokenPainter(dataset));
      const limit = readRowLimit(window.location.search);
      const length = limit ? Math.min(loaded.seqLength, limit * tokensPerRow(dataset)) : loaded.seqLength;
      const prefixTokens = prefix ? Math.min(prefix.keepRows * tokensPerRow(dataset), length) : 0;
      const sampling = { temperature, topK, topP, epsilon };
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
    [client, loaded, model, choice, dataset, batch, seed, firstImage, temperature, topK, topP, epsilon],
  );

  // Cancel takes Generate's place on screen, so the second click of a double-click on Generate
  // lands on it: such a click (detail 2) is not a cancel. The two buttons are keyed apart, so
  // keyboard focus does not carry from one to the other and a second Enter presses nothing.
  const cancel = (e: React.MouseEvent) => {
    if (e.detail > 1) return;
    abort.current?.abort();
  };

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
  // A Remix link whose model is not here (deleted, or trained on another server): say so, since
  // the same seed on the model shown instead draws a different image.
  const missingModel =
    wantedModelId !== null && modelKey === null && models !== null && !models.some((m) => m.card.id === wantedModelId)
      ? wantedModelId
      : null;

  const percent = runPercent(run);

  return (
    <main className="mx-auto grid max-w-7xl gap-8 px-6 py-8 lg:grid-cols-[340px_minmax(0,1fr)]">
      <aside className="space-y-6 lg:sticky lg:top-20 lg:self-start">
        <div>
          <h1 className="text-xl font-semibold tracking-tight text-white">Studio</h1>
          <p className="mt-1 text-sm text-neutral-400">
            A Reformer paints images one token at a time, right here in your browser.
          </p>
        </div>

        <section className="space-y-4 rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
          <Field label="Model">
            <select
              data-testid="model-select"
              className={inputClass}
              value={model?.key ?? ''}
              onChange={(e) => {
                linkSampling.current = null;
                setModelKey(e.target.value);
              }}
              disabled={running || !models?.length}
            >
              {models === null && <option>Loading models…</option>}
              {models?.length === 0 && <option>No models published yet</option>}
              {models?.map((m) => (
                <option key={m.key} value={m.key}>
                  {m.card.name}
                  {m.origin === 'local' ? ' (in this browser)' : m.origin === 'trained' ? ' (trained here)' : ''}
                </option>
              ))}
            </select>
          </Field>
          {model && (
            <dl
              className="grid grid-cols-3 gap-2 text-center"
              data-testid="model-card"
              data-loaded={loaded ? (loaded.fromCache ? 'cache' : 'network') : ''}
            >
              <Stat label="Resolution" value={`${model.card.dataset.width}×${model.card.dataset.height}`} />
              <Stat
                label="Tokens"
                value={
                  model.card.dataset.tokenization === 'rgb'
                    ? 'RGB'
                    : `${(model.card.dataset.palette?.length ?? 0) / 3} colours`
                }
              />
              <Stat
                label="Bits/dim"
                value={model.card.validationBitsPerDim?.toFixed(2) ?? '–'}
                title={`Bits per sub-pixel ${validationScope(model.card)}: lower is better`}
              />
              <p className="col-span-3 text-left text-xs text-neutral-500">
                {model.card.dataset.name} · {(model.card.parameters / 1000).toFixed(0)}k parameters ·{' '}
                {model.card.steps.toLocaleString()} steps
                {model.bytes ? ` · ${formatBytes(model.bytes)}` : ''}
                {loaded?.fromCache ? ' · cached in this browser' : ''}
              </p>
            </dl>
          )}
          {loadProgress && <LoadBar progress={loadProgress} />}
          {modelsError && <p className="text-xs text-rose-300">{modelsError}</p>}
          {missingModel && model && (
            <p role="status" data-testid="remix-model-missing" className="text-xs text-amber-300">
              This recipe&apos;s model “{missingModel}” is not available here, so {model.card.name} is selected instead:
              the same seed will draw a different image.
            </p>
          )}
          {loadError && (
            <div className="flex items-start gap-2 text-xs text-rose-300" role="alert">
              <p className="flex-1">{loadError}</p>
              <Button data-testid="load-retry" className="px-2 py-0.5" onClick={() => setLoadAttempt((n) => n + 1)}>
                Retry
              </Button>
            </div>
          )}
        </section>

        <section className="space-y-4 rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
          <div className="grid grid-cols-[88px_minmax(0,1fr)] gap-3">
            <Field label="Images">
              <input
                data-testid="batch-input"
                type="number"
                min={1}
                max={16}
                className={inputClass}
                value={batch}
                disabled={running}
                onChange={(e) => setBatch(Math.min(16, Math.max(1, Math.round(Number(e.target.value) || 1))))}
              />
            </Field>
            <Field label="Seed" hint={firstImage > 0 ? `from image #${firstImage + 1}` : undefined}>
              <div className="flex gap-1">
                <input
                  data-testid="seed-input"
                  type="number"
                  min={0}
                  max={4294967295}
                  className={inputClass}
                  value={seed}
                  disabled={running}
                  onChange={(e) =>
                    changeSeed(Math.min(4294967295, Math.max(0, Math.floor(Number(e.target.value) || 0))))
                  }
                />
                <Button
                  aria-label="Random seed"
                  title="Random seed"
                  data-testid="seed-random"
                  disabled={running}
                  onClick={() => changeSeed(randomSeed())}
                  className="px-2"
                >
                  ⚄
                </Button>
              </div>
            </Field>
          </div>
          <Field label="Temperature" hint={temperature === 0 ? 'greedy' : temperature.toFixed(2)}>
            <Slider
              label="Temperature"
              testId="temperature-input"
              value={temperature}
              min={0}
              max={1.5}
              step={0.05}
              onChange={setTemperature}
              disabled={running}
            />
          </Field>
          <Field label="Top-k" hint={topK === 0 ? 'off' : String(topK)}>
            <Slider
              label="Top-k"
              testId="topk-input"
              value={topK}
              min={0}
              max={64}
              step={1}
              onChange={setTopK}
              disabled={running}
            />
          </Field>
          <Field label="Top-p" hint={topP === 1 ? 'off' : topP.toFixed(2)}>
            <Slider
              label="Top-p"
              testId="topp-input"
              value={topP}
              min={0.05}
              max={1}
              step={0.05}
              onChange={setTopP}
              disabled={running}
            />
          </Field>
          <Field label="Probability floor" hint={epsilon === 0 ? 'off' : 'drops shades less likely than this'}>
            <select
              data-testid="epsilon-select"
              aria-label="Probability floor"
              className={inputClass}
              value={epsilon}
              disabled={running}
              onChange={(e) => setEpsilon(Number(e.target.value))}
            >
              {[...new Set([...EPSILON_CHOICES, epsilon])]
                .sort((a, b) => a - b)
                .map((v) => (
                  <option key={v} value={v}>
                    {v === 0 ? 'off' : v}
                  </option>
                ))}
            </select>
          </Field>
          {recommended && (
            <RecommendedSampling
              sampling={recommended}
              active={onRecommended}
              disabled={running}
              onUse={() => applySampling(recommended)}
            />
          )}
          <Field label="Backend">
            <select
              data-testid="backend-select"
              className={inputClass}
              value={backendPref}
              disabled={running}
              onChange={(e) => {
                setLinkBackend(null);
                setBackendNotice(null);
                setBackendPref(e.target.value as BackendName | 'auto');
              }}
            >
              <option value="auto">Auto (fastest available)</option>
              {BACKENDS.map((b) => (
                <option key={b.name} value={b.name}>
                  {b.label}
                </option>
              ))}
            </select>
          </Field>
          <p
            data-testid="backend-reason"
            data-backend={choice?.name ?? ''}
            className="text-xs leading-relaxed text-neutral-500"
          >
            {backendNotice && (
              <span data-testid="backend-notice" className="mb-1 block text-amber-300">
                {backendNotice}
              </span>
            )}
            {backendError ? (
              <span className="text-rose-300">{backendError.message}</span>
            ) : choice ? (
              <>
                <span className="font-medium text-emerald-300">{choice.name}</span> · {choice.reason}
              </>
            ) : (
              'Starting the engine…'
            )}
          </p>
          {running ? (
            <Button key="cancel" variant="danger" className="w-full" data-testid="cancel-button" onClick={cancel}>
              Cancel
            </Button>
          ) : (
            <Button
              key="generate"
              variant="primary"
              className="w-full py-2.5"
              data-testid="generate-button"
              disabled={!loaded}
              onClick={() => start()}
            >
              {loaded ? `Generate ${batch} image${batch === 1 ? '' : 's'}` : 'Loading model…'}
            </Button>
          )}
        </section>

        {dataset && (
          <section className="rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
            <h2 className="mb-3 text-xs font-medium uppercase tracking-wider text-neutral-400">Complete an image</h2>
            {remixPrefix && (
              <div
                data-testid="remix-completion"
                className="mb-4 space-y-2 rounded-lg border border-emerald-500/30 bg-emerald-500/5 p-3 text-xs text-neutral-300"
              >
                <p>
                  This recipe completed the top {remixPrefix.keepRows} rows of an image. To redraw it, complete the same
                  rows, read back from the shared sample.
                </p>
                {remixPrefix.error && (
                  <p className="text-rose-300">Could not read the shared sample: {remixPrefix.error}.</p>
                )}
                {remixPrefix.keepRows >= dataset.height && (
                  <p className="text-rose-300" data-testid="remix-complete-nothing">
                    This link keeps all {dataset.height} rows of the image, so there is nothing left to draw. Choose
                    fewer rows below.
                  </p>
                )}
                <Button
                  variant="primary"
                  className="w-full"
                  data-testid="remix-complete"
                  disabled={running || !loaded || !remixPrefix.tokens || remixPrefix.keepRows >= dataset.height}
                  onClick={() =>
                    remixPrefix.tokens &&
                    start({
                      tokens: remixPrefix.tokens,
                      keepRows: remixPrefix.keepRows,
                      label: `Shared sample ${remixPrefix.sampleId}`,
                    })
                  }
                >
                  Complete the shared image&apos;s top {remixPrefix.keepRows} rows
                </Button>
              </div>
            )}
            {/* Keyed by what tokens mean: an uploaded image read for one model is not another's prefix. */}
            <CompletionPanel
              key={`${dataset.id}:${dataset.width}x${dataset.height}:${dataset.tokenization}`}
              dataset={dataset}
              results={completionSources}
              disabled={running || !loaded}
              onComplete={(s, keepRows) => start({ tokens: s.tokens, keepRows, label: s.label })}
            />
          </section>
        )}
      </aside>

      <section aria-label="Canvas" className="min-w-0 space-y-4">
        <div className="rounded-xl border border-neutral-800 bg-neutral-900/40 p-4">
          <div className="flex flex-wrap items-baseline gap-x-6 gap-y-1 text-sm tabular-nums text-neutral-400">
            <span className="font-medium text-neutral-200">{run ? statusLabel(run.status) : 'Ready'}</span>
            <span>
              <span data-testid="tokens-per-second" className="text-neutral-100">
                {run ? Math.round(run.tokensPerSecond).toLocaleString() : '–'}
              </span>{' '}
              tokens/s
            </span>
            <span>
              elapsed <span className="text-neutral-100">{run ? formatDuration(run.elapsedMs) : '–'}</span>
            </span>
            <span>
              ETA <span className="text-neutral-100">{running ? formatDuration(runEtaMs(run)) : '–'}</span>
            </span>
            {run?.memory && <MemoryReadout memory={run.memory} />}
            <span className="ml-auto">
              {run ? `${run.done.toLocaleString()} / ${run.total.toLocaleString()} tokens` : ''}
            </span>
          </div>
          <div
            data-testid="progress"
            role="progressbar"
            aria-label="Generation progress"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={percent}
            className="mt-3 h-1.5 overflow-hidden rounded-full bg-neutral-800"
          >
            <div
              className={`h-full rounded-full transition-[width] duration-150 ${run?.status === 'cancelled' ? 'bg-neutral-500' : run?.status === 'error' ? 'bg-rose-400' : 'bg-emerald-400'}`}
              style={{ width: `${percent}%` }}
            />
          </div>
          {runError && (
            <p role="alert" className="mt-3 text-sm text-rose-300">
              {runError}
            </p>
          )}
        </div>

        {run ? (
          <ResultGrid
            painters={run.painters}
            canvasRefs={canvasRefs}
            complete={run.status === 'done'}
            keptRows={run.keptRows}
            recipeFor={(i) => ({ ...run.recipe, imageIndex: run.recipe.firstImage + i })}
            renderShare={renderShare}
          />
        ) : (
          <EmptyCanvas />
        )}
      </section>
    </main>
  );
}

/**
 * Floors for the ε control. At 32×32 a floor of 0.001 halves the stray pixels of temperature-1
 * samples and 0.002 brings them near the dataset's rate, at the cost of fewer, smaller shapes
 * (README, "Shipped models").
 */
const EPSILON_CHOICES = [0, 0.0003, 0.001, 0.002, 0.005];

/** What the card's recommended sampling was measured to draw, and a way back to it. */
function RecommendedSampling({
  sampling,
  active,
  disabled,
  onUse,
}: {
  sampling: NonNullable<ModelEntry['card']['sampling']>;
  active: boolean;
  disabled: boolean;
  onUse: () => void;
}) {
  const pct = (x: number) => `${(100 * x).toFixed(x < 0.1 ? 1 : 0)}%`;
  const m = sampling.measured;
  return (
    <div
      data-testid="sampling-recommended"
      data-active={active}
      className="space-y-1.5 text-xs leading-relaxed text-neutral-500"
    >
      <p>
        {active ? 'Recommended for this model' : "This model's recommended sampling"}: T {sampling.temperature}
        {sampling.topK ? `, top-k ${sampling.topK}` : ''}
        {sampling.topP < 1 ? `, top-p ${sampling.topP}` : ''}
        {sampling.epsilon ? `, floor ${sampling.epsilon}` : ''}. Its samples had {pct(m.stray)} stray pixels and ink on{' '}
        {pct(m.ink)} of the canvas ({m.samples} samples, bench:samples), against {pct(m.validationStray)} and{' '}
        {pct(m.validationInk)} in the validation images.
      </p>
      {!active && (
        <Button data-testid="sampling-use-recommended" className="px-2 py-0.5" disabled={disabled} onClick={onUse}>
          Use recommended
        </Button>
      )}
    </div>
  );
}

function statusLabel(s: RunStatus): string {
  return { running: 'Generating…', done: 'Done', cancelled: 'Cancelled', error: 'Failed' }[s];
}

function Stat({ label, value, title }: { label: string; value: string; title?: string }) {
  return (
    <div className="rounded-md bg-neutral-950/60 px-2 py-1.5" title={title}>
      <dt className="text-[10px] uppercase tracking-wider text-neutral-500">{label}</dt>
      <dd className="text-sm font-medium tabular-nums text-neutral-200">{value}</dd>
    </div>
  );
}

/** Peak memory of the finished run: the cache grows linearly with the image, never quadratically. */
function MemoryReadout({ memory }: { memory: MemoryStats }) {
  const peak = memory.cacheBytes + memory.peakTensorBytes;
  return (
    <span
      data-testid="memory"
      data-cache-bytes={memory.cacheBytes}
      data-peak-tensor-bytes={memory.peakTensorBytes}
      title={`decoding cache ${formatBytes(memory.cacheBytes)} + peak tensors (weights included) ${formatBytes(memory.peakTensorBytes)}`}
    >
      peak memory <span className="text-neutral-100">{formatBytes(peak)}</span>
    </span>
  );
}

function LoadBar({ progress }: { progress: LoadProgress }) {
  const pct = progress.total ? Math.round((100 * (progress.loaded ?? 0)) / progress.total) : undefined;
  const label = { download: 'Downloading', cache: 'Reading from cache', build: 'Building', warmup: 'Warming up' }[
    progress.stage
  ];
  return (
    <div data-testid="model-loading" className="space-y-1">
      <div className="flex justify-between text-xs text-neutral-500">
        <span>{label}…</span>
        {progress.stage === 'download' && pct !== undefined && <span className="tabular-nums">{pct}%</span>}
      </div>
      <div className="h-1 overflow-hidden rounded-full bg-neutral-800">
        <div
          className="h-full bg-emerald-500/70 transition-[width]"
          style={{ width: `${progress.stage === 'download' ? (pct ?? 0) : 100}%` }}
        />
      </div>
    </div>
  );
}

function EmptyCanvas() {
  return (
    <div className="flex aspect-[4/3] items-center justify-center rounded-xl border border-dashed border-neutral-800 bg-[radial-gradient(circle_at_center,rgba(16,185,129,0.06),transparent_60%)]">
      <div className="text-center">
        <div className="mx-auto grid w-16 grid-cols-4 gap-1 opacity-60">
          {Array.from({ length: 16 }, (_, i) => (
            <span
              key={i}
              className={`aspect-square rounded-[2px] ${[0, 1, 2, 4, 5, 8].includes(i) ? 'bg-emerald-400/70' : 'bg-neutral-800'}`}
            />
          ))}
        </div>
        <p className="mt-4 text-sm text-neutral-400">Pick a model and press Generate.</p>
        <p className="text-xs text-neutral-600">Each pixel is sampled from everything above and to its left.</p>
      </div>
    </div>
  );
}
