import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as imageRoute from '@/app/api/samples/[id]/image.png/route';
import * as reportRoute from '@/app/api/samples/[id]/report/route';
import * as item from '@/app/api/samples/[id]/route';
import * as thumbRoute from '@/app/api/samples/[id]/thumb.png/route';
import * as collection from '@/app/api/samples/route';
import {
  type Recipe,
  remixHref,
  type ResultRecord,
  type SamplePage,
  type SampleView,
  type ShareResult,
  toShareRecipe,
} from '@/lib/samples/recipe';
import { resetSampleLimits } from '@/lib/server/samples/rate-limit';
import { createStorage, setStorage, type Storage } from '@/lib/server/storage';
import { solidImage } from './fixtures';

const dirs: string[] = [];
let storage: Storage;
const MODEL = { id: 'tiny-8', width: 8, height: 6 };
const SHA = 'a'.repeat(64);

const CLASSES = ['Animals', 'Flags', 'Smileys'];
const COND = { id: 'cond-4', width: 4, height: 4 };

const card = (id: string, width: number, height: number, classes?: string[]) => ({
  card: {
    ...(classes ? { classes } : {}),
    id,
    name: `Model ${id}`,
    dataset: { id: `${id}-data`, name: `Data ${id}`, tokenization: 'rgb', width, height },
    preset: 'tiny',
    parameters: 1000,
    steps: 10,
    trainedAt: '2026-01-01T00:00:00Z',
  },
  url: `/models/${id}/model.json`,
  sha256: SHA,
  bytes: 1234,
});

beforeAll(async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'samples-models-'));
  dirs.push(dir);
  const index = path.join(dir, 'index.json');
  await writeFile(
    index,
    JSON.stringify({
      models: [
        card(MODEL.id, MODEL.width, MODEL.height),
        card('other-4', 4, 4),
        card(COND.id, COND.width, COND.height, CLASSES),
      ],
    }),
  );
  process.env.MODELS_INDEX = index;
});

beforeEach(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'samples-routes-'));
  dirs.push(dataDir);
  storage = createStorage({ dataDir });
  setStorage(storage);
  resetSampleLimits();
});

