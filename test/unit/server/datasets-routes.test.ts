import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as item from '@/app/api/datasets/[id]/route';
import * as preview from '@/app/api/datasets/[id]/preview.png/route';
import * as shards from '@/app/api/datasets/[id]/shards/[shard]/route';
import * as collection from '@/app/api/datasets/route';
import {
  type DatasetManifest,
  DatasetManifestSchema,
  DatasetOptionsSchema,
  imageLabels,
  MAX_CLASSES,
  readShard,
  tokensToImage,
  UploadEventSchema,
} from '@/lib/pixels/manifest';
import { LIMITS } from '@/lib/server/datasets/limits';
import { prepareDataset } from '@/lib/server/datasets/prepare';
import { createStorage, setStorage, type Storage } from '@/lib/server/storage';
import { deflated, ndjson, pixelBombPng, solidImage, splitImage, zeroBomb, zip } from './fixtures';

const dirs: string[] = [];
let storage: Storage;

async function freshStorage(hook?: (key: string, n: number) => void): Promise<Storage> {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'datasets-routes-'));
  dirs.push(dataDir);
  storage = createStorage({ dataDir, beforeBlobWrite: hook });
  setStorage(storage);
  return storage;
}

beforeEach(async () => {
  await freshStorage();
});
afterAll(async () => {
  setStorage(undefined);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const ctx = (params: Record<string, string>) => ({ params: Promise.resolve(params) }) as never;

function upload(options: unknown, files: { name: string; bytes: Uint8Array; type?: string }[]): Request {
  const form = new FormData();
  form.set('options', typeof options === 'string' ? options : JSON.stringify(options));
  for (const f of files)
    form.append(
      'files',
      new File([f.bytes as Uint8Array<ArrayBuffer>], f.name, { type: f.type ?? 'application/octet-stream' }),
    );
  return new Request('http://test/api/datasets', { method: 'POST', body: form });
}

async function goodUpload(name = 'tiny', extra: Record<string, unknown> = {}) {
  const files = [
    { name: 'red.png', bytes: await solidImage('png', 20, 10, { r: 255, g: 0, b: 0 }) },
    { name: 'green.jpg', bytes: await solidImage('jpeg', 16, 16, { r: 0, g: 200, b: 0 }) },
    { name: 'split.png', bytes: await splitImage(40, 40) },
  ];
  const res = await collection.POST(
    upload({ name, width: 8, height: 8, validationFraction: 0.34, seed: 3, ...extra }, files),
  );
  const events = await ndjson(res);
  const done = events.at(-1) as { type: string; dataset: { id: string } };
  expect(done.type).toBe('done');
  return done.dataset.id;
}

/** A one-image built-in dataset, stored the way prepare:builtin stores the emoji sets. */
async function addBuiltin(id = 'builtin-tiny') {
  const inputs = [{ name: 'a.png', bytes: await solidImage('png', 8, 8, { r: 5, g: 5, b: 5 }) }];
  const options = DatasetOptionsSchema.parse({ name: 'Built in', width: 8, height: 8, validationFraction: 0 });
  for await (const _ of prepareDataset(inputs, options, { storage, id, builtin: true })) {
    // drain the events
  }
}

describe('POST /api/datasets', () => {
  it('keeps good files and reports every bad one with its reason, then still answers', async () => {
    const good = await solidImage('png', 30, 20, { r: 255, g: 0, b: 0, alpha: 0 }); // fully transparent → background
    const png = await splitImage(64, 32);
    const truncated = png.subarray(0, Math.floor(png.length / 2));
    const inner = await solidImage('png', 12, 12, { r: 1, g: 2, b: 3 });
    const evilZip = zip([
      deflated('../evil.png', await solidImage('png', 9, 9, { r: 9, g: 9, b: 9 })),
      deflated('/abs.png', await solidImage('png', 9, 9, { r: 8, g: 8, b: 8 })),
      deflated('set/inner.png', inner),
      deflated('__MACOSX/set/._inner.png', Buffer.from('resource fork')),
      deflated('set/.DS_Store', Buffer.from('junk')),
    ]);
    const bombZip = zip([await zeroBomb('zeros.png', 600)]);
    const liarZip = zip([await zeroBomb('liar.png', 64, 1024)]);
    const files = [
      { name: 'good.png', bytes: good },
      { name: 'photo.jpg', bytes: await solidImage('jpeg', 50, 40, { r: 0, g: 255, b: 0 }) },
      { name: 'pic.webp', bytes: await solidImage('webp', 40, 50, { r: 0, g: 0, b: 255 }) },
      { name: 'split.png', bytes: png },
      { name: 'again.png', bytes: good },
      { name: 'truncated.png', bytes: truncated },
      { name: 'notes.png', bytes: new TextEncoder().encode('this is not an image at all') },
      { name: 'bomb.png', bytes: pixelBombPng() },
      {
        name: 'vector.svg',
        bytes: new TextEncoder().encode(
          '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>',
        ),
      },
      { name: 'evil.zip', bytes: evilZip },
      { name: 'bomb.zip', bytes: bombZip },
      { name: 'liar.zip', bytes: liarZip },
    ];
    const res = await collection.POST(
      upload({ name: 'Mixed bag', width: 16, height: 12, fit: 'contain', background: '#00ff00' }, files),
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const events = await ndjson(res);
    for (const e of events) UploadEventSchema.parse(e);

    const status = Object.fromEntries(
      events.filter((e) => e.type === 'file').map((e) => [e.name, e.reason ?? e.status]),
    );
    expect(status).toEqual({
      'good.png': 'accepted',
      'photo.jpg': 'accepted',
      'pic.webp': 'accepted',
      'split.png': 'accepted',
      'again.png': 'duplicate of good.png',
      'truncated.png': expect.stringMatching(/^corrupt image: /),
      'notes.png': expect.stringMatching(/^not an image/),
      'bomb.png': expect.stringMatching(/^too many pixels \(100000×100000\)/),
      'vector.svg': expect.stringMatching(/^unsupported format \(SVG\)/),
      'evil.zip/../evil.png': expect.stringMatching(/^unsafe path in zip/),
      'evil.zip//abs.png': expect.stringMatching(/^unsafe path in zip: absolute/),
      'evil.zip/set/inner.png': 'accepted',
      'bomb.zip/zeros.png': expect.stringMatching(/^too large/),
      'liar.zip/liar.png': expect.stringMatching(/zip bomb/),
    });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.at(-1)).toMatchObject({ done: 14, total: 14 });

    const done = events.at(-1) as {
      type: 'done';
      dataset: { id: string; counts: unknown; previewUrl: string; seqLength: number };
    };
    expect(done.type).toBe('done');
    expect(done.dataset.counts).toEqual({ train: 5, validation: 0, accepted: 5, skipped: 9 });
    expect(done.dataset.seqLength).toBe(16 * 12 * 3);

    // The handler still answers, and the dataset is listed and readable.
    const list = await (await collection.GET()).json();
    expect(list.datasets.map((d: { id: string }) => d.id)).toEqual([done.dataset.id]);
    const manifest = DatasetManifestSchema.parse(
      await (await item.GET(new Request('http://test'), ctx({ id: done.dataset.id }))).json(),
    );
    expect(manifest.source.files.map((f) => f.name).sort()).toEqual([
      'evil.zip/set/inner.png',
      'good.png',
      'photo.jpg',
      'pic.webp',
      'split.png',
    ]);

    // Decoded back from the shard: the transparent PNG is the background colour, `contain` pads with it.
    const shardRes = await shards.GET(new Request('http://test'), ctx({ id: manifest.id, shard: 'train-000.bin' }));
    expect(shardRes.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const reader = readShard(manifest, new Uint8Array(await shardRes.arrayBuffer()));
    const goodIndex = manifest.splits.train.sources.indexOf(
      manifest.source.files.findIndex((f) => f.name === 'good.png'),
    );
    const goodRgb = tokensToImage(manifest, reader.imageAt(goodIndex));
    expect(Array.from(goodRgb.subarray(0, 3))).toEqual([0, 255, 0]);
    const splitIndex = manifest.splits.train.sources.indexOf(
      manifest.source.files.findIndex((f) => f.name === 'split.png'),
    );
    const splitRgb = tokensToImage(manifest, reader.imageAt(splitIndex));
    // 64×32 into 16×12 contain → 16×8 band centred: top row padding, middle row red | blue.
    expect(Array.from(splitRgb.subarray(0, 3))).toEqual([0, 255, 0]);
    const mid = 6 * 16 * 3;
    expect(Array.from(splitRgb.subarray(mid, mid + 3))).toEqual([255, 0, 0]);
    expect(Array.from(splitRgb.subarray(mid + 15 * 3, mid + 16 * 3))).toEqual([0, 0, 255]);
  });

  it('answers 400 JSON for invalid options, before streaming', async () => {
    const res = await collection.POST(
      upload({ name: 'x', width: 4 }, [{ name: 'a.png', bytes: await solidImage('png', 8, 8, { r: 0, g: 0, b: 0 }) }]),
    );
    expect(res.status).toBe(400);
    const body = await res.json();
    expect(body.error.code).toBe('invalid_options');
    expect(body.error.message).toMatch(/width/);
    expect((await collection.POST(upload('{not json', []))).status).toBe(400);
  });

  it('answers 413 when the body is larger than the limit', async () => {
    const saved = LIMITS.requestBytes;
    LIMITS.requestBytes = 10_000;
    try {
      const res = await collection.POST(upload({ name: 'big' }, [{ name: 'a.png', bytes: new Uint8Array(50_000) }]));
      expect(res.status).toBe(413);
      expect((await res.json()).error).toEqual({
        code: 'payload_too_large',
        message: 'The upload is larger than 9.8 KiB.',
      });
    } finally {
      LIMITS.requestBytes = saved;
    }
  });

  describe('when preparationsWaiting uploads already wait their turn', () => {
    const saved = { atOnce: LIMITS.preparationsAtOnce, waiting: LIMITS.preparationsWaiting };
    const held: AsyncGenerator<unknown>[] = [];
    beforeEach(() => {
      LIMITS.preparationsAtOnce = 1;
      LIMITS.preparationsWaiting = 1;
    });
    afterEach(async () => {
      for (const gen of held.splice(0)) await gen.return(undefined);
      LIMITS.preparationsAtOnce = saved.atOnce;
      LIMITS.preparationsWaiting = saved.waiting;
    });

    /** One preparation running and one waiting, as two uploads in progress would be. */
    async function fillTheLine() {
      const inputs = [{ name: 'a.png', bytes: await solidImage('png', 8, 8, { r: 9, g: 9, b: 9 }) }];
      const options = DatasetOptionsSchema.parse({ name: 'held', width: 8, height: 8 });
      const running = prepareDataset(inputs, options, { storage });
      held.push(running);
      expect((await running.next()).value).toMatchObject({ type: 'file' });
      const waiting = prepareDataset(inputs, options, { storage });
      held.push(waiting);
      expect((await waiting.next()).value).toEqual({ type: 'queued', position: 1 });
      return { running, waiting };
    }

    const refusal = {
      error: {
        code: 'preparations_waiting',
        message: '1 upload is already waiting to be prepared; try again in a minute.',
      },
    };

    it('answers 503 with Retry-After at once, without reading the upload or storing anything; once one leaves the line, uploads are taken again', async () => {
      const { running, waiting } = await fillTheLine();
      const request = upload({ name: 'refused', width: 8, height: 8 }, [
        { name: 'b.png', bytes: await solidImage('png', 8, 8, { r: 1, g: 1, b: 1 }) },
      ]);
      const res = await collection.POST(request);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('60');
      expect(await res.json()).toEqual(refusal);
      expect(request.bodyUsed).toBe(false);
      expect(await storage.listRecords('datasets')).toEqual([]);
      expect(await storage.listBlobs('datasets/')).toEqual([]);

      await waiting.return(undefined as never); // its client went away
      const taken = await collection.POST(
        upload({ name: 'taken', width: 8, height: 8 }, [
          { name: 'b.png', bytes: await solidImage('png', 8, 8, { r: 1, g: 1, b: 1 }) },
        ]),
      );
      expect(taken.status).toBe(200);
      const finishRunning = async () => {
        for await (const _ of running);
      };
      const [, events] = await Promise.all([finishRunning(), ndjson(taken)]);
      expect(events[0]).toEqual({ type: 'queued', position: 1 });
      expect(events.at(-1)).toMatchObject({ type: 'done', dataset: { name: 'taken' } });
    });

    it('answers 503 too when the line fills while the upload is being read, and stores none of it', async () => {
      const form = upload({ name: 'late', width: 8, height: 8 }, [
        { name: 'b.png', bytes: await solidImage('png', 8, 8, { r: 1, g: 1, b: 1 }) },
      ]);
      const bytes = new Uint8Array(await form.arrayBuffer());
      let sendTheRest!: () => void;
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(bytes.subarray(0, 100));
          await new Promise<void>((resolve) => (sendTheRest = resolve));
          controller.enqueue(bytes.subarray(100));
          controller.close();
        },
      });
      const answer = collection.POST(
        new Request('http://test/api/datasets', {
          method: 'POST',
          body,
          headers: form.headers,
          duplex: 'half',
        } as RequestInit),
      );
      await fillTheLine(); // while the route reads the body, past its first check
      sendTheRest();
      const res = await answer;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('60');
      expect(await res.json()).toEqual(refusal);
      expect(await storage.listRecords('datasets')).toEqual([]);
      expect(await storage.listBlobs('datasets/')).toEqual([]);
    });
  });

  it('ends with an error event and stores nothing when no file is usable', async () => {
    const events = await ndjson(
      await collection.POST(upload({ name: 'junk' }, [{ name: 'a.png', bytes: new TextEncoder().encode('nope') }])),
    );
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'no_images' });
    expect(await storage.listRecords('datasets')).toEqual([]);
    expect(await storage.listBlobs('datasets/')).toEqual([]);
  });

  it('leaves no record and no files when a blob write fails midway', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'datasets-fail-'));
    dirs.push(dataDir);
    let writes = 0;
    storage = createStorage({
      dataDir,
      beforeBlobWrite: (_key, n) => {
        writes = n;
        if (n === 2) throw new Error('disk full (injected)');
      },
    });
    setStorage(storage);
    const files = await Promise.all(
      [1, 2, 3, 4].map(async (i) => ({
        name: `${i}.png`,
        bytes: await solidImage('png', 8, 8, { r: i * 40, g: 0, b: 0 }),
      })),
    );
    const events = await ndjson(
      await collection.POST(upload({ name: 'doomed', width: 8, height: 8, validationFraction: 0.25 }, files)),
    );
    expect(writes).toBe(2); // train shard written, validation shard failed
    expect(events.at(-1)).toMatchObject({ type: 'error', code: 'internal' });
    expect(await storage.listRecords('datasets')).toEqual([]);
    expect(await storage.listBlobs('datasets/')).toEqual([]);
    const left = await readdir(path.join(dataDir, 'blobs'), { recursive: true });
    expect(left.filter((f) => f.endsWith('.bin') || f.endsWith('.tmp') || f.endsWith('.png'))).toEqual([]);
    expect((await (await collection.GET()).json()).datasets).toEqual([]);
  });
});

