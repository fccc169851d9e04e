import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type DatasetManifest,
  DatasetOptionsSchema,
  readShard,
  tokensToImage,
  type UploadEvent,
} from '@/lib/pixels/manifest';
import { LIMITS } from '@/lib/server/datasets/limits';
import {
  checkPreparationRoom,
  type PrepareContext,
  type PrepareInput,
  prepareDataset,
} from '@/lib/server/datasets/prepare';
import { createStorage } from '@/lib/server/storage';
import { deflated, solidImage, zip } from './fixtures';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function run(inputs: PrepareInput[], options: object, ctx: Partial<PrepareContext> = {}) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'prepare-'));
  dirs.push(dataDir);
  const storage = createStorage({ dataDir });
  const events: UploadEvent[] = [];
  const gen = prepareDataset(inputs, DatasetOptionsSchema.parse({ name: 'set', ...options }), { storage, ...ctx });
  let next = await gen.next();
  while (!next.done) {
    events.push(next.value);
    next = await gen.next();
  }
  return { storage, events, manifest: next.value as DatasetManifest };
}

const colours = (n: number) =>
  Promise.all(
    Array.from({ length: n }, async (_, i) => ({
      name: `${i}.png`,
      bytes: await solidImage('png', 10, 10, { r: (i * 53) % 256, g: (i * 97) % 256, b: (i * 31) % 256 }),
    })),
  );

