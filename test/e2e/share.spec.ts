import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type APIRequestContext, expect, test } from '@playwright/test';
import sharp from 'sharp';
import type { Recipe, ShareResult } from '@/lib/samples/recipe';
import { ShareGalleryPage } from './pages/share-gallery-page';
import { SharePermalinkPage } from './pages/share-permalink-page';
import { SharePanel } from './pages/share-panel';
import { canvasRgb, servedRgb } from './pages/rgb';
import { StudioPage } from './pages/studio-page';

/** The shipped model the studio page object opens (the fast 16×16 one): a share must match its id and size. */
const index = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../public/models/index.json'), 'utf8')) as {
  models: {
    card: { id: string; name: string; dataset: { width: number; height: number; name: string } };
    sha256: string;
  }[];
};
const model = index.models.find((m) => m.card.id === 'emoji-16-tiny')!;
const { width, height } = model.card.dataset;

/** A diagonal gradient with one red corner pixel: distinct pixels to compare after the round trip. */
async function samplePng(): Promise<{ png: Buffer; raw: Buffer }> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) raw.set([(x * 255) / width, (y * 255) / height, 128], (y * width + x) * 3);
  raw.set([255, 0, 0], 0);
  return {
    png: await sharp(raw, { raw: { width, height, channels: 3 } })
      .png()
      .toBuffer(),
    raw,
  };
}

async function share(request: APIRequestContext, seed: number): Promise<ShareResult & { raw: Buffer }> {
  const { png, raw } = await samplePng();
  const recipe: Recipe = {
    model: { id: model.card.id, sha256: model.sha256 },
    seed,
    temperature: 0.8,
    topK: 0,
    topP: 0.9,
    epsilon: 0.002,
    batchIndex: 1,
    completion: null,
    backend: 'wasm',
    milliseconds: 1500,
  };
  const res = await request.post('/api/samples', {
    // A fresh client address per share, so reruns against a reused server stay under the rate limit.
    headers: {
      'x-forwarded-for': `198.51.100.${randomInt(256)}, 10.${randomInt(256)}.${randomInt(256)}.${randomInt(256)}`,
    },
    multipart: { recipe: JSON.stringify(recipe), image: { name: 'sample.png', mimeType: 'image/png', buffer: png } },
  });
  expect(res.status(), await res.text()).toBe(201);
  return { ...((await res.json()) as ShareResult), raw };
}

test('a shared sample: gallery → permalink with image, recipe, card metadata and Remix → delete → 404', async ({
  page,
  request,
}) => {
  const seed = randomInt(2 ** 32);
  const { id, url, deleteToken, raw } = await share(request, seed);
  expect(url).toBe(`/s/${id}`);
  await SharePermalinkPage.holdDeleteToken(page, id, deleteToken);

  const gallery = new ShareGalleryPage(page);
  await gallery.goto();
  await expect(gallery.items.first()).toHaveAttribute('data-sample-id', id);
  await gallery.item(id).click();
  await expect(page).toHaveURL(new RegExp(`/s/${id}$`));

  const permalink = new SharePermalinkPage(page);
  expect(await permalink.naturalSize()).toEqual([width, height]);
  await expect(permalink.image).toHaveCSS('image-rendering', 'pixelated');
  await expect(permalink.recipeValue('seed')).toHaveText(String(seed));
  await expect(permalink.recipeValue('temperature')).toHaveText('0.8');
  await expect(permalink.recipeValue('probability-floor')).toHaveText('0.002');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(model.card.name);
  await expect(page.getByText(model.card.dataset.name).first()).toBeVisible();

  const remix = new URL((await permalink.remix.getAttribute('href'))!, 'http://x');
  expect(Object.fromEntries(remix.searchParams)).toEqual({
    model: model.card.id,
    seed: String(seed),
    temperature: '0.8',
    topK: '0',
    topP: '0.9',
    epsilon: '0.002',
    image: '1',
    backend: 'wasm',
  });

  const ogImage = await page.locator('meta[property="og:image"]').getAttribute('content');
  expect(ogImage).toMatch(new RegExp(`^http://[^/]+/api/samples/${id}/thumb\\.png$`));
  await expect(page.locator('meta[name="twitter:card"]')).toHaveAttribute('content', 'summary_large_image');

  // The stored PNG has exactly the pixels that were shared.
  expect(await servedRgb(page.request, `/api/samples/${id}/image.png`)).toEqual(Array.from(raw));

  await permalink.delete();
  await expect(permalink.notFound).toBeVisible();
  expect((await page.request.get(`/api/samples/${id}`)).status()).toBe(404);
  const again = await permalink.goto(id);
  expect(again?.status()).toBe(404);
  await expect(permalink.notFound).toBeVisible();
});

