import '@tensorflow/tfjs-backend-cpu';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import * as item from '@/app/api/datasets/[id]/route';
import * as shards from '@/app/api/datasets/[id]/shards/[shard]/route';
import { type ModelCard, ModelCardSchema } from '@/lib/models/card';
import { ReformerLM } from '@/lib/reformer/model';
import { modelArtifacts, modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { configFor } from '@/lib/training/presets';
import {
  DatasetUnavailableError,
  RunInProgressError,
  RunOpenElsewhereError,
  SavedRunMissingError,
  StartModelMismatchError,
} from '@/lib/runtime/errors';
import type { CheckpointStore, RunLocks } from '@/lib/runtime/train-checkpoints';
import { InProcessTrainEngine, type TrainEngine } from '@/lib/runtime/train-engine';
import type { CheckpointSummary, TrainEvent, TrainSettings } from '@/lib/runtime/train-protocol';
import { createStorage, setStorage } from '@/lib/server/storage';
import { prepareThreeColours } from '../server/fixtures';
import { prepareWarmCool } from '../server/labelled-fixture';

let dataDir: string;
const DATASET = 'train-tiny';
/** The same three colours, labelled: red is "warm", green and blue "cool". */
const LABELLED = 'train-labelled';

/** Static files (models) by URL path, as the site serves them. */
const served = new Map<string, string | ArrayBuffer>();

/** The dataset routes stand in for the network: the session fetches exactly what the browser would. */
const fetchFn = (async (input: RequestInfo | URL) => {
  const url = String(input);
  const file = served.get(url);
  if (file !== undefined) return new Response(file);
  // Shard URLs carry their hash, so a dataset prepared again under its id is not read from a stale cache.
  const shard = url.match(/^\/api\/datasets\/([^/]+)\/shards\/([^/?]+)\?v=[0-9a-f]{16}$/);
  if (shard)
    return shards.GET(new Request(`http://test${url}`), { params: Promise.resolve({ id: shard[1], shard: shard[2] }) });
  const manifest = url.match(/^\/api\/datasets\/([^/]+)$/);
  if (manifest) return item.GET(new Request(`http://test${url}`), { params: Promise.resolve({ id: manifest[1] }) });
  return new Response('not found', { status: 404 });
}) as typeof fetch;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'train-worker-'));
  const storage = createStorage({ dataDir });
  setStorage(storage);
  await prepareThreeColours(storage, DATASET);
  await prepareWarmCool(storage, LABELLED);
});