describe('prepareDataset', () => {
  it('is deterministic for a seed, splits by validationFraction, and changes split with the seed', async () => {
    const inputs = await colours(20);
    const a = await run(inputs, { width: 8, height: 8, validationFraction: 0.25, seed: 5 });
    const b = await run(inputs, { width: 8, height: 8, validationFraction: 0.25, seed: 5 });
    const c = await run(inputs, { width: 8, height: 8, validationFraction: 0.25, seed: 6 });
    expect(a.manifest.counts).toEqual({ train: 15, validation: 5, accepted: 20, skipped: 0 });
    expect(a.manifest.splits.train.shards[0].sha256).toBe(b.manifest.splits.train.shards[0].sha256);
    expect(a.manifest.splits.validation.sources).toEqual(b.manifest.splits.validation.sources);
    expect(c.manifest.splits.validation.sources).not.toEqual(a.manifest.splits.validation.sources);
    expect([...a.manifest.splits.train.sources, ...a.manifest.splits.validation.sources].sort((x, y) => x - y)).toEqual(
      [...Array(20).keys()],
    );
  });

  it('cuts large splits into several shards and writes Uint16 tokens for K > 256', async () => {
    const inputs = await colours(12);
    const { storage, manifest, events } = await run(
      inputs,
      { width: 8, height: 8, tokenization: 'palette', paletteSize: 300, validationFraction: 0 },
      { limits: { ...LIMITS, shardBytes: 5 * 64 * 2 } },
    );
    expect(manifest).toMatchObject({ vocabSize: 300, bytesPerToken: 2, seqLength: 64 });
    // Mapping to the palette reports how far it has got, and ends at every image.
    expect(events.filter((e) => e.type === 'tokenizing').at(-1)).toEqual({ type: 'tokenizing', done: 12, total: 12 });
    expect(manifest.splits.train.shards.map((s) => s.images)).toEqual([5, 5, 2]);
    // Every image decodes back to (nearly) its flat source colour through the Uint16 shard.
    for (const [s, shard] of manifest.splits.train.shards.entries()) {
      const reader = readShard(manifest, (await storage.getBlob(`datasets/${manifest.id}/${shard.file}`))!);
      for (let i = 0; i < reader.images; i++) {
        const source = manifest.splits.train.sources[s * 5 + i];
        const rgb = tokensToImage(manifest, reader.imageAt(i));
        const want = [(source * 53) % 256, (source * 97) % 256, (source * 31) % 256];
        expect(Array.from(rgb.subarray(0, 3))).toEqual(want);
      }
    }
  });

  it('reports unzipping before reading the files, and shard writing after', async () => {
    const images = await colours(12);
    const inputs = [{ name: 'set.zip', bytes: zip(images.map((i) => deflated(i.name, i.bytes))) }];
    const { events } = await run(
      inputs,
      { width: 8, height: 8, validationFraction: 0 },
      { limits: { ...LIMITS, shardBytes: 5 * 64 * 3 } },
    );
    const unzipping = events.filter((e) => e.type === 'unzipping');
    expect(unzipping.length).toBeGreaterThan(0);
    for (const e of unzipping)
      expect(e).toEqual({ type: 'unzipping', file: 'set.zip', done: expect.any(Number), total: 12 });
    expect(events.indexOf(unzipping.at(-1)!)).toBeLessThan(events.findIndex((e) => e.type === 'file'));
    // One event as writing starts, then one per shard of five images.
    expect(events.filter((e) => e.type === 'writing')).toEqual(
      [0, 5, 10, 12].map((done) => ({ type: 'writing', done, total: 12 })),
    );
    expect(events.findIndex((e) => e.type === 'writing')).toBeGreaterThan(
      events.findLastIndex((e) => e.type === 'progress'),
    );
    expect(events.at(-1)?.type).toBe('done');
  });

  it('a client that goes away while shards are written leaves no files behind', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'prepare-'));
    dirs.push(dataDir);
    const storage = createStorage({ dataDir });
    const gen = prepareDataset(
      await colours(12),
      DatasetOptionsSchema.parse({ name: 'set', width: 8, height: 8, validationFraction: 0 }),
      { storage, id: 'gone', limits: { ...LIMITS, shardBytes: 5 * 64 * 3 } },
    );
    for (let next = await gen.next(); !next.done; next = await gen.next()) {
      if (next.value.type === 'writing' && next.value.done > 0) break;
    }
    expect(await storage.listBlobs('datasets/gone/')).toEqual(['datasets/gone/train-000.bin']);
    await gen.return(undefined as never); // what the NDJSON stream does when the request is aborted
    expect(await storage.listBlobs('datasets/')).toEqual([]);
    expect(await storage.getRecord('datasets', 'gone')).toBeUndefined();
  });

  it('skips files beyond the per-upload limit with a reason', async () => {
    const inputs = await colours(4);
    const { events, manifest } = await run(
      inputs,
      { width: 8, height: 8, validationFraction: 0 },
      { limits: { ...LIMITS, filesPerUpload: 3 } },
    );
    expect(events).toContainEqual({
      type: 'file',
      name: '3.png',
      status: 'skipped',
      reason: 'too many files: at most 3 per upload',
    });
    expect(manifest.counts).toMatchObject({ accepted: 3, skipped: 1 });
  });

  it('skips images past the decoded-pixel budget, naming the limit and what to do; a corrupt file gives its share back', async () => {
    const png = await solidImage('png', 10, 10, { r: 1, g: 2, b: 3 });
    const corrupt = { name: 'corrupt.png', bytes: png.slice(0, 60) }; // a PNG's magic bytes, then cut short
    const inputs = [corrupt, ...(await colours(4))];
    const limits = { ...LIMITS, decodedBytesPerUpload: 3 * 8 * 8 * 3 }; // three 8×8 images
    const { events, manifest } = await run(inputs, { width: 8, height: 8, validationFraction: 0 }, { limits });
    expect(manifest.counts).toMatchObject({ accepted: 3, skipped: 2 });
    expect(manifest.source.files.map((f) => f.name)).toEqual(['0.png', '1.png', '2.png']);
    expect(manifest.skipped[0]).toMatchObject({ name: 'corrupt.png', reason: expect.stringMatching(/^corrupt image/) });
    expect(events).toContainEqual({
      type: 'file',
      name: '3.png',
      status: 'skipped',
      reason:
        'over the 576 bytes limit on decoded pixels per upload (3 images at 8×8): upload fewer images or choose a smaller size',
    });
  });

  it('lets each input go once expanded, and leaves the caller’s list as it was', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const dataDir = await mkdtemp(path.join(tmpdir(), 'prepare-'));
    dirs.push(dataDir);
    const [a, b, c] = await colours(3);
    // Built in a function of its own that keeps nothing, as the upload route does: only the preparation can hold the inputs.
    const start = () => {
      const inputs: PrepareInput[] = [
        { name: 'ab.zip', bytes: zip([deflated('a.png', a.bytes), deflated('b.png', b.bytes)]) },
        { name: 'c.png', bytes: c.bytes.slice() },
      ];
      const refs = inputs.map((input) => new WeakRef(input.bytes));
      const gen = prepareDataset(inputs, DatasetOptionsSchema.parse({ name: 'set', width: 8, height: 8 }), {
        storage: createStorage({ dataDir }),
      });
      return { gen, refs, inputs: new WeakRef(inputs) };
    };
    const { gen, refs, inputs } = start();
    const alive: boolean[][] = [];
    for (let next = await gen.next(); !next.done; next = await gen.next()) {
      if (next.value.type !== 'progress') continue;
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      alive.push(refs.map((r) => r.deref() !== undefined));
    }
    // After the first file is read, the zip is gone; after the last, the plain image too.
    expect(alive[0][0]).toBe(false);
    expect(alive.at(-1)).toEqual([false, false]);
    expect(inputs.deref()).toBeUndefined();

    const kept = await colours(2);
    const copy = kept.map((input) => ({ ...input }));
    await run(kept, { width: 8, height: 8 });
    expect(kept).toEqual(copy);
  });

  it('refuses to overwrite an existing id', async () => {
    const inputs = await colours(1);
    const { storage } = await run(inputs, { width: 8, height: 8 }, { id: 'fixed' });
    await expect(
      prepareDataset(inputs, DatasetOptionsSchema.parse({ name: 'again' }), { storage, id: 'fixed' }).next(),
    ).rejects.toMatchObject({ code: 'conflict', status: 409 });
  });

  it('two preparations of one id at once: one stores it, the other gets a 409, and the stored files stay', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'prepare-'));
    dirs.push(dataDir);
    const storage = createStorage({ dataDir });
    const inputs = await colours(4);
    const drain = async () => {
      for await (const _ of prepareDataset(inputs, DatasetOptionsSchema.parse({ name: 'set', width: 8, height: 8 }), {
        storage,
        id: 'same',
      }));
    };
    const results = await Promise.allSettled([drain(), drain()]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    expect(results.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'conflict', status: 409 } });
    const manifest = (await storage.getRecord<DatasetManifest>('datasets', 'same'))!;
    for (const shard of manifest.splits.train.shards)
      expect(await storage.getBlob(`datasets/same/${shard.file}`)).toBeDefined();
    expect(await storage.getBlob('datasets/same/preview.png')).toBeDefined();
  });

  it('runs preparationsAtOnce at a time: the next waits its turn and says so, one that gives up leaves the line', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'prepare-'));
    dirs.push(dataDir);
    const storage = createStorage({ dataDir });
    const limits = { ...LIMITS, preparationsAtOnce: 1 };
    const inputs = await colours(3);
    const start = (name: string) =>
      prepareDataset(inputs, DatasetOptionsSchema.parse({ name, width: 8, height: 8 }), { storage, limits });
    const log: string[] = [];
    const drain = async (name: string, gen: AsyncGenerator<UploadEvent>) => {
      for await (const e of gen) log.push(`${name} ${e.type}`);
    };

    const a = start('a');
    expect((await a.next()).value).toMatchObject({ type: 'file' }); // a has the turn
    const b = start('b');
    expect((await b.next()).value).toEqual({ type: 'queued', position: 1 });
    await b.return(undefined as never); // the client went away while waiting
    const c = start('c');
    expect((await c.next()).value).toEqual({ type: 'queued', position: 1 });
    await Promise.all([drain('a', a), drain('c', c)]);
    expect(log.indexOf('a done')).toBeGreaterThanOrEqual(0);
    expect(log.indexOf('a done')).toBeLessThan(log.indexOf('c file'));
    expect(log.at(-1)).toBe('c done');
    // Every turn was handed back: a fourth runs at once.
    const d = start('d');
    expect((await d.next()).value).toMatchObject({ type: 'file' });
    await drain('d', d);
  });

  it('refuses a preparation past preparationsWaiting in line, at once and writing nothing; a place frees when one finishes or its client goes away', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'prepare-'));
    dirs.push(dataDir);
    const storage = createStorage({ dataDir });
    const limits = { ...LIMITS, preparationsAtOnce: 1, preparationsWaiting: 2 };
    const inputs = await colours(3);
    const start = (id: string) =>
      prepareDataset(inputs, DatasetOptionsSchema.parse({ name: id, width: 8, height: 8 }), { storage, limits, id });
    const full = {
      code: 'preparations_waiting',
      status: 503,
      retryAfterSeconds: 60,
      message: '2 uploads are already waiting to be prepared; try again in a minute.',
    };

    const a = start('a');
    expect((await a.next()).value).toMatchObject({ type: 'file' }); // a runs
    const b = start('b');
    expect((await b.next()).value).toEqual({ type: 'queued', position: 1 });
    const c = start('c');
    expect((await c.next()).value).toEqual({ type: 'queued', position: 2 });
    // The line is full: the next is refused when asked, before it has an event to stream.
    expect(() => checkPreparationRoom(limits)).toThrow(expect.objectContaining(full));
    expect(() => start('refused-1')).toThrow(expect.objectContaining(full));

    await c.return(undefined as never); // c's client went away while waiting: its place is free
    expect(() => checkPreparationRoom(limits)).not.toThrow();
    const d = start('d');
    expect((await d.next()).value).toEqual({ type: 'queued', position: 2 });
    expect(() => start('refused-2')).toThrow(expect.objectContaining(full));

    // a finishes: b takes its turn and leaves the line, so there is a place again.
    for await (const _ of a);
    const e = start('e');
    expect((await e.next()).value).toEqual({ type: 'queued', position: 2 }); // behind d
    for (const gen of [b, d, e]) for await (const _ of gen);

    // The refused ones (and c, gone before its turn) left nothing behind; the others are whole.
    expect((await storage.listRecords<DatasetManifest>('datasets')).map((r) => r.id).sort()).toEqual([
      'a',
      'b',
      'd',
      'e',
    ]);
    const owners = new Set((await storage.listBlobs('datasets/')).map((key) => key.split('/')[1]));
    expect([...owners].sort()).toEqual(['a', 'b', 'd', 'e']);
  });
});