test('without the token there is no Delete; a report hides the sample from the gallery', async ({ page, request }) => {
  const { id } = await share(request, randomInt(2 ** 32));
  const permalink = new SharePermalinkPage(page);
  await permalink.goto(id);
  await expect(permalink.image).toBeVisible();
  await expect(permalink.remix).toBeVisible();
  await expect(permalink.deleteButton).toHaveCount(0);

  await permalink.report();
  await expect(permalink.reported).toBeVisible();

  const gallery = new ShareGalleryPage(page);
  await gallery.goto(`?model=${model.card.id}`);
  await expect(gallery.item(id)).toHaveCount(0);
  expect((await permalink.goto(id))?.status()).toBe(404);
});

test('studio → Share → permalink with the same pixels → Remix link → Delete → 404', async ({ page }) => {
  test.setTimeout(300_000);
  const studio = new StudioPage(page);
  const panel = new SharePanel(page);
  await studio.goto();
  await studio.useBackend('wasm');
  const seed = randomInt(2 ** 32);
  await studio.generate({ seed, batch: 1 });
  await studio.waitDone(1);
  const canvas = await canvasRgb(studio);
  // The studio renders its Share slot once the run is done (app/page.tsx: <StudioWithSharing />).
  await expect(panel.slot.first()).toBeVisible();

  const url = await panel.share();
  const id = url.replace('/s/', '');
  // The browser kept the delete token, as the permalink's Delete button needs.
  expect(await page.evaluate((i) => JSON.parse(localStorage.getItem('reformer-share-tokens') ?? '{}')[i], id)).toMatch(
    /^[A-Za-z0-9_-]{43}$/,
  );

  await panel.link.click();
  await expect(page).toHaveURL(new RegExp(`/s/${id}$`));
  const permalink = new SharePermalinkPage(page);
  expect(await permalink.naturalSize()).toEqual([width, height]);
  expect(await servedRgb(page.request, `/api/samples/${id}/image.png`)).toEqual(canvas);
  await expect(permalink.recipeValue('seed')).toHaveText(String(seed));
  await expect(permalink.recipeValue('backend')).toHaveText('wasm');
  const remix = new URL((await permalink.remix.getAttribute('href'))!, 'http://x');
  expect(remix.searchParams.get('seed')).toBe(String(seed));
  expect(remix.searchParams.get('model')).toBe(model.card.id);

  await permalink.delete();
  await expect(permalink.notFound).toBeVisible();
});

test('Remix redraws the same pixels in the studio', async ({ page, request }) => {
  test.setTimeout(300_000);
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.useBackend('wasm');
  await studio.generate({ seed: randomInt(2 ** 32), batch: 1 });
  await studio.waitDone(1);
  const id = (await new SharePanel(page).share()).replace('/s/', '');
  const shared = await servedRgb(request, `/api/samples/${id}/image.png`);
  const permalink = new SharePermalinkPage(page);
  await permalink.goto(id);
  await page.goto((await permalink.remix.getAttribute('href'))!);
  await studio.useBackend('wasm');
  await studio.generateButton.click();
  await studio.waitDone(1);
  expect(await canvasRgb(studio)).toEqual(shared);
});

test('Remix of a shared completion completes the same rows, read back from the image, and redraws the same pixels', async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  const KEEP = 6;
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.useBackend('wasm');
  await studio.generate({ seed: randomInt(2 ** 32), batch: 1 });
  await studio.waitDone(1);
  await studio.completionSourceSelect.selectOption({ index: 0 }); // Result #1
  await studio.completionRows.fill(String(KEEP));
  await studio.seed.fill(String(randomInt(2 ** 32)));
  await studio.completeButton.click();
  await studio.waitDone(1);
  const id = (await new SharePanel(page).share()).replace('/s/', '');
  const shared = await servedRgb(request, `/api/samples/${id}/image.png`);

  const permalink = new SharePermalinkPage(page);
  await permalink.goto(id);
  const href = (await permalink.remix.getAttribute('href'))!;
  expect(Object.fromEntries(new URL(href, 'http://x').searchParams)).toMatchObject({
    complete: id,
    keepRows: String(KEEP),
  });
  await page.goto(href);
  await studio.useBackend('wasm');
  const complete = page.getByTestId('remix-complete');
  await expect(complete).toBeEnabled({ timeout: 120_000 });
  await complete.click();
  await studio.waitDone(1);
  expect(await canvasRgb(studio)).toEqual(shared);

  // A link that keeps every row leaves nothing to draw, and says so.
  const all = new URL(href, 'http://x');
  all.searchParams.set('keepRows', '999');
  await page.goto(`${all.pathname}${all.search}`);
  await expect(page.getByTestId('remix-complete-nothing')).toContainText('nothing left to draw');
  await expect(page.getByTestId('remix-complete')).toBeDisabled();
});