afterAll(async () => {
  setStorage(undefined);
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs by id, as IndexedDB keeps them; `saved` is the last checkpoint written. */
function memoryStore(): CheckpointStore & {
  runs: Map<string, { summary: CheckpointSummary; artifacts: tf.io.ModelArtifacts }>;
  saved: tf.io.ModelArtifacts | null;
} {
  return {
    runs: new Map(),
    saved: null,
    async list() {
      return [...this.runs.values()].map((r) => r.summary);
    },
    async load(runId) {
      return this.runs.get(runId)?.artifacts ?? null;
    },
    async save(summary, artifacts) {
      this.runs.set(summary.runId, { summary, artifacts });
      this.saved = artifacts;
    },
    async remove(runId) {
      return this.runs.delete(runId);
    },
  };
}

/** Web Locks as one browser holds them: pass the same instance to two sessions to play two tabs. */
function memoryLocks(): RunLocks {
  const held = new Set<string>();
  return {
    async tryHold(runId) {
      if (held.has(runId)) return null;
      held.add(runId);
      return async () => {
        await new Promise((r) => setTimeout(r, 10)); // freed a moment later, as Web Locks are
        held.delete(runId);
      };
    },
    async held() {
      return new Set(held);
    },
  };
}

/**
 * An in-process engine (the one the worker runs, without the worker) and every event of its runs.
 * Typed as the interface the page's worker client implements too.
 */
function harness(store: CheckpointStore, locks: RunLocks = memoryLocks()) {
  const events: TrainEvent[] = [];
  const engine: TrainEngine = new InProcessTrainEngine({ store, locks, fetchFn });
  const start = (run: TrainSettings, resumeRunId?: string) => engine.start(run, resumeRunId, (e) => events.push(e));
  const steps = () =>
    events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step').map((e) => e.step);
  const list = () => engine.list();
  const runId = () => (events.find((e) => e.type === 'ready') as Extract<TrainEvent, { type: 'ready' }>).runId;
  return { events, engine, start, steps, list, runId };
}

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settings: TrainSettings = {
  datasetId: DATASET,
  preset: 'tiny',
  steps: 6,
  batchSize: 1,
  learningRate: 1e-3,
  evalEvery: 3,
  sampleEvery: 3,
  backend: 'cpu',
};

test('a run streams steps, pauses without stepping, resumes after a reload from its checkpoint, and publishes a loadable model', async () => {
  const store = memoryStore();
  const first = harness(store);
  const running = first.start(settings);
  await until(() => first.steps().length >= 2);

  expect(await first.engine.pause()).toEqual({ step: expect.any(Number) });
  await until(() => first.events.some((e) => e.type === 'state' && e.state === 'paused'));
  const pausedAt = first.steps().at(-1)!;
  expect(pausedAt).toBeLessThan(settings.steps);
  await new Promise((r) => setTimeout(r, 300));
  expect(first.steps().at(-1)).toBe(pausedAt);
  const summary = (store.saved?.userDefinedMetadata as { summary: CheckpointSummary }).summary;
  expect(summary.step).toBe(pausedAt);

  // The tab goes away: stop this session, then a new one (a reload) resumes from the store.
  await first.engine.stop();
  expect(await running).toEqual({ step: pausedAt, state: 'stopped' });
  expect(first.events.at(-1)).toMatchObject({ type: 'state', state: 'stopped', step: pausedAt });

  const second = harness(store);
  const [savedRun] = await second.list();
  expect(savedRun).toMatchObject({ runId: first.runId(), step: pausedAt, openElsewhere: false });
  const done = await second.start({ ...settings, steps: 999 }, savedRun.runId);
  expect(done).toEqual({ step: settings.steps, state: 'done' });
  // The status can say when the checkpoint it resumed from was saved.
  expect(second.events.find((e) => e.type === 'ready')).toMatchObject({
    runId: savedRun.runId,
    savedAt: savedRun.savedAt,
    step: pausedAt,
    totalSteps: settings.steps,
    width: 8,
    height: 8,
    samples: 'on',
    evaluationSplit: 'validation',
  });
  expect(second.steps()).toEqual(Array.from({ length: settings.steps - pausedAt }, (_, i) => pausedAt + 1 + i));
  const validations = second.events.filter((e) => e.type === 'validation').map((e) => (e as { step: number }).step);
  expect(validations.at(-1)).toBe(settings.steps);
  const samples = [...first.events, ...second.events].find((e) => e.type === 'samples') as Extract<
    TrainEvent,
    { type: 'samples' }
  >;
  expect(samples.images).toHaveLength(2);
  expect(samples.images[0].rgb).toHaveLength(8 * 8 * 3);

  const published = await second.engine.publish('My tiny');
  const card = ModelCardSchema.parse(published.userDefinedMetadata.card);
  expect(card).toMatchObject({
    name: 'My tiny',
    steps: settings.steps,
    preset: 'tiny',
    dataset: { id: DATASET, width: 8, height: 8, tokenization: 'rgb' },
  });
  expect(card.validationBitsPerDim).toBeGreaterThan(0);
  expect(card.validationImages).toBe(1); // what the figure covers: the dataset's one validation image
  // Model-only: no optimizer state travels, and the weights build the model.
  expect((published.weightSpecs as { name: string }[]).some((s) => s.name.startsWith('adam/'))).toBe(false);
  const { model } = modelFromArtifacts(published as tf.io.ModelArtifacts);
  expect(model.parameterCount).toBe(card.parameters);
  model.dispose();

  expect(await second.engine.discard(savedRun.runId)).toEqual({ discarded: true });
  expect(await second.list()).toEqual([]);
}, 180_000);

test('an unknown dataset fails naming its URL, and resuming with nothing saved says so', async () => {
  const h = harness(memoryStore());
  const missing = await h.start({ ...settings, datasetId: 'nope' }).catch((e: Error) => e);
  expect(missing).toBeInstanceOf(DatasetUnavailableError);
  expect((missing as Error).message).toContain('/api/datasets/nope');
  const resumeNothing = await h.start(settings, 'gone').catch((e: Error) => e);
  expect(resumeNothing).toBeInstanceOf(SavedRunMissingError);
  expect((resumeNothing as Error).message).toContain('no saved run');
});

test('a resume or a stop that arrives while the pause checkpoint is being saved still reaches the run', async () => {
  // A store that takes a while, as IndexedDB does with a real model: 'paused' is posted before
  // the save finishes, and the Train page enables Resume and Stop as soon as it sees it.
  const slowStore = (): CheckpointStore => {
    const inner = memoryStore();
    return {
      ...inner,
      save: async (s, a) => {
        await new Promise((r) => setTimeout(r, 300));
        await inner.save(s, a);
      },
    };
  };
  const pausedState = (h: ReturnType<typeof harness>) =>
    h.events.some((e) => e.type === 'state' && e.state === 'paused');

  const short = { ...settings, steps: 3, sampleEvery: 0 }; // the race needs a pause, not a long run
  for (const [action, ends] of [
    ['resume', { step: short.steps, state: 'done' }],
    ['stop', { state: 'stopped' }],
  ] as const) {
    const h = harness(slowStore());
    const run = h.start(short);
    await until(() => h.steps().length >= 1);
    await h.engine.pause();
    await until(() => pausedState(h));
    await h.engine[action](); // while the checkpoint is being saved
    expect(await run).toMatchObject(ends);
    expect(h.events.at(-1)).toMatchObject({ type: 'state', state: ends.state });
  }
}, 180_000);

/**
 * Serves a fresh tiny model for `side`×`side` rgb images at /models/<id>/, as publish:model lays it
 * out; class-conditional on `classes` when given.
 */
async function serveModel(
  id: string,
  side: number,
  classes?: string[],
): Promise<{ url: string; card: ModelCard; weights: tf.NamedTensorMap }> {
  const model = new ReformerLM({
    ...configFor('tiny', { width: side, height: side, tokenization: 'rgb', vocabSize: 256 }),
    classes: classes?.length ?? 0,
  });
  const card: ModelCard = {
    id,
    name: `Base ${side}`,
    dataset: { id: `base-${side}`, name: 'Base', tokenization: 'rgb', width: side, height: side },
    preset: 'tiny',
    parameters: model.parameterCount,
    steps: 40,
    trainedAt: '2026-01-01T00:00:00.000Z',
    command: 'npm run train -- --dataset base',
    ...(classes && { classes }),
  };
  const artifacts = await modelArtifacts(model, { card });
  model.dispose();
  const { weightSpecs, weightData, ...rest } = artifacts;
  served.set(
    `/models/${id}/model.json`,
    JSON.stringify({ ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] }),
  );
  served.set(`/models/${id}/weights.bin`, weightData as ArrayBuffer);
  return { url: `/models/${id}/model.json`, card, weights: tf.io.decodeWeights(weightData!, weightSpecs!) };
}

test('a run can start from a published model: its weights, its steps counted on, its lineage on the card; a model of another size is refused', async () => {
  const base = await serveModel('base-8', 8);
  const h = harness(memoryStore());
  // A learning rate of 1e-9 moves no weight measurably: what is published is the starting model.
  const run = {
    ...settings,
    steps: 2,
    evalEvery: 2,
    sampleEvery: 0,
    learningRate: 1e-9,
    startFrom: { url: base.url, card: base.card },
  };
  expect(await h.start(run)).toEqual({ step: 2, state: 'done' });
  expect(h.events.find((e) => e.type === 'ready')).toMatchObject({ step: 0, baseSteps: 40, totalSteps: 2 });
  const published = await h.engine.publish();
  const card = ModelCardSchema.parse(published.userDefinedMetadata.card);
  expect(card).toMatchObject({
    steps: 42,
    preset: 'tiny',
    initialisedFrom: [{ id: 'base-8', steps: 40, command: 'npm run train -- --dataset base' }],
    dataset: { id: DATASET },
  });
  const weights = tf.io.decodeWeights(published.weightData, published.weightSpecs as tf.io.WeightsManifestEntry[]);
  for (const [name, w] of Object.entries(base.weights)) {
    expect(tf.max(tf.abs(tf.sub(weights[name], w))).dataSync()[0], name).toBeLessThan(1e-6);
  }
  tf.dispose([...Object.values(weights), ...Object.values(base.weights)]);

  const other = await serveModel('base-16', 16);
  tf.dispose(Object.values(other.weights));
  const refused = await h.start({ ...run, startFrom: { url: other.url, card: other.card } }).catch((e: Error) => e);
  expect(refused).toBeInstanceOf(StartModelMismatchError);
  expect((refused as Error).message).toContain(
    `Base 16 cannot train on Three colours: it was made for 16×16×3 tokens per image, dataset ${DATASET} has 8×8×3`,
  );
}, 120_000);

const quick = { ...settings, steps: 2, evalEvery: 2, sampleEvery: 0 };

test('a new run has a slot of its own: starting one leaves a saved run as it was', async () => {
  const store = memoryStore();
  const h = harness(store);
  await h.start({ ...quick, steps: 3, evalEvery: 3 });
  const first = h.runId();
  const before = store.runs.get(first)!.summary;
  h.events.length = 0;
  await h.start(quick);
  const second = h.runId();
  expect(second).not.toBe(first);
  expect(store.runs.get(first)!.summary).toBe(before);
  expect(new Map((await h.list()).map((r) => [r.runId, r.step]))).toEqual(
    new Map([
      [first, 3],
      [second, 2],
    ]),
  );
}, 120_000);

test('a run open in one tab is listed as open elsewhere in another, which may neither resume nor discard it', async () => {
  const store = memoryStore();
  const locks = memoryLocks(); // one browser, two tabs
  const a = harness(store, locks);
  const running = a.start({ ...settings, steps: 200, evalEvery: 1, sampleEvery: 0 });
  await until(() => a.events.some((e) => e.type === 'checkpoint'));
  const b = harness(store, locks);
  const [live] = await b.list();
  expect(live).toMatchObject({ runId: a.runId(), openElsewhere: true });
  expect((await a.list())[0].openElsewhere).toBe(false); // its own tab
  for (const request of [b.start(settings, live.runId), b.engine.discard(live.runId)]) {
    const refused = await request.catch((e: Error) => e);
    expect(refused).toBeInstanceOf(RunOpenElsewhereError);
    expect(refused).toMatchObject({
      name: 'RunOpenElsewhereError',
      message: expect.stringContaining('open in another tab'),
    });
  }
  expect(store.runs.has(live.runId)).toBe(true);
  // The tab with the run may not start another over it, nor discard it while it trains.
  await expect(a.start(settings)).rejects.toBeInstanceOf(RunInProgressError);
  await expect(a.engine.discard(live.runId)).rejects.toBeInstanceOf(RunInProgressError);
  await a.engine.stop();
  await running;
}, 120_000);

test('a checkpoint that cannot be saved is reported and the run trains on; the next save tries again', async () => {
  const store = memoryStore();
  let failures = 1;
  const full: CheckpointStore = {
    ...store,
    save: async (s, a) => {
      if (failures-- > 0)
        throw Object.assign(new Error('The quota has been exceeded.'), { name: 'QuotaExceededError' });
      await store.save(s, a);
    },
  };
  const h = harness(full);
  expect(await h.start({ ...quick, steps: 4 })).toEqual({ step: 4, state: 'done' });
  expect(h.events.filter((e) => e.type === 'checkpoint-failed' || e.type === 'checkpoint')).toEqual([
    { type: 'checkpoint-failed', step: 2, message: 'The quota has been exceeded.' },
    { type: 'checkpoint', step: 4, savedAt: expect.any(String) },
  ]);
  expect(h.steps()).toEqual([1, 2, 3, 4]);
}, 120_000);

test('a checkpoint that cannot be read refuses the resume with its reason, not "no saved run"', async () => {
  const broken: CheckpointStore = {
    ...memoryStore(),
    load: async () =>
      Promise.reject(new Error("Could not read the saved run in this browser's storage (UnknownError)")),
  };
  const refused = await harness(broken)
    .start(settings, 'x')
    .catch((e: Error) => e);
  expect((refused as Error).message).toContain('UnknownError');
});

test('close pauses a live run and answers once its checkpoint holds every step taken', async () => {
  const store = memoryStore();
  const h = harness(store);
  const running = h.start({ ...settings, steps: 200, evalEvery: 100, sampleEvery: 0 });
  await until(() => h.steps().length >= 2);
  const closed = await h.engine.close();
  const last = h.steps().at(-1)!;
  expect(closed).toEqual({ savedStep: last });
  expect(store.runs.get(h.runId())!.summary.step).toBe(last);
  expect(h.events.at(-1)).toMatchObject({ type: 'checkpoint', step: last });
  await new Promise((r) => setTimeout(r, 200));
  expect(h.steps().at(-1)).toBe(last); // and it stays paused until the worker ends
  await h.engine.stop();
  await running;
}, 120_000);

test('a card published between evaluations carries a validation figure of its own step', async () => {
  const h = harness(memoryStore());
  const running = h.start({ ...settings, steps: 200, evalEvery: 100, sampleEvery: 0 });
  await until(() => h.steps().length >= 2);
  await h.engine.pause();
  await until(() => h.events.some((e) => e.type === 'state' && e.state === 'paused'));
  const step = h.steps().at(-1)!;
  const published = await h.engine.publish();
  const card = ModelCardSchema.parse(published.userDefinedMetadata.card);
  const validation = h.events.findLast((e) => e.type === 'validation') as Extract<TrainEvent, { type: 'validation' }>;
  expect(validation.step).toBe(step);
  expect(card).toMatchObject({ steps: step, validationBitsPerDim: validation.bitsPerDim });
  await h.engine.stop();
  await running;
}, 120_000);

test('a run stopped here resumes here from its checkpoint, without a reload', async () => {
  const store = memoryStore();
  const h = harness(store);
  const first = h.start({ ...settings, steps: 200, evalEvery: 100, sampleEvery: 0 });
  await until(() => h.steps().length >= 2);
  await h.engine.stop();
  const stoppedAt = (await first).step;
  const runId = h.runId();
  h.events.length = 0;
  const again = h.start(settings, runId); // its own lock, released and taken again
  await until(() => h.steps().length >= 1);
  expect(h.events.find((e) => e.type === 'ready')).toMatchObject({ runId, step: stoppedAt });
  expect(h.steps()[0]).toBe(stoppedAt + 1);
  await h.engine.stop();
  expect(await again).toMatchObject({ state: 'stopped' });
}, 120_000);

test('disposing the engine stops its run at the next step, saves it, and lets go of its lock', async () => {
  const store = memoryStore();
  const locks = memoryLocks();
  const h = harness(store, locks);
  const running = h.start({ ...settings, steps: 200, evalEvery: 100, sampleEvery: 0 });
  await until(() => h.steps().length >= 1);
  h.engine.dispose();
  const ended = await running;
  expect(ended.state).toBe('stopped');
  expect(store.runs.get(h.runId())!.summary.step).toBe(ended.step);
  // Another tab may now resume it: the lock is free once the model is.
  const other = harness(store, locks);
  const end = Date.now() + 10_000;
  while ((await other.list())[0].openElsewhere) {
    if (Date.now() > end) throw new Error('the lock was never released');
    await new Promise((r) => setTimeout(r, 20));
  }
}, 120_000);

/** The model a published run's artifacts build, and its card. */
function publishedModel(published: Awaited<ReturnType<TrainEngine['publish']>>) {
  const card = ModelCardSchema.parse(published.userDefinedMetadata.card);
  const { model } = modelFromArtifacts(published as tf.io.ModelArtifacts);
  return { card, model };
}

test('a run on a labelled dataset trains a class-conditional model: labelled samples per class, a checkpoint that resumes it, a card with its classes', async () => {
  const store = memoryStore();
  const first = harness(store);
  const run = { ...settings, datasetId: LABELLED, steps: 4, evalEvery: 2, sampleEvery: 2 };
  // Stopped as soon as the first samples arrive (step 2, checkpointed before them): the run resumes from there.
  const stopped = await first.engine.start(run, undefined, (e) => {
    first.events.push(e);
    if (e.type === 'samples') void first.engine.stop();
  });
  const stoppedAt = stopped.step;
  expect(stopped).toEqual({ step: 2, state: 'stopped' });
  expect(first.events.find((e) => e.type === 'ready')).toMatchObject({ classes: ['warm', 'cool'] });
  const samples = first.events.find((e) => e.type === 'samples') as Extract<TrainEvent, { type: 'samples' }>;
  // One image per class, each labelled with the class it was drawn as.
  expect(samples.images.map((i) => i.label)).toEqual(['warm', 'cool']);
  expect(samples.images[0].rgb).toHaveLength(8 * 8 * 3);
  const checkpoint = store.runs.get(first.runId())!.artifacts.modelTopology as { config: { classes: number } };
  expect(checkpoint.config.classes).toBe(2);

  const second = harness(store);
  expect(await second.start(settings, first.runId())).toEqual({ step: run.steps, state: 'done' });
  expect(second.events.find((e) => e.type === 'ready')).toMatchObject({ step: stoppedAt, classes: ['warm', 'cool'] });
  const { card, model } = publishedModel(await second.engine.publish());
  expect(card).toMatchObject({ classes: ['warm', 'cool'], steps: run.steps, dataset: { id: LABELLED } });
  expect(card.validationBitsPerDim).toBeGreaterThan(0);
  expect(model.config.classes).toBe(2);
  model.dispose();
}, 180_000);

test('a run told not to condition trains an unconditional model on a labelled dataset', async () => {
  const h = harness(memoryStore());
  const run = { ...quick, datasetId: LABELLED, conditional: false, sampleEvery: 2 };
  expect(await h.start(run)).toEqual({ step: 2, state: 'done' });
  const ready = h.events.find((e) => e.type === 'ready') as Extract<TrainEvent, { type: 'ready' }>;
  expect(ready.classes).toBeUndefined();
  const samples = h.events.find((e) => e.type === 'samples') as Extract<TrainEvent, { type: 'samples' }>;
  expect(samples.images.map((i) => i.label)).toEqual([undefined, undefined]);
  const { card, model } = publishedModel(await h.engine.publish());
  expect(card.classes).toBeUndefined();
  expect(model.config.classes).toBe(0);
  model.dispose();
}, 120_000);

test("an unconditional model starting a run on classes gains a class table and starts as it was; a conditional one needs the dataset's classes", async () => {
  const base = await serveModel('base-8-uncond', 8);
  const h = harness(memoryStore());
  const run = { ...quick, datasetId: LABELLED, learningRate: 1e-9, startFrom: { url: base.url, card: base.card } };
  expect(await h.start(run)).toEqual({ step: 2, state: 'done' });
  const { card, model } = publishedModel(await h.engine.publish());
  expect(card).toMatchObject({ classes: ['warm', 'cool'], steps: 42, initialisedFrom: [{ id: 'base-8-uncond' }] });
  expect(model.config.classes).toBe(2);
  model.dispose();
  const published = await h.engine.publish();
  const weights = tf.io.decodeWeights(published.weightData, published.weightSpecs as tf.io.WeightsManifestEntry[]);
  for (const [name, w] of Object.entries(base.weights))
    expect(tf.max(tf.abs(tf.sub(weights[name], w))).dataSync()[0], name).toBeLessThan(1e-6);
  // The new table (two classes and "no class") starts at zero: the model predicts as it did, for every class.
  const table = Object.entries(weights).find(([name]) => name.endsWith('embed.classes'))![1];
  expect(table.shape[0]).toBe(3);
  expect(tf.max(tf.abs(table)).dataSync()[0]).toBeLessThan(1e-6);
  tf.dispose([...Object.values(weights), ...Object.values(base.weights)]);

  const conditional = await serveModel('base-8-cond3', 8, ['a', 'b', 'c']);
  const paired = await serveModel('base-8-cond2', 8, ['hot', 'cold']);
  tf.dispose([...Object.values(conditional.weights), ...Object.values(paired.weights)]);
  const from = (m: typeof conditional) => ({ url: m.url, card: m.card });
  for (const [request, reason] of [
    [{ ...run, startFrom: from(conditional) }, `it knows 3 classes, dataset ${LABELLED} has 2`],
    [{ ...run, datasetId: DATASET, startFrom: from(paired) }, `dataset ${DATASET} has no classes`],
    [{ ...run, conditional: false, startFrom: from(paired) }, 'cannot train unconditionally'],
  ] as const) {
    const refused = await h.start(request).catch((e: Error) => e);
    expect(refused).toBeInstanceOf(StartModelMismatchError);
    expect((refused as Error).message).toContain(reason);
  }
  // Of the dataset's number of classes, it trains on them.
  expect(await h.start({ ...run, startFrom: from(paired) })).toEqual({ step: 2, state: 'done' });
  expect(h.events.findLast((e) => e.type === 'ready')).toMatchObject({ classes: ['warm', 'cool'], baseSteps: 40 });
}, 180_000);
