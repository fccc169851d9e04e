/**
 * The Web Worker that trains: it downloads a dataset's shards, runs the shared loop
 * (lib/training/trainer.ts) one step at a time, yielding between steps so pause/stop/publish
 * requests are handled, streams TrainEvents, validates and checkpoints into the run's own slot at
 * intervals (so a reload can resume exactly), and draws two sample images now and then. It holds
 * the run's Web Lock while the run is open, so no other tab resumes or discards it meanwhile. The
 * session is a class with its replies, fetch, checkpoint store and locks injected, so tests run it
 * without a worker.
 */
import type { ModelCard } from '@/lib/models/card';
import {
  type DatasetManifest,
  DatasetManifestSchema,
  datasetUrl,
  shardUrl,
  tokensToImage,
} from '@/lib/pixels/manifest';
import { generate } from '@/lib/reformer/generate';
import { ReformerLM } from '@/lib/reformer/model';
import { modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { configFor } from '@/lib/training/presets';
import { lineageAfter, startMismatch } from '@/lib/training/start-from';
import { type Endpoint, GradientClient, type HelperReply } from '@/lib/training/gradient-service';
import { DEFAULT_TRAIN, Trainer, trainingDataFrom, type TrainingData } from '@/lib/training/trainer';
import type { AvoidList } from './backend-checks';
import { type BackendChoice, selectBackend } from './backends';
import { RunOpenElsewhereError } from './errors';
import { type CheckpointStore, indexedDbCheckpoints, type RunLocks, webRunLocks } from './train-checkpoints';
import {
  MAX_SAMPLE_TOKENS,
  type CheckpointSummary,
  type ErrorPayload,
  type PublishArtifacts,
  type RunState,
  type SampleImage,
  type SavedRun,
  type StartFrom,
  type TrainEvent,
  type TrainHistory,
  type TrainReply,
  type TrainRequest,
  type TrainSettings,
} from './train-protocol';

/** Validation images per evaluation: enough to compare runs, few enough to keep the loop moving. */
const EVAL_IMAGES = 8;
/** Training points kept on the chart; beyond this, points average more steps. */
const CHART_POINTS = 400;
/** At most this many workers share a batch (this one and its gradient helpers). */
const MAX_WORKERS = 8;
/**
 * How long a gradient helper may take to answer one step's share before the run fails: a helper
 * that dies without an error event would otherwise hang the step forever. Generous, since a step
 * on a large image takes a while.
 */
const HELPER_TIMEOUT_MS = 5 * 60_000;

interface Run {
  id: number;
  runId: string;
  /** Lets go of the run's Web Lock. */
  release: () => Promise<void>;
  trainer: Trainer;
  manifest: DatasetManifest;
  settings: TrainSettings;
  history: TrainHistory;
  state: RunState;
  lastValidation?: number;
  /** The step of the last checkpoint saved (the one a resume starts from). */
  savedStep?: number;
  /** Paused, and the pause's checkpoint written (or tried). */
  pauseSaved: boolean;
  /** Told when the run is paused with its checkpoint saved, or has ended: `close` waits for it. */
  onSettled: (() => void)[];
  pauseRequested: boolean;
  stopRequested: boolean;
  wake?: () => void;
  samples?: AbortController;
  /** Running mean of training bits/dim since the last chart point. */
  bucket: { sum: number; count: number };
  /** Gradient helpers in other workers, splitting each batch with this one. */
  helpers: { client: GradientClient; worker: Worker }[];
}

export type Post = (reply: TrainReply, transfer?: Transferable[]) => void;

/** What a session talks to besides its page; the browser's by default, stand-ins in tests. */
export interface SessionDeps {
  store: CheckpointStore;
  locks: RunLocks;
  fetchFn: typeof fetch;
}

/** A new run's id: its checkpoint slot and lock name. Unique enough for one browser's runs. */
const newRunId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

/** Lets queued messages in between steps: awaiting tensor data alone may never yield. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

async function fetchOk(fetchFn: typeof fetch, url: string): Promise<Response> {
  const response = await fetchFn(url);
  if (!response.ok) throw new Error(`${url} answered ${response.status}; is the dataset still there?`);
  return response;
}

async function loadDataset(
  fetchFn: typeof fetch,
  id: string,
): Promise<{ manifest: DatasetManifest; data: TrainingData }> {
  const manifest = DatasetManifestSchema.parse(await (await fetchOk(fetchFn, datasetUrl(id))).json());
  const data = await trainingDataFrom(
    manifest,
    async (shard) => new Uint8Array(await (await fetchOk(fetchFn, shardUrl(id, shard))).arrayBuffer()),
  );
  return { manifest, data };
}

/**
 * Gradient helpers for a run on WASM: one Web Worker per spare core, up to one per image of the
 * batch beyond the first (tfjs-wasm computes on one core per worker). None on GPU backends, where
 * one worker already has the device, nor where workers cannot start; training then runs here alone.
 */
async function startHelpers(trainer: Trainer, backend: BackendChoice): Promise<Run['helpers']> {
  const cores = typeof navigator === 'undefined' ? 1 : (navigator.hardwareConcurrency ?? 1);
  const count = Math.min(cores, trainer.options.batchSize, MAX_WORKERS) - 1;
  if (backend.name !== 'wasm' || count < 1 || typeof Worker === 'undefined') return [];
  const started = await Promise.allSettled(
    Array.from({ length: count }, async () => {
      const worker = new Worker(new URL('./gradient-worker.ts', import.meta.url), {
        type: 'module',
        name: 'train-gradients',
      });
      const endpoint: Endpoint = {
        post: (m, transfer = []) => worker.postMessage(m, transfer),
        listen: (handler) => worker.addEventListener('message', (e: MessageEvent<HelperReply>) => handler(e.data)),
      };
      // Listened for before init: a worker whose script fails to load errors and never answers.
      const crashed = new Promise<never>((_, reject) => {
        worker.addEventListener('error', (e) =>
          reject(new Error(`a gradient worker crashed${e.message ? `: ${e.message}` : ''}`)),
        );
      });
      try {
        const client = await Promise.race([
          GradientClient.start(endpoint, trainer.model.config, { timeoutMs: HELPER_TIMEOUT_MS }),
          crashed,
        ]);
        crashed.catch((e: Error) => client.fail(e));
        return { client, worker };
      } catch (e) {
        worker.terminate();
        throw e;
      }
    }),
  );
  return started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
}

/** The model a run starts from, downloaded, refused unless its tokens mean the dataset's pixels. */
async function startingModel(fetchFn: typeof fetch, from: StartFrom, manifest: DatasetManifest): Promise<ReformerLM> {
  const artifacts = await tf.io.http(from.url, { fetchFunc: fetchFn }).load!();
  const { model } = modelFromArtifacts(artifacts);
  const problem = startMismatch(model.config, from.card, manifest);
  if (problem) {
    model.dispose();
    throw new Error(`${from.card.name} cannot train on ${manifest.name}: ${problem}.`);
  }
  return model;
}

function summaryOf(artifacts: tf.io.ModelArtifacts): CheckpointSummary | null {
  const meta = artifacts.userDefinedMetadata as { summary?: CheckpointSummary } | undefined;
  return meta?.summary ?? null;
}

function toPayload(err: unknown): ErrorPayload {
  if (err instanceof Error) return { name: err.name, message: err.message };
  return { name: 'Error', message: String(err) };
}

/** One tab's training: at most one run, driven by protocol requests. */
export class TrainingSession {
  private backend: BackendChoice | undefined;
  private run: Run | undefined;
  private readonly store: CheckpointStore;
  private readonly locks: RunLocks;
  private readonly fetchFn: typeof fetch;

  constructor(
    private readonly post: Post,
    deps: Partial<SessionDeps> = {},
  ) {
    this.store = deps.store ?? indexedDbCheckpoints;
    this.locks = deps.locks ?? webRunLocks;
    this.fetchFn = deps.fetchFn ?? ((input, init) => fetch(input, init));
  }

  private progress(id: number, event: TrainEvent, transfer: Transferable[] = []): void {
    this.post({ kind: 'progress', id, payload: event }, transfer);
  }

  /** Saves the run's checkpoint; a failure (storage full, say) is reported, not thrown: the run is healthy. */
  private async saveCheckpoint(r: Run): Promise<void> {
    const summary: CheckpointSummary = {
      runId: r.runId,
      settings: r.settings,
      datasetName: r.manifest.name,
      step: r.trainer.step,
      savedAt: new Date().toISOString(),
      history: r.history,
    };
    try {
      await this.store.save(summary, await r.trainer.checkpoint({ preset: r.settings.preset, summary }));
    } catch (err) {
      this.progress(r.id, {
        type: 'checkpoint-failed',
        step: summary.step,
        message: err instanceof Error ? err.message : String(err),
      });
      return;
    }
    r.savedStep = summary.step;
    this.progress(r.id, { type: 'checkpoint', step: summary.step, savedAt: summary.savedAt });
  }

  private settle(r: Run): void {
    for (const tell of r.onSettled.splice(0)) tell();
  }

  private setState(r: Run, state: RunState): void {
    r.state = state;
    this.progress(r.id, { type: 'state', state, step: r.trainer.step });
  }

  private validate(r: Run): void {
    const bitsPerDim = r.trainer.evaluate();
    r.lastValidation = bitsPerDim;
    r.history.validation.push([r.trainer.step, bitsPerDim]);
    this.progress(r.id, { type: 'validation', step: r.trainer.step, bitsPerDim });
  }

  /** Two images from the model as it is now; abandoned (not an error) when the run pauses or stops. */
  private async drawSamples(r: Run): Promise<void> {
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
    this.progress(
      r.id,
      { type: 'samples', step: r.trainer.step, images },
      images.map((i) => i.rgb.buffer as ArrayBuffer),
    );
  }

  private async start(
    id: number,
    requested: TrainSettings,
    resumeRunId: string | undefined,
    avoid?: AvoidList,
  ): Promise<{ step: number; state: 'stopped' | 'done' }> {
    if (this.run && (this.run.state === 'running' || this.run.state === 'paused' || this.run.state === 'loading')) {
      throw new Error('A run is already in progress here; stop it before starting another.');
    }
    // Lets go of the run shown here (and its lock) first: it may be the one being resumed.
    await this.disposeRun();
    const runId = resumeRunId ?? newRunId();
    const release = await this.locks.tryHold(runId);
    if (!release) throw new RunOpenElsewhereError('resumed');
    let r: Run;
    try {
      r = await this.open(id, runId, release, requested, resumeRunId !== undefined, avoid);
    } catch (err) {
      await release();
      throw err;
    }
    return this.train(r);
  }

  /** The run's trainer and helpers, from fresh weights, a starting model, or its checkpoint. */
  private async open(
    id: number,
    runId: string,
    release: () => Promise<void>,
    requested: TrainSettings,
    resume: boolean,
    avoid?: AvoidList,
  ): Promise<Run> {
    this.progress(id, { type: 'loading', message: 'Choosing a backend…' });
    this.backend ??= await selectBackend({ force: requested.backend, avoid });

    let settings = requested;
    let history: TrainHistory = { train: [], validation: [] };
    let savedAt: string | undefined;
    let trainer: Trainer;
    let manifest: DatasetManifest;
    if (resume) {
      this.progress(id, { type: 'loading', message: 'Reading the saved checkpoint…' });
      const artifacts = await this.store.load(runId);
      const summary = artifacts && summaryOf(artifacts);
      if (!artifacts || !summary)
        throw new Error(
          'There is no saved run of that id in this browser to resume; it may have been discarded in another tab.',
        );
      settings = summary.settings;
      history = summary.history;
      savedAt = summary.savedAt;
      this.progress(id, { type: 'loading', message: `Downloading ${summary.datasetName}…` });
      const loaded = await loadDataset(this.fetchFn, settings.datasetId);
      manifest = loaded.manifest;
      trainer = Trainer.fromCheckpoint(artifacts, loaded.data);
    } else {
      this.progress(id, { type: 'loading', message: 'Downloading the dataset…' });
      const loaded = await loadDataset(this.fetchFn, settings.datasetId);
      manifest = loaded.manifest;
      const options = {
        ...DEFAULT_TRAIN,
        steps: settings.steps,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        warmupSteps: Math.min(DEFAULT_TRAIN.warmupSteps, Math.floor(settings.steps / 10)),
        evalEvery: settings.evalEvery,
        evalImages: EVAL_IMAGES,
      };
      let model: ReformerLM;
      if (settings.startFrom) {
        this.progress(id, { type: 'loading', message: `Downloading ${settings.startFrom.card.name}…` });
        model = await startingModel(this.fetchFn, settings.startFrom, manifest);
      } else {
        model = new ReformerLM(configFor(settings.preset, manifest, { seed: options.seed }));
      }
      try {
        trainer = new Trainer(model, loaded.data, options);
      } catch (err) {
        model.dispose();
        throw err;
      }
    }

    this.progress(id, { type: 'loading', message: 'Starting workers…' });
    const helpers = await startHelpers(trainer, this.backend);
    const r: Run = {
      id,
      runId,
      release,
      helpers,
      trainer,
      manifest,
      settings,
      history,
      state: 'running',
      lastValidation: history.validation.at(-1)?.[1],
      savedStep: resume ? trainer.step : undefined,
      pauseSaved: false,
      onSettled: [],
      pauseRequested: false,
      stopRequested: false,
      bucket: { sum: 0, count: 0 },
    };
    this.run = r;
    this.progress(id, {
      type: 'ready',
      runId,
      ...(savedAt && { savedAt }),
      backend: this.backend,
      datasetName: manifest.name,
      width: manifest.width,
      height: manifest.height,
      parameters: trainer.model.parameterCount,
      workers: 1 + helpers.length,
      trainImages: Math.floor(trainer.data.train.length / trainer.data.seqLength),
      evaluationSplit: trainer.evaluationSplit,
      step: trainer.step,
      baseSteps: settings.startFrom?.card.steps ?? 0,
      totalSteps: trainer.options.steps,
      history,
      samples: settings.sampleEvery === 0 ? 'off' : manifest.seqLength > MAX_SAMPLE_TOKENS ? 'too-long' : 'on',
    });
    return r;
  }

  /** The training loop, until the last step or a stop. */
  private async train(r: Run): Promise<{ step: number; state: 'stopped' | 'done' }> {
    const { id, trainer, history, settings, manifest } = r;
    const total = trainer.options.steps;
    this.setState(r, 'running');
    const chartEvery = Math.max(1, Math.ceil(total / CHART_POINTS));

    while (trainer.step < total && !r.stopRequested) {
      if (r.pauseRequested) {
        // Armed before 'paused' goes out: a resume or stop that arrives while the checkpoint is
        // being saved must still wake the loop.
        const woken = new Promise<void>((resolve) => {
          r.wake = resolve;
        });
        this.setState(r, 'paused');
        await this.saveCheckpoint(r);
        r.pauseSaved = true;
        this.settle(r);
        await woken;
        r.wake = undefined;
        r.pauseSaved = false;
        if (r.stopRequested) break;
        this.setState(r, 'running');
      }
      const report =
        r.helpers.length > 0 ? await trainer.trainStepParallel(r.helpers.map((h) => h.client)) : trainer.trainStep();
      this.progress(id, {
        type: 'step',
        step: report.step,
        bitsPerDim: report.bitsPerDim,
        learningRate: report.learningRate,
        gradNorm: report.gradNorm,
        ms: report.ms,
      });
      r.bucket.sum += report.bitsPerDim;
      r.bucket.count++;
      if (report.step % chartEvery === 0 || report.step === total) {
        history.train.push([report.step, r.bucket.sum / r.bucket.count]);
        r.bucket = { sum: 0, count: 0 };
      }
      if (report.step % trainer.options.evalEvery === 0 || report.step === total) {
        this.validate(r);
        await this.saveCheckpoint(r);
      }
      const sampleNow =
        settings.sampleEvery > 0 && report.step % settings.sampleEvery === 0 && manifest.seqLength <= MAX_SAMPLE_TOKENS;
      if (sampleNow && !r.pauseRequested && !r.stopRequested) await this.drawSamples(r);
      await yieldToEventLoop();
    }
    if (history.validation.at(-1)?.[0] !== trainer.step) this.validate(r);
    if (r.savedStep !== trainer.step) await this.saveCheckpoint(r);
    const state = trainer.step >= total ? 'done' : 'stopped';
    this.setState(r, state);
    this.settle(r);
    return { step: trainer.step, state };
  }

  private activeRun(): Run {
    if (!this.run) throw new Error('Nothing is training: start a run first.');
    return this.run;
  }

  /** Frees the run's model and helpers; done once its lock is free. */
  private async disposeRun(): Promise<void> {
    const r = this.run;
    if (!r) return;
    this.run = undefined;
    for (const h of r.helpers) h.worker.terminate();
    r.trainer.model.dispose();
    r.trainer.dispose();
    await r.release();
  }

  /** Model-only artifacts (no optimizer state) with a card describing the run so far. */
  private async publishArtifacts(name?: string): Promise<PublishArtifacts> {
    const r = this.activeRun();
    const { trainer, manifest, settings } = r;
    // The card's figure must be of the weights it ships, not of the last evaluation's, up to evalEvery steps before.
    if (r.history.validation.at(-1)?.[0] !== trainer.step) this.validate(r);
    const from = settings.startFrom?.card;
    const preset = from?.preset ?? settings.preset;
    const steps = (from?.steps ?? 0) + trainer.step;
    const card: ModelCard = {
      id: `${manifest.id.slice(0, 40)}-${preset.slice(0, 16).replace(/[^a-z0-9-]/g, '-')}-${Date.now().toString(36)}`,
      name: name?.trim() || `${manifest.name} · ${preset} · ${steps} steps`,
      dataset: {
        id: manifest.id,
        name: manifest.name,
        tokenization: manifest.tokenization,
        width: manifest.width,
        height: manifest.height,
        palette: manifest.palette,
      },
      preset,
      parameters: trainer.model.parameterCount,
      steps,
      ...trainer.validationFields(r.lastValidation),
      trainedAt: new Date().toISOString(),
      ...(from && { initialisedFrom: lineageAfter(from) }),
    };
    const artifacts = await trainer.exportArtifacts({ card });
    const weightData = Array.isArray(artifacts.weightData)
      ? tf.io.concatenateArrayBuffers(artifacts.weightData)
      : artifacts.weightData!;
    return {
      modelTopology: artifacts.modelTopology,
      format: artifacts.format!,
      generatedBy: artifacts.generatedBy!,
      weightSpecs: artifacts.weightSpecs!,
      weightData,
      userDefinedMetadata: { card },
    };
  }

  async handle(req: TrainRequest): Promise<void> {
    const { id } = req;
    switch (req.kind) {
      case 'list':
        return this.post({ kind: 'result', id, payload: await this.savedRuns() });
      case 'start':
        try {
          return this.post({
            kind: 'result',
            id,
            payload: await this.start(id, req.payload.settings, req.payload.resumeRunId, req.payload.avoid),
          });
        } catch (err) {
          if (this.run?.id === id) {
            this.run.state = 'stopped';
            this.settle(this.run);
          }
          throw err;
        }
      case 'pause': {
        const r = this.activeRun();
        r.pauseRequested = true;
        r.samples?.abort();
        return this.post({ kind: 'result', id, payload: { step: r.trainer.step } });
      }
      case 'resume': {
        const r = this.activeRun();
        r.pauseRequested = false;
        r.wake?.();
        return this.post({ kind: 'result', id, payload: { step: r.trainer.step } });
      }
      case 'stop': {
        const r = this.activeRun();
        r.stopRequested = true;
        r.samples?.abort();
        r.wake?.();
        return this.post({ kind: 'result', id, payload: { step: r.trainer.step } });
      }
      case 'publish': {
        const artifacts = await this.publishArtifacts(req.payload.name);
        return this.post({ kind: 'result', id, payload: artifacts }, [artifacts.weightData]);
      }
      case 'discard':
        return this.post({ kind: 'result', id, payload: { discarded: await this.discard(req.payload.runId) } });
      case 'close':
        return this.post({ kind: 'result', id, payload: await this.close() });
    }
  }

  private async savedRuns(): Promise<SavedRun[]> {
    const [runs, held] = await Promise.all([this.store.list(), this.locks.held()]);
    // The run open here holds its own lock.
    return runs.map((s) => ({ ...s, openElsewhere: held.has(s.runId) && s.runId !== this.run?.runId }));
  }

  private async discard(runId: string): Promise<boolean> {
    if (this.run?.runId === runId) {
      if (this.run.state !== 'stopped' && this.run.state !== 'done')
        throw new Error('Stop the run before discarding its checkpoint.');
      return this.store.remove(runId); // its lock is this session's
    }
    const release = await this.locks.tryHold(runId);
    if (!release) throw new RunOpenElsewhereError('discarded');
    try {
      return await this.store.remove(runId);
    } finally {
      await release();
    }
  }

  /** Pauses a live run and waits for its checkpoint, so the page may end this worker without losing steps. */
  private async close(): Promise<{ savedStep: number | null }> {
    const r = this.run;
    if (r && (r.state === 'running' || r.state === 'paused') && !r.pauseSaved) {
      const settled = new Promise<void>((resolve) => r.onSettled.push(resolve));
      r.pauseRequested = true;
      r.samples?.abort();
      await settled;
    }
    return { savedStep: r?.savedStep ?? null };
  }
}

// Only inside a worker: tests import the session without one.
const scope = globalThis as unknown as {
  WorkerGlobalScope?: new () => unknown;
  postMessage(m: unknown, t: Transferable[]): void;
  onmessage: unknown;
};
if (typeof scope.WorkerGlobalScope === 'function' && scope instanceof scope.WorkerGlobalScope) {
  const session = new TrainingSession((reply, transfer = []) => scope.postMessage(reply, transfer));
  scope.onmessage = (event: MessageEvent<TrainRequest>) => {
    session
      .handle(event.data)
      .catch((err) =>
        scope.postMessage({ kind: 'error', id: event.data.id, payload: toPayload(err) } satisfies TrainReply, []),
      );
  };
}