afterAll(async () => {
  setStorage(undefined);
  delete process.env.MODELS_INDEX;
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const ctx = (id: string) => ({ params: Promise.resolve({ id }) }) as never;

const recipe = (over: Partial<Recipe> = {}): Recipe => ({
  model: { id: MODEL.id, sha256: SHA },
  seed: 4_000_000_000,
  temperature: 0.9,
  topK: 40,
  topP: 0.95,
  batchIndex: 2,
  completion: { datasetId: 'emoji-16', rowsKept: 3 },
  backend: 'wasm',
  milliseconds: 1234.5,
  ...over,
});

let ipCounter = 0;
function share(image: Uint8Array, recipeValue: unknown = recipe(), ip = `10.0.0.${++ipCounter}`): Request {
  const form = new FormData();
  form.set('recipe', typeof recipeValue === 'string' ? recipeValue : JSON.stringify(recipeValue));
  form.set('image', new File([image as Uint8Array<ArrayBuffer>], 'sample.png', { type: 'image/png' }));
  return new Request('http://test/api/samples', { method: 'POST', body: form, headers: { 'x-forwarded-for': ip } });
}

/** A PNG with a distinct pixel in a corner, written with metadata that must not survive. */
async function samplePng(width = MODEL.width, height = MODEL.height): Promise<Uint8Array> {
  const raw = Buffer.alloc(width * height * 3, 40);
  raw.set([255, 0, 0], 0);
  return new Uint8Array(
    await sharp(raw, { raw: { width, height, channels: 3 } })
      .withMetadata({ exif: { IFD0: { Artist: 'secret-name' } } })
      .png()
      .toBuffer(),
  );
}

async function shareOk(model = MODEL, over: Partial<Recipe> = {}): Promise<ShareResult> {
  const res = await collection.POST(
    share(await samplePng(model.width, model.height), recipe({ model: { id: model.id, sha256: SHA }, ...over })),
  );
  expect(res.status).toBe(201);
  return (await res.json()) as ShareResult;
}

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

const list = async (query = '') =>
  (await (await collection.GET(new Request(`http://test/api/samples${query}`))).json()) as SamplePage;

describe('POST /api/samples', () => {
  it('stores a valid share, re-encoded without metadata, with a crisp thumbnail', async () => {
    expect(Buffer.from(await samplePng()).toString('latin1')).toContain('secret-name');
    const result = await shareOk();
    expect(result.url).toBe(`/s/${result.id}`);

    const view = (await (await item.GET(new Request('http://test'), ctx(result.id))).json()) as SampleView;
    expect(view).toMatchObject({
      id: result.id,
      width: 8,
      height: 6,
      recipe: recipe(),
      model: { id: MODEL.id, name: 'Model tiny-8', dataset: { name: 'Data tiny-8' } },
    });
    expect(JSON.stringify(view)).not.toContain('deleteToken');

    const image = await imageRoute.GET(new Request('http://test'), ctx(result.id));
    expect(image.headers.get('content-type')).toBe('image/png');
    expect(image.headers.get('cache-control')).toBe('public, max-age=300'); // not for good: it can be deleted or hidden
    const png = Buffer.from(await image.arrayBuffer());
    expect(png.toString('latin1')).not.toContain('secret-name');
    const meta = await sharp(png).metadata();
    expect([meta.format, meta.width, meta.height, meta.exif]).toEqual(['png', 8, 6, undefined]);
    const { data } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([...data.subarray(0, 6)]).toEqual([255, 0, 0, 40, 40, 40]);

    // 8×6 upscaled ×64 by nearest neighbour: the red pixel becomes a hard 64×64 block.
    const thumb = Buffer.from(await (await thumbRoute.GET(new Request('http://test'), ctx(result.id))).arrayBuffer());
    const t = await sharp(thumb).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    expect([t.info.width, t.info.height]).toEqual([512, 384]);
    const px = (x: number, y: number) => [...t.data.subarray((y * 512 + x) * 3, (y * 512 + x) * 3 + 3)];
    expect([px(0, 0), px(63, 63), px(64, 0), px(0, 64)]).toEqual([
      [255, 0, 0],
      [255, 0, 0],
      [40, 40, 40],
      [40, 40, 40],
    ]);
  });

  it('gives unguessable ids: 128 bits of base64url, different every time; tokens of 256 bits', async () => {
    const [a, b] = [await shareOk(), await shareOk()];
    expect(a.id).not.toBe(b.id);
    for (const r of [a, b]) {
      expect(r.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(r.id, 'base64url')).toHaveLength(16);
      expect(Buffer.from(r.deleteToken, 'base64url')).toHaveLength(32);
    }
    expect(a.deleteToken).not.toBe(b.deleteToken);
  });

  it('refuses JPEG bytes named .png', async () => {
    const res = await collection.POST(share(await solidImage('jpeg', 8, 6, { r: 1, g: 2, b: 3 })));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({ code: 'not_png', message: expect.stringContaining('PNG signature') });
  });

  it('refuses a PNG whose signature is right but whose body is not a PNG', async () => {
    const png = await samplePng();
    const broken = new Uint8Array([...png.subarray(0, 8), ...new Uint8Array(200).fill(7)]);
    const res = await collection.POST(share(broken));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('not_png');
  });

  it('refuses a PNG of the wrong size, saying the expected and actual dimensions', async () => {
    const res = await collection.POST(share(await samplePng(16, 16)));
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toEqual({
      code: 'wrong_dimensions',
      message: 'The image is 16×16 but this model draws 8×6 images.',
    });
  });

  it('refuses an oversized body with 413', async () => {
    const huge = new Uint8Array(300 * 1024);
    huge.set(await samplePng());
    const res = await collection.POST(share(huge));
    expect(res.status).toBe(413);
    expect(await errorOf(res)).toMatchObject({
      code: 'payload_too_large',
      message: 'The image must be at most 256 KiB.',
    });
    // An image just over its own limit, in a body still under the request limit.
    const res2 = await collection.POST(share(huge.subarray(0, 260 * 1024)));
    expect(res2.status).toBe(413);
  });

  it('refuses a bad recipe, naming the field', async () => {
    const cases: [unknown, string][] = [
      [recipe({ seed: 2 ** 32 }), 'seed'],
      [recipe({ topP: 0 }), 'topP'],
      [recipe({ epsilon: 1 }), 'epsilon'],
      [{ ...recipe(), extra: 1 }, 'extra'],
      [{ ...recipe(), model: { id: MODEL.id, sha256: 'nope' } }, 'model.sha256'],
      [recipe({ classId: 255 }), 'classId'],
      [recipe({ classId: 1.5 }), 'classId'],
      [recipe({ classId: 1, guidance: 10.25 }), 'guidance'],
      [recipe({ classId: 1, guidance: 1.3 }), 'guidance'],
      [recipe({ classId: 1, guidance: -1 }), 'guidance'],
      [recipe({ guidance: 2 }), 'guidance'],
    ];
    for (const [bad, field] of cases) {
      const res = await collection.POST(share(await samplePng(), bad));
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe('invalid_recipe');
      expect(error.message).toContain(field);
    }
    const notJson = await collection.POST(share(await samplePng(), '{"seed":'));
    expect(await errorOf(notJson)).toMatchObject({
      code: 'invalid_recipe',
      message: expect.stringContaining('not valid JSON'),
    });
  });

  it('refuses an unknown model with 400', async () => {
    const res = await collection.POST(
      share(await samplePng(), recipe({ model: { id: 'no-such-model', sha256: SHA } })),
    );
    expect(res.status).toBe(400);
    expect(await errorOf(res)).toMatchObject({
      code: 'unknown_model',
      message: expect.stringContaining('no-such-model'),
    });
  });

  it('stores the class of a class-conditional draw by id and name', async () => {
    const { id } = await shareOk(COND, { classId: 2, guidance: 2.5 });
    const view = (await (await item.GET(new Request('http://test'), ctx(id))).json()) as SampleView;
    expect(view.recipe).toMatchObject({ classId: 2, guidance: 2.5 });
    expect(view.class).toEqual({ id: 2, name: 'Smileys' });
    // A recipe without a class stays valid, and its sample has none.
    const plain = await shareOk(COND);
    expect(((await (await item.GET(new Request('http://test'), ctx(plain.id))).json()) as SampleView).class).toBe(
      undefined,
    );
  });

  it('refuses a class the model does not know, and any class for an unconditional model', async () => {
    const outOfRange = await collection.POST(
      share(await samplePng(4, 4), recipe({ model: { id: COND.id, sha256: SHA }, classId: 3 })),
    );
    expect(outOfRange.status).toBe(400);
    expect(await errorOf(outOfRange)).toMatchObject({
      code: 'unknown_class',
      message: expect.stringContaining('classes 0–2'),
    });
    const unconditional = await collection.POST(share(await samplePng(), recipe({ classId: 0 })));
    expect(unconditional.status).toBe(400);
    expect(await errorOf(unconditional)).toMatchObject({
      code: 'unknown_class',
      message: expect.stringContaining('not class-conditional'),
    });
    expect(await storage.listBlobs('samples/')).toEqual([]);
  });

  it('removes the blobs when the record cannot be written', async () => {
    const failing = { ...storage, insertRecord: async () => Promise.reject(new Error('disk full')) } as Storage;
    setStorage(failing);
    const res = await collection.POST(share(await samplePng()));
    expect(res.status).toBe(500);
    expect(await storage.listBlobs('samples/')).toEqual([]);
  });

  it('allows 10 shares a minute per client, then answers 429 with Retry-After', async () => {
    const png = await samplePng();
    for (let i = 0; i < 10; i++) expect((await collection.POST(share(png, recipe(), '192.0.2.7'))).status).toBe(201);
    const res = await collection.POST(share(png, recipe(), '192.0.2.7'));
    expect(res.status).toBe(429);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await errorOf(res)).code).toBe('rate_limited');
    // Another client is not affected.
    expect((await collection.POST(share(png, recipe(), '192.0.2.8'))).status).toBe(201);
  });
});