describe('POST /api/datasets with class folders', () => {
  const colour = (i: number) => solidImage('png', 8, 8, { r: (i * 67) % 256, g: (i * 29) % 256, b: (i * 113) % 256 });
  const storedNothing = async () => {
    expect(await storage.listRecords('datasets')).toEqual([]);
    expect(await storage.listBlobs('datasets/')).toEqual([]);
  };

  it('labels each image with its folder in the zip, and the manifest and summary carry the classes', async () => {
    const pets = zip([
      deflated('pets/dogs/d1.png', await colour(1)),
      deflated('pets/cats/c1.png', await colour(2)),
      deflated('pets/cats/c2.png', await colour(3)),
      deflated('pets/cats/kittens/k1.png', await colour(4)),
      deflated('pets/dogs/d2.png', await colour(5)),
      deflated('pets/loose.png', await colour(6)),
    ]);
    const res = await collection.POST(
      upload({ name: 'Pets', width: 8, height: 8, validationFraction: 0.4, seed: 2 }, [
        { name: 'pets.zip', bytes: pets },
        { name: 'stray.png', bytes: await colour(7) },
      ]),
    );
    const events = await ndjson(res);
    for (const e of events) UploadEventSchema.parse(e);
    const done = events.at(-1) as { type: string; dataset: { id: string; classes: unknown } };
    expect(done.type).toBe('done');
    expect(done.dataset.classes).toEqual([
      { name: 'cats', train: expect.any(Number), validation: expect.any(Number) },
      { name: 'dogs', train: expect.any(Number), validation: expect.any(Number) },
    ]);

    const manifest = DatasetManifestSchema.parse(
      await (await item.GET(new Request('http://test'), ctx({ id: done.dataset.id }))).json(),
    );
    expect(manifest.classes).toEqual(['cats', 'dogs']);
    expect(manifest.counts).toEqual({ train: 3, validation: 2, accepted: 5, skipped: 2 });
    expect(Object.fromEntries(manifest.skipped.map((s) => [s.name, s.reason]))).toEqual({
      'pets.zip/pets/loose.png': expect.stringMatching(/^no class: /),
      'stray.png': expect.stringMatching(/^no class: /),
    });
    const classOfFile: Record<string, string> = {};
    for (const split of ['train', 'validation'] as const) {
      const labels = imageLabels(manifest, split)!;
      manifest.splits[split].sources.forEach((source, i) => {
        classOfFile[manifest.source.files[source].name] = manifest.classes![labels[i]];
      });
    }
    expect(classOfFile).toEqual({
      'pets.zip/pets/dogs/d1.png': 'dogs',
      'pets.zip/pets/dogs/d2.png': 'dogs',
      'pets.zip/pets/cats/c1.png': 'cats',
      'pets.zip/pets/cats/c2.png': 'cats',
      'pets.zip/pets/cats/kittens/k1.png': 'cats',
    });
    const list = await (await collection.GET()).json();
    expect(list.datasets[0].classes.map((c: { train: number; validation: number }) => c.train + c.validation)).toEqual([
      3, 2,
    ]);
    // A contact sheet per class: cats' three 8×8 images upscaled to 64 px tiles in a 2×2 grid, dogs' two in 2×1.
    const sheet = async (query: string) =>
      preview.GET(new Request(`http://test/api/datasets/x/preview.png${query}`), ctx({ id: manifest.id }));
    const size = async (res: Response) => {
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      return [meta.width, meta.height];
    };
    expect(await size(await sheet('?class=0'))).toEqual([2 * 64 + 3 * 2, 2 * 64 + 3 * 2]);
    const dogs = await sheet('?class=1&v=abc');
    const { data, info } = await sharp(Buffer.from(await dogs.arrayBuffer()))
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect([info.width, info.height]).toEqual([2 * 64 + 3 * 2, 64 + 2 * 2]);
    const tile = (x: number) => Array.from(data.subarray((2 * info.width + x) * 3, (2 * info.width + x) * 3 + 3));
    const dogColours = [1, 5].map((i) => [(i * 67) % 256, (i * 29) % 256, (i * 113) % 256]); // colour(1), colour(5)
    expect([tile(2), tile(2 + 64 + 2)].sort()).toEqual(dogColours.sort());
    const unknown = await sheet('?class=2');
    expect(unknown.status).toBe(404);
    expect((await unknown.json()).error).toMatchObject({ code: 'class_not_found', message: /ids run 0\.\.1/ });
    expect((await sheet('?class=cats')).status).toBe(400);
    expect((await sheet('?class=-1')).status).toBe(400);
  });

  it('keeps loose files and zips without class folders unlabelled', async () => {
    const flat = zip([deflated('a.png', await colour(1)), deflated('b.png', await colour(2))]);
    const res = await collection.POST(
      upload({ name: 'Flat', width: 8, height: 8 }, [
        { name: 'flat.zip', bytes: flat },
        { name: 'c.png', bytes: await colour(3) },
      ]),
    );
    const done = (await ndjson(res)).at(-1) as { type: string; dataset: { id: string; classes?: unknown } };
    expect(done.type).toBe('done');
    expect(done.dataset.classes).toBeUndefined();
    const manifest = (await (
      await item.GET(new Request('http://test'), ctx({ id: done.dataset.id }))
    ).json()) as DatasetManifest;
    expect(manifest.classes).toBeUndefined();
    expect(manifest.counts.accepted).toBe(3);
    expect(imageLabels(manifest, 'train')).toBeUndefined();
    const classSheet = await preview.GET(
      new Request('http://test/api/datasets/x/preview.png?class=0'),
      ctx({ id: manifest.id }),
    );
    expect(classSheet.status).toBe(404);
    expect((await classSheet.json()).error.message).toMatch(/has no classes/);
  });

  it('refuses an upload with an empty class folder, naming it, and stores nothing', async () => {
    const withEmpty = zip([
      deflated('cats/c1.png', await colour(1)),
      deflated('dogs/', new Uint8Array(0)),
      deflated('birds/notes.txt', new TextEncoder().encode('no pictures yet')),
    ]);
    const events = await ndjson(
      await collection.POST(upload({ name: 'Gaps', width: 8, height: 8 }, [{ name: 'pets.zip', bytes: withEmpty }])),
    );
    const last = events.at(-1) as { type: string; code: string; message: string };
    expect(last).toMatchObject({ type: 'error', code: 'empty_class' });
    expect(last.message).toMatch(/"birds" \(pets\.zip\/birds\/notes\.txt: not an image/);
    expect(last.message).toMatch(/"dogs" \(pets\.zip\/dogs\/: empty folder/);
    expect(last.message).toMatch(/nothing was stored/);
    await storedNothing();
  });

  it(`refuses more than ${MAX_CLASSES} class folders before decoding any image, and stores nothing`, async () => {
    const entries = Array.from({ length: MAX_CLASSES + 1 }, (_, i) => deflated(`c${i}/x.png`, new Uint8Array([i])));
    const events = await ndjson(
      await collection.POST(upload({ name: 'Many', width: 8, height: 8 }, [{ name: 'many.zip', bytes: zip(entries) }])),
    );
    expect(events.some((e) => e.type === 'file')).toBe(false);
    expect(events.at(-1)).toMatchObject({
      type: 'error',
      code: 'too_many_classes',
      message: expect.stringContaining(`${MAX_CLASSES + 1} class folders; at most ${MAX_CLASSES}`),
    });
    await storedNothing();
  });
});

describe('GET /api/datasets/:id and friends', () => {
  it('serves the manifest, shards with an ETag, and a preview decoded from tokens; 404 for unknown ids', async () => {
    const id = await goodUpload('palette set', { tokenization: 'palette', paletteSize: 16 });
    const manifest = (await (await item.GET(new Request('http://test'), ctx({ id }))).json()) as DatasetManifest;
    expect(manifest).toMatchObject({
      tokenization: 'palette',
      paletteSize: 16,
      vocabSize: 16,
      seqLength: 64,
      bytesPerToken: 1,
    });
    expect(manifest.counts).toEqual({ train: 2, validation: 1, accepted: 3, skipped: 0 });

    const res = await shards.GET(new Request('http://test'), ctx({ id, shard: 'validation-000.bin' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const etag = res.headers.get('etag')!;
    expect(etag).toBe(`"${manifest.splits.validation.shards[0].sha256}"`);
    expect((await res.arrayBuffer()).byteLength).toBe(64);
    const again = await shards.GET(
      new Request('http://test', { headers: { 'if-none-match': etag } }),
      ctx({ id, shard: 'validation-000.bin' }),
    );
    expect(again.status).toBe(304);
    expect((await shards.GET(new Request('http://test'), ctx({ id, shard: 'train-009.bin' }))).status).toBe(404);
    expect((await shards.GET(new Request('http://test'), ctx({ id, shard: '../../studio.sqlite' }))).status).toBe(404);

    const png = await preview.GET(new Request('http://test'), ctx({ id }));
    expect(png.headers.get('content-type')).toBe('image/png');
    const meta = await sharp(Buffer.from(await png.arrayBuffer())).metadata();
    expect(meta.format).toBe('png');
    expect(meta.width).toBe(2 * 64 + 3 * 2); // 3 images → 2 columns of 8 px upscaled ×8, 2 px gutters

    const missing = await item.GET(new Request('http://test'), ctx({ id: 'nope' }));
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('dataset_not_found');
  });

  it('lists built-in datasets first, then newest first', async () => {
    const first = await goodUpload('first');
    await new Promise((r) => setTimeout(r, 5));
    const second = await goodUpload('second');
    await addBuiltin();
    const { datasets } = await (await collection.GET()).json();
    expect(datasets.map((d: { id: string }) => d.id)).toEqual(['builtin-tiny', second, first]);
  });
});

describe('DELETE /api/datasets/:id', () => {
  it('deletes a user dataset with its files, and refuses built-ins with 403', async () => {
    const id = await goodUpload();
    expect((await storage.listBlobs(`datasets/${id}/`)).length).toBe(3); // train, validation, preview
    const res = await item.DELETE(new Request('http://test', { method: 'DELETE' }), ctx({ id }));
    expect(await res.json()).toEqual({ ok: true });
    expect((await item.GET(new Request('http://test'), ctx({ id }))).status).toBe(404);
    expect(await storage.listBlobs(`datasets/${id}/`)).toEqual([]);
    expect((await item.DELETE(new Request('http://test'), ctx({ id }))).status).toBe(404);

    await addBuiltin();
    const refused = await item.DELETE(new Request('http://test'), ctx({ id: 'builtin-tiny' }));
    expect(refused.status).toBe(403);
    expect((await refused.json()).error).toMatchObject({
      code: 'builtin_dataset',
      message: expect.stringMatching(/built-in/),
    });
    expect((await item.GET(new Request('http://test'), ctx({ id: 'builtin-tiny' }))).status).toBe(200);
  });
});
