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
import { type CheckpointStore, type Post, TrainingSession } from '@/lib/runtime/train-worker';
import type { CheckpointSummary, PublishArtifacts, TrainEvent, TrainReply, TrainRequest, TrainSettings } from '@/lib/runtime/train-protocol';
import { createStorage, setStorage } from '@/lib/server/storage';
import { prepareThreeColours } from '../server/fixtures';

let dataDir: string;
const DATASET = 'train-tiny';

/** Static files (models) by URL path, as the site serves them. */
const served = new Map<string, string | ArrayBuffer>();

/** The dataset routes stand in for the network: the session fetches exactly what the browser would. */
const fetchFn = (async (input: RequestInfo | URL) => {
  const url = String(input);
  const file = served.get(url);
  if (file !== undefined) return new Response(file);
  // Shard URLs carry their hash, so a dataset prepared again under its id is not read from a stale cache.
  const shard = url.match(/^\/api\/datasets\/([^/]+)\/shards\/([^/?]+)\?v=[0-9a-f]{16}$/);
  if (shard) return shards.GET(new Request(`http://test${url}`), { params: Promise.resolve({ id: shard[1], shard: shard[2] }) });
  const manifest = url.match(/^\/api\/datasets\/([^/]+)$/);
  if (manifest) return item.GET(new Request(`http://test${url}`), { params: Promise.resolve({ id: manifest[1] }) });
  return new Response('not found', { status: 404 });
}) as typeof fetch;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'train-worker-'));
  const storage = createStorage({ dataDir });
  setStorage(storage);
  await prepareThreeColours(storage, DATASET);
});

afterAll(async () => {
  setStorage(undefined);
  await rm(dataDir, { recursive: true, force: true });
});

function memoryStore(): CheckpointStore & { saved: tf.io.ModelArtifacts | null } {
  return {
    saved: null,
    async load() {
      return this.saved;
    },
    async save(artifacts) {
      this.saved = artifacts;
    },
    async remove() {
      const had = this.saved !== null;
      this.saved = null;
      return had;
    },
  };
}

/** A session and everything it posted. */
function harness(store: CheckpointStore) {
  const events: TrainEvent[] = [];
  const replies = new Map<number, TrainReply>();
  const post: Post = (reply) => {
    if (reply.kind === 'progress') events.push(reply.payload);
    else replies.set(reply.id, reply);
  };
  const session = new TrainingSession(post, store, fetchFn);
  let nextId = 1;
  const send = async <K extends TrainRequest['kind']>(kind: K, payload: Extract<TrainRequest, { kind: K }>['payload']) => {
    const id = nextId++;
    await session.handle({ kind, id, payload } as TrainRequest);
    return replies.get(id)!;
  };
  const steps = () => events.filter((e): e is Extract<TrainEvent, { type: 'step' }> => e.type === 'step').map((e) => e.step);
  return { events, replies, session, send, steps };
}