describe('GET /api/samples', () => {
  it('lists newest first, pages with a cursor, filters by model', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await shareOk()).id);
    const other = await shareOk({ id: 'other-4', width: 4, height: 4 });

    const all = await list();
    expect(all.samples.map((s) => s.id)).toEqual([other.id, ...ids.reverse()]);

    const pages: string[] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const page: SamplePage = await list(`?model=${MODEL.id}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.samples.length).toBeLessThanOrEqual(2);
      pages.push(...page.samples.map((s) => s.id));
      cursor = page.nextCursor;
    }
    expect(pages).toEqual(ids);
    expect((await list('?model=other-4')).samples.map((s) => s.id)).toEqual([other.id]);
  });

  it('filters by class, given its id or its name, pages within the filter', async () => {
    const smileys = [(await shareOk(COND, { classId: 2, guidance: 1 })).id, (await shareOk(COND, { classId: 2 })).id];
    const flag = (await shareOk(COND, { classId: 1 })).id;
    await shareOk(COND);
    await shareOk();

    const ids = async (query: string) => (await list(query)).samples.map((s) => s.id);
    expect(await ids('?class=2')).toEqual([...smileys].reverse());
    expect(await ids('?class=Smileys')).toEqual([...smileys].reverse());
    expect(await ids(`?class=${encodeURIComponent('Flags')}&model=${COND.id}`)).toEqual([flag]);
    expect(await ids('?class=Flags&model=other-4')).toEqual([]);
    expect(await ids('?class=smileys')).toEqual([]);
    expect(await ids('?class=0')).toEqual([]);
    const first = await list('?class=2&limit=1');
    expect(first.samples.map((s) => s.id)).toEqual([smileys[1]]);
    expect(await ids(`?class=2&limit=1&cursor=${first.nextCursor}`)).toEqual([smileys[0]]);
    expect((await collection.GET(new Request('http://test/api/samples?class='))).status).toBe(400);
  });

  it('refuses a forged cursor', async () => {
    const res = await collection.GET(new Request('http://test/api/samples?cursor=garbage'));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe('bad_cursor');
  });
});

describe('DELETE /api/samples/:id', () => {
  it('refuses a missing or wrong token with 403, deletes with the right one, then 404s', async () => {
    const { id, deleteToken } = await shareOk();
    const del = (headers: Record<string, string>, body?: string) =>
      item.DELETE(new Request(`http://test/api/samples/${id}`, { method: 'DELETE', headers, body }), ctx(id));

    expect((await del({})).status).toBe(403);
    const wrong = await del({ authorization: `Bearer ${deleteToken.slice(0, -2)}xx` });
    expect(wrong.status).toBe(403);
    expect((await errorOf(wrong)).code).toBe('wrong_delete_token');
    expect((await item.GET(new Request('http://test'), ctx(id))).status).toBe(200);

    expect((await del({ 'content-type': 'application/json' }, JSON.stringify({ token: deleteToken }))).status).toBe(
      204,
    );
    expect((await item.GET(new Request('http://test'), ctx(id))).status).toBe(404);
    expect((await imageRoute.GET(new Request('http://test'), ctx(id))).status).toBe(404);
    expect(await storage.listBlobs('samples/')).toEqual([]);
    expect((await del({ authorization: `Bearer ${deleteToken}` })).status).toBe(404);
  });

  it('accepts the token as a Bearer header', async () => {
    const { id, deleteToken } = await shareOk();
    const res = await item.DELETE(
      new Request('http://test', { method: 'DELETE', headers: { authorization: `Bearer ${deleteToken}` } }),
      ctx(id),
    );
    expect(res.status).toBe(204);
  });
});

