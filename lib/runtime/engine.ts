/**
 * The generation engine: picks a backend, loads a model, streams sampled tokens in chunks. It runs
 * inside the Web Worker (generate-worker.ts) for the UI, and in process for tests and Node; the
 * worker client (client.ts) implements the same `StudioEngine` interface.
 */
import { ModelCardSchema } from '@/lib/models/card';
import { decodeCacheBytes } from '@/lib/reformer/decode';
import { generate, GenerationCancelled } from '@/lib/reformer/generate';
import { conditionedBatch } from '@/lib/reformer/guidance';
import { ReformerLM } from '@/lib/reformer/model';
import { loadModel, modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import type { AvoidList } from './backend-checks';
import { type Activate, type BackendChoice, type BackendName, type FeatureChecks, selectBackend } from './backends';
import { classifyBackendError, DeviceLostError, LoadSupersededError } from './errors';
import { fetchModelArtifacts } from './model-cache';
import type {
  LoadedModel,
  LoadProgress,
  LocalModel,
  MemoryStats,
  ModelSource,
  Results,
  SampleChunk,
  SampleRequest,
} from './protocol';

export { GenerationCancelled };

/** What the UI talks to: the worker client and the in-process engine alike. */
export interface StudioEngine {
  /** `avoid`: backends automatic selection skips here, with why (backend-checks.ts). */
  init(backend: BackendName | 'auto', avoid?: AvoidList): Promise<BackendChoice>;
  load(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<LoadedModel>;
  /** Streams chunks of tokens; throws GenerationCancelled when `signal` aborts. */
  sample(req: SampleRequest, signal?: AbortSignal): AsyncGenerator<SampleChunk, Results['sample']>;
  memory(): Promise<MemoryStats>;
  listLocal(): Promise<LocalModel[]>;
  dispose(): void;
}

/** Streamed chunks are flushed at least this often, so slow backends still show progress. */
const FLUSH_MS = 250;

/** Lets queued messages (a cancel) and rendering in; awaiting tensor data alone may never yield. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export interface EngineOptions {
  checks?: FeatureChecks;
  activate?: Activate;
}

export class InProcessEngine implements StudioEngine {
  private model: ReformerLM | null = null;
  private loaded: LoadedModel | null = null;
  private backend: BackendChoice | null = null;
  /** One run at a time: a new run waits for the previous one to free its decoder. */
  private running: Promise<void> = Promise.resolve();
  private peakTensorBytes = 0;
  private lastCacheBytes = 0;
  /** Loads started; only the latest may install its model (the UI can switch models mid-download). */
  private loads = 0;

  constructor(private readonly options: EngineOptions = {}) {}

  /** Set when the WebGPU device is lost: every later run fails with it until a new engine starts. */
  private lost: DeviceLostError | null = null;

  async init(backend: BackendName | 'auto', avoid?: AvoidList): Promise<BackendChoice> {
    this.backend = await selectBackend({
      force: backend,
      avoid,
      checks: this.options.checks,
      activate: this.options.activate,
    });
    if (this.backend.name === 'webgpu') {
      const device = (tf.backend() as unknown as { device?: { lost?: Promise<{ message?: string }> } }).device;
      device?.lost?.then(
        (info) =>
          (this.lost = new DeviceLostError(`the GPU device was lost${info.message ? ` (${info.message})` : ''}`)),
      );
    }
    return this.backend;
  }

  async load(source: ModelSource, onProgress: (p: LoadProgress) => void = () => {}): Promise<LoadedModel> {
    if (!this.backend) await this.init('auto');
    if (this.loaded?.id === source.id && this.model) return this.loaded;
    const ticket = ++this.loads;
    this.unload();
    let fromCache = false;
    let metadata: Record<string, unknown> = {};
    let model: ReformerLM | undefined;
    try {
      if (source.kind === 'random') {
        model = new ReformerLM(source.config);
      } else if (source.kind === 'indexeddb') {
        onProgress({ stage: 'cache' });
        ({ model, metadata } = await loadModel(source.url));
        fromCache = true;
      } else {
        const fetched = await fetchModelArtifacts(source, onProgress);
        fromCache = fetched.fromCache;
        if (ticket !== this.loads) throw new LoadSupersededError(source.id);
        onProgress({ stage: 'build' });
        ({ model, metadata } = modelFromArtifacts(fetched.artifacts));
      }
      onProgress({ stage: 'warmup' });
      await this.warmUp(model);
      if (ticket !== this.loads) throw new LoadSupersededError(source.id);
    } catch (err) {
      model?.dispose();
      throw ticket === this.loads ? classifyBackendError(err) : new LoadSupersededError(source.id);
    }
    // Installed only now, and only by the latest load: a slower, earlier one never replaces it.
    this.model = model;
    const card = ModelCardSchema.safeParse(metadata.card);
    const c = model.config;
    this.loaded = {
      id: source.id,
      card: card.success ? card.data : null,
      vocabSize: c.vocabSize,
      seqLength: c.seqLength,
      parameters: this.model.parameterCount,
      cacheBytesPerImage: decodeCacheBytes(c, 1),
      fromCache,
    };
    return this.loaded;
  }

  /** One decode step: compiles kernels/shaders now rather than during the first visible pixels. */
  private async warmUp(model: ReformerLM): Promise<void> {
    for await (const _ of generate(model, { batch: 1, seed: 0, length: 2 })) {
      // two steps run every kernel of a step once
    }
  }

  async *sample(req: SampleRequest, signal?: AbortSignal): AsyncGenerator<SampleChunk, Results['sample']> {
    const previous = this.running;
    let release!: () => void;
    this.running = new Promise((resolve) => (release = resolve));
    try {
      await previous;
      if (signal?.aborted) throw new GenerationCancelled();
      if (this.lost) throw this.lost;
      const model = this.model;
      if (!model || !this.loaded) throw new Error('no model is loaded: call load() first');
      const total = req.length ?? model.config.seqLength;
      const chunkTokens = Math.max(1, req.chunkTokens ?? this.rowTokens());
      this.peakTensorBytes = tf.memory().numBytes;
      // Guided sampling decodes the class and "no class" streams side by side: twice the rows.
      const decoded = conditionedBatch(model.config, req, req.batch).guided ? 2 * req.batch : req.batch;
      this.lastCacheBytes = decodeCacheBytes(model.config, decoded);
      const rows = () => Array.from({ length: req.batch }, () => new Int32Array(chunkTokens));
      let buffer = rows();
      let filled = 0;
      let chunkStart = 0;
      const startedAt = performance.now();
      let lastFlush = startedAt;
      let done = 0;
      try {
        for await (const step of generate(model, {
          batch: req.batch,
          seed: req.seed,
          firstImage: req.firstImage,
          sampling: req.sampling,
          classId: req.classId,
          guidance: req.guidance,
          prefix: req.prefix,
          length: req.length,
          signal,
        })) {
          if (this.lost) throw this.lost;
          for (let b = 0; b < req.batch; b++) buffer[b][filled] = step.tokens[b];
          filled++;
          // Every step (tf.memory() only reads counters): a step's transient tensors are gone by the flush.
          this.peakTensorBytes = Math.max(this.peakTensorBytes, tf.memory().numBytes);
          done = step.position + 1;
          const now = performance.now();
          if (filled === chunkTokens || done === total || now - lastFlush >= FLUSH_MS) {
            const elapsedMs = now - startedAt;
            yield {
              start: chunkStart,
              rows: buffer.map((r) => r.slice(0, filled)),
              done,
              total,
              tokensPerSecond: (done * req.batch) / Math.max(elapsedMs / 1000, 1e-6),
              elapsedMs,
            };
            chunkStart = done;
            filled = 0;
            buffer = rows();
            lastFlush = performance.now();
            await yieldToEventLoop();
          }
        }
      } catch (err) {
        throw classifyBackendError(err);
      }
      const elapsedMs = performance.now() - startedAt;
      return { positions: done, elapsedMs, tokensPerSecond: (done * req.batch) / Math.max(elapsedMs / 1000, 1e-6) };
    } finally {
      release();
    }
  }

  /** Tokens per image row: a natural streaming unit (the UI paints whole rows). */
  private rowTokens(): number {
    const card = this.loaded?.card;
    if (!card) return 64;
    return card.dataset.width * (card.dataset.tokenization === 'rgb' ? 3 : 1);
  }

  async memory(): Promise<MemoryStats> {
    const m = tf.memory();
    const stats: MemoryStats = {
      numTensors: m.numTensors,
      numBytes: m.numBytes,
      peakTensorBytes: this.peakTensorBytes,
      cacheBytes: this.lastCacheBytes,
    };
    if (tf.getBackend() === 'wasm') {
      const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
      if (wasm?.HEAPU8) stats.wasmHeapBytes = wasm.HEAPU8.byteLength;
    }
    return stats;
  }

  /** Models the user trained and saved in this browser (tf.io's IndexedDB store) that carry a card. */
  async listLocal(): Promise<LocalModel[]> {
    if (typeof indexedDB === 'undefined') return [];
    const listed = await tf.io.listModels().catch(() => ({}) as Record<string, tf.io.ModelArtifactsInfo>);
    const out: LocalModel[] = [];
    for (const [url, info] of Object.entries(listed)) {
      if (!url.startsWith('indexeddb://')) continue;
      const handler = tf.io.getLoadHandlers(url)[0];
      const artifacts = await handler?.load?.().catch(() => null);
      if (!artifacts) continue;
      const card = ModelCardSchema.safeParse(
        (artifacts.userDefinedMetadata as Record<string, unknown> | undefined)?.card,
      );
      out.push({
        url: url as `indexeddb://${string}`,
        card: card.success ? card.data : null,
        bytes: info.weightDataBytes ?? 0,
      });
    }
    return out;
  }

  private unload(): void {
    this.model?.dispose();
    this.model = null;
    this.loaded = null;
  }

  dispose(): void {
    this.unload();
  }
}