async function until(check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const settings: TrainSettings = { datasetId: DATASET, preset: 'tiny', steps: 6, batchSize: 1, learningRate: 1e-3, evalEvery: 3, sampleEvery: 3, backend: 'cpu' };

test('a run streams steps, pauses without stepping, resumes after a reload from its checkpoint, and publishes a loadable model', async () => {
  const store = memoryStore();
  const first = harness(store);
  const running = first.send('start', { settings, resume: false });
  await until(() => first.steps().length >= 2);

  expect((await first.send('pause', {})).kind).toBe('result');
  await until(() => first.events.some((e) => e.type === 'state' && e.state === 'paused'));
  const pausedAt = first.steps().at(-1)!;
  expect(pausedAt).toBeLessThan(settings.steps);
  await new Promise((r) => setTimeout(r, 300));
  expect(first.steps().at(-1)).toBe(pausedAt);
  const summary = (store.saved?.userDefinedMetadata as { summary: CheckpointSummary }).summary;
  expect(summary.step).toBe(pausedAt);

  // The tab goes away: stop this session, then a new one (a reload) resumes from the store.
  await first.send('stop', {});
  expect((await running).kind).toBe('result');
  expect(first.events.at(-1)).toMatchObject({ type: 'state', state: 'stopped', step: pausedAt });

  const second = harness(store);
  expect(((await second.send('inspect', {})) as { payload: CheckpointSummary }).payload.step).toBe(pausedAt);
  const done = await second.send('start', { settings: { ...settings, steps: 999 }, resume: true });
  expect(done).toMatchObject({ kind: 'result', payload: { step: settings.steps, state: 'done' } });
  expect(second.events.find((e) => e.type === 'ready')).toMatchObject({ step: pausedAt, totalSteps: settings.steps, width: 8, height: 8, samples: 'on', evaluationSplit: 'validation' });
  expect(second.steps()).toEqual(Array.from({ length: settings.steps - pausedAt }, (_, i) => pausedAt + 1 + i));
  const validations = second.events.filter((e) => e.type === 'validation').map((e) => (e as { step: number }).step);
  expect(validations.at(-1)).toBe(settings.steps);
  const samples = [...first.events, ...second.events].find((e) => e.type === 'samples') as Extract<TrainEvent, { type: 'samples' }>;
  expect(samples.images).toHaveLength(2);
  expect(samples.images[0].rgb).toHaveLength(8 * 8 * 3);

  const published = (await second.send('publish', { name: 'My tiny' })) as { kind: string; payload: PublishArtifacts };
  expect(published.kind).toBe('result');
  const card = ModelCardSchema.parse(published.payload.userDefinedMetadata.card);
  expect(card).toMatchObject({ name: 'My tiny', steps: settings.steps, preset: 'tiny', dataset: { id: DATASET, width: 8, height: 8, tokenization: 'rgb' } });
  expect(card.validationBitsPerDim).toBeGreaterThan(0);
  expect(card.validationImages).toBe(1); // what the figure covers: the dataset's one validation image
  // Model-only: no optimizer state travels, and the weights build the model.
  expect((published.payload.weightSpecs as { name: string }[]).some((s) => s.name.startsWith('adam/'))).toBe(false);
  const { model } = modelFromArtifacts(published.payload as tf.io.ModelArtifacts);
  expect(model.parameterCount).toBe(card.parameters);
  model.dispose();

  expect(((await second.send('discard', {})) as { payload: { discarded: boolean } }).payload.discarded).toBe(true);
  expect(((await second.send('inspect', {})) as { payload: unknown }).payload).toBeNull();
}, 180_000);

test('an unknown dataset fails naming its URL, and resuming with nothing saved says so', async () => {
  const h = harness(memoryStore());
  const missing = await h.send('start', { settings: { ...settings, datasetId: 'nope' }, resume: false }).catch((e: Error) => e);
  expect(missing).toBeInstanceOf(Error);
  expect((missing as Error).message).toContain('/api/datasets/nope');
  const resumeNothing = await h.send('start', { settings, resume: true }).catch((e: Error) => e);
  expect((resumeNothing as Error).message).toContain('no saved run');
});

test('a resume or a stop that arrives while the pause checkpoint is being saved still reaches the run', async () => {
  // A store that takes a while, as IndexedDB does with a real model: 'paused' is posted before
  // the save finishes, and the Train page enables Resume and Stop as soon as it sees it.
  const slowStore = (): CheckpointStore => {
    const inner = memoryStore();
    return { ...inner, save: async (a) => { await new Promise((r) => setTimeout(r, 300)); await inner.save(a); } };
  };
  const pausedState = (h: ReturnType<typeof harness>) => h.events.some((e) => e.type === 'state' && e.state === 'paused');

  const short = { ...settings, steps: 3, sampleEvery: 0 }; // the race needs a pause, not a long run
  for (const [action, ends] of [['resume', { step: short.steps, state: 'done' }], ['stop', { state: 'stopped' }]] as const) {
    const h = harness(slowStore());
    const run = h.send('start', { settings: short, resume: false });
    await until(() => h.steps().length >= 1);
    await h.send('pause', {});
    await until(() => pausedState(h));
    await h.send(action, {}); // while the checkpoint is being saved
    expect(await run).toMatchObject({ kind: 'result', payload: ends });
    expect(h.events.at(-1)).toMatchObject({ type: 'state', state: ends.state });
  }
}, 180_000);

/** Serves a fresh tiny model for `side`×`side` rgb images at /models/<id>/, as publish:model lays it out. */
async function serveModel(id: string, side: number): Promise<{ url: string; card: ModelCard; weights: tf.NamedTensorMap }> {
  const model = new ReformerLM(configFor('tiny', { width: side, height: side, tokenization: 'rgb', vocabSize: 256 }));
  const card: ModelCard = {
    id,
    name: `Base ${side}`,
    dataset: { id: `base-${side}`, name: 'Base', tokenization: 'rgb', width: side, height: side },
    preset: 'tiny',
    parameters: model.parameterCount,
    steps: 40,
    trainedAt: '2026-01-01T00:00:00.000Z',
    command: 'npm run train -- --dataset base',
  };
  const artifacts = await modelArtifacts(model, { card });
  model.dispose();
  const { weightSpecs, weightData, ...rest } = artifacts;
  served.set(`/models/${id}/model.json`, JSON.stringify({ ...rest, weightsManifest: [{ paths: ['weights.bin'], weights: weightSpecs }] }));
  served.set(`/models/${id}/weights.bin`, weightData as ArrayBuffer);
  return { url: `/models/${id}/model.json`, card, weights: tf.io.decodeWeights(weightData!, weightSpecs!) };
}

test('a run can start from a published model: its weights, its steps counted on, its lineage on the card; a model of another size is refused', async () => {
  const base = await serveModel('base-8', 8);
  const h = harness(memoryStore());
  // A learning rate of 1e-9 moves no weight measurably: what is published is the starting model.
  const run = { ...settings, steps: 2, evalEvery: 2, sampleEvery: 0, learningRate: 1e-9, startFrom: { url: base.url, card: base.card } };
  expect(await h.send('start', { settings: run, resume: false })).toMatchObject({ kind: 'result', payload: { step: 2, state: 'done' } });
  expect(h.events.find((e) => e.type === 'ready')).toMatchObject({ step: 0, baseSteps: 40, totalSteps: 2 });
  const published = (await h.send('publish', {})) as { payload: PublishArtifacts };
  const card = ModelCardSchema.parse(published.payload.userDefinedMetadata.card);
  expect(card).toMatchObject({ steps: 42, preset: 'tiny', initialisedFrom: [{ id: 'base-8', steps: 40, command: 'npm run train -- --dataset base' }], dataset: { id: DATASET } });
  const weights = tf.io.decodeWeights(published.payload.weightData, published.payload.weightSpecs as tf.io.WeightsManifestEntry[]);
  for (const [name, w] of Object.entries(base.weights)) {
    expect(tf.max(tf.abs(tf.sub(weights[name], w))).dataSync()[0], name).toBeLessThan(1e-6);
  }
  tf.dispose([...Object.values(weights), ...Object.values(base.weights)]);

  const other = await serveModel('base-16', 16);
  tf.dispose(Object.values(other.weights));
  const refused = await h.send('start', { settings: { ...run, startFrom: { url: other.url, card: other.card } }, resume: false }).catch((e: Error) => e);
  expect((refused as Error).message).toContain(`Base 16 cannot train on Three colours: it was made for 16×16×3 tokens per image, dataset ${DATASET} has 8×8×3`);
}, 120_000);