describe('POST /api/samples/:id/report', () => {
  it('hides a reported sample from the list and its permalink routes', async () => {
    const kept = await shareOk();
    const reported = await shareOk();
    const res = await reportRoute.POST(new Request('http://test', { method: 'POST' }), ctx(reported.id));
    expect(await res.json()).toEqual({ hidden: true });
    expect((await list()).samples.map((s) => s.id)).toEqual([kept.id]);
    expect((await item.GET(new Request('http://test'), ctx(reported.id))).status).toBe(404);
    expect((await thumbRoute.GET(new Request('http://test'), ctx(reported.id))).status).toBe(404);
    // Its sharer can still delete it.
    const del = await item.DELETE(
      new Request('http://test', { method: 'DELETE', headers: { authorization: `Bearer ${reported.deleteToken}` } }),
      ctx(reported.id),
    );
    expect(del.status).toBe(204);
  });

  it('two reports at once both succeed', async () => {
    const reported = await shareOk();
    const both = await Promise.all(
      [1, 2].map(() => reportRoute.POST(new Request('http://test', { method: 'POST' }), ctx(reported.id))),
    );
    expect(both.map((r) => r.status)).toEqual([200, 200]);
    expect((await item.GET(new Request('http://test'), ctx(reported.id))).status).toBe(404);
  });

  it('404s for an unknown id', async () => {
    const res = await reportRoute.POST(new Request('http://test', { method: 'POST' }), ctx('A'.repeat(22)));
    expect(res.status).toBe(404);
  });
});

