import { expect, test } from 'vitest';
import {
  CheckpointStorageError,
  DatasetUnavailableError,
  NothingTrainingError,
  reviveError,
  RunInProgressError,
  RunOpenElsewhereError,
  SavedRunMissingError,
  StartModelMismatchError,
  TrainWorkerCrashedError,
} from '@/lib/runtime/errors';
import { TrainClient } from '@/lib/runtime/train-client';
import type { TrainEvent, TrainReply, TrainRequest } from '@/lib/runtime/train-protocol';

/** A stand-in worker: `answer` replies to each request the client posts, as the training worker would. */
function fakeWorker(answer: (req: TrainRequest, reply: (r: TrainReply) => void) => void) {
  const worker = {
    onmessage: null as ((e: { data: TrainReply }) => void) | null,
    onerror: null as ((e: { message: string }) => void) | null,
    terminated: false,
    postMessage(req: TrainRequest) {
      queueMicrotask(() => answer(req, (r) => worker.onmessage?.({ data: r })));
    },
    terminate() {
      worker.terminated = true;
    },
  };
  return worker;
}

test('a run streams its events to the callback and settles with its result', async () => {
  const worker = fakeWorker((req, reply) => {
    if (req.kind !== 'start') return;
    reply({ kind: 'progress', id: req.id, payload: { type: 'loading', message: 'Choosing a backend…' } });
    reply({ kind: 'progress', id: req.id, payload: { type: 'state', state: 'done', step: 3 } });
    reply({ kind: 'result', id: req.id, payload: { step: 3, state: 'done' } });
  });
  const client = new TrainClient(worker as unknown as Worker);
  const events: TrainEvent[] = [];
  const settings = {
    datasetId: 'd',
    preset: 'tiny' as const,
    steps: 3,
    batchSize: 1,
    learningRate: 1e-3,
    evalEvery: 3,
    sampleEvery: 0,
    backend: 'cpu' as const,
  };
  expect(await client.start(settings, undefined, (e) => events.push(e))).toEqual({ step: 3, state: 'done' });
  expect(events.map((e) => e.type)).toEqual(['loading', 'state']);
});

test("the worker's errors come back as the named errors they were, with their messages", async () => {
  const thrown = [
    new RunOpenElsewhereError('resumed'),
    new RunInProgressError(),
    new NothingTrainingError(),
    new SavedRunMissingError(),
    new DatasetUnavailableError('/api/datasets/gone', 404),
    new StartModelMismatchError('Base 16', 'Three colours', 'it was made for 16×16×3 tokens per image'),
    new CheckpointStorageError('Could not save the run (QuotaExceededError)'),
  ];
  let next = 0;
  const worker = fakeWorker((req, reply) => {
    const err = thrown[next++];
    reply({ kind: 'error', id: req.id, payload: { name: err.name, message: err.message } });
  });
  const client = new TrainClient(worker as unknown as Worker);
  for (const err of thrown) {
    const revived = await client.pause().catch((e: Error) => e);
    expect(revived).toBeInstanceOf(err.constructor);
    expect(revived).toMatchObject({ name: err.name, message: err.message });
  }
  // A name the page does not know still keeps it, for the message to say what happened.
  expect(reviveError({ name: 'QuotaExceededError', message: 'full' })).toMatchObject({
    name: 'QuotaExceededError',
    message: 'full',
  });
});

test('a crashed worker fails its pending requests with TrainWorkerCrashedError, and the client is dead after', async () => {
  const worker = fakeWorker(() => {}); // never answers
  const client = new TrainClient(worker as unknown as Worker);
  const listing = client.list();
  worker.onerror?.({ message: '' });
  const err = await listing.catch((e: Error) => e);
  expect(err).toBeInstanceOf(TrainWorkerCrashedError);
  expect((err as Error).message).toContain('resume the run from its last checkpoint');
  expect(client.dead).toBe(true);
  expect(worker.terminated).toBe(true);
  await expect(client.stop()).rejects.toThrow('The training worker has ended.');
});

test('close asks the worker to save the run, then ends it', async () => {
  const worker = fakeWorker((req, reply) => {
    if (req.kind === 'close') reply({ kind: 'result', id: req.id, payload: { savedStep: 7 } });
  });
  const client = new TrainClient(worker as unknown as Worker);
  expect(await client.close()).toEqual({ savedStep: 7 });
  expect(worker.terminated).toBe(true);
  await TrainClient.afterClosing();
});