describe('remixHref', () => {
  it('spells the recipe as the studio query parameters', () => {
    // A recipe from before the ε floor existed draws without one.
    expect(remixHref(recipe())).toBe(
      '/?model=tiny-8&seed=4000000000&temperature=0.9&topK=40&topP=0.95&epsilon=0&image=2&backend=wasm',
    );
    expect(remixHref(recipe({ epsilon: 0.001 }))).toContain('&topP=0.95&epsilon=0.001&image=2');
    // A completion names the sample whose top rows it kept, so the studio can read them back.
    expect(remixHref(recipe({ completion: { rowsKept: 5 } }), 'abc_DEF-123')).toMatch(
      /&backend=wasm&complete=abc_DEF-123&keepRows=5$/,
    );
    expect(remixHref(recipe({ completion: { rowsKept: 5 } }))).not.toContain('complete=');
    // A class-conditional draw names its class and guidance; without them the link sets neither.
    expect(remixHref(recipe({ completion: null, classId: 6, guidance: 2.5 }))).toMatch(
      /&backend=wasm&class=6&guidance=2\.5$/,
    );
    expect(remixHref(recipe())).not.toMatch(/class=|guidance=/);
  });
});

describe('toShareRecipe', () => {
  const studio: ResultRecord = {
    model: { id: MODEL.id, name: 'Tiny', sha256: SHA, url: '/models/tiny-8/model.json' },
    seed: 7,
    imageIndex: 3,
    firstImage: 0,
    batch: 4,
    sampling: { temperature: 1, topK: 0, topP: 1, epsilon: 0.001 },
    length: 48,
    completion: { source: 'emoji-16', keepRows: 2, prefixTokens: 48 },
    backend: { name: 'webgpu', reason: 'auto' },
    createdAt: '2026-11-29T00:00:00Z',
  };

  it('maps the studio result recipe to one the server accepts', async () => {
    const r = toShareRecipe(studio, 812);
    expect(r).toEqual({
      model: { id: MODEL.id, sha256: SHA },
      seed: 7,
      temperature: 1,
      topK: 0,
      topP: 1,
      epsilon: 0.001,
      batchIndex: 3,
      completion: { datasetId: 'emoji-16', rowsKept: 2 },
      backend: 'webgpu',
      milliseconds: 812,
    });
    expect((await collection.POST(share(await samplePng(), r))).status).toBe(201);
  });

  it('gives null for a model without a sha256 (only in this browser), and drops a non-dataset completion source', () => {
    expect(toShareRecipe({ ...studio, model: { ...studio.model, sha256: undefined } })).toBeNull();
    const upload = { source: 'upload:My Cat.png', keepRows: 1, prefixTokens: 3 };
    expect(toShareRecipe({ ...studio, completion: upload })?.completion).toEqual({ rowsKept: 1 });
  });

  it('carries the class and guidance, leaving out guidance 0 and guidance without a class', () => {
    const cls = { id: 6, name: 'Smileys & Emotion' };
    expect(toShareRecipe({ ...studio, class: cls, guidance: 2 })).toMatchObject({ classId: 6, guidance: 2 });
    const off = toShareRecipe({ ...studio, class: cls, guidance: 0 });
    expect(off).toMatchObject({ classId: 6 });
    expect(off).not.toHaveProperty('guidance');
    const anything = toShareRecipe({ ...studio, guidance: 2 });
    expect(anything).not.toHaveProperty('classId');
    expect(anything).not.toHaveProperty('guidance');
  });
});
