import { readFile } from 'node:fs/promises';
import { expect, test } from '@playwright/test';
import sharp from 'sharp';
import { ShippedIndexSchema } from '@/lib/models/card';
import { StudioPage } from './pages/studio-page';

// The shipped tiny model: emoji 16×16 rgb, 768 tokens, 48 tokens per image row.
const SIDE = 16;

test('generates images on wasm that fill pixel by pixel, and downloads a PNG at native size', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await expect(studio.model).toContainText('16×16');
  await studio.useBackend('wasm');
  await expect(studio.backendReason).toContainText('WebAssembly');
  await studio.generate({ seed: 1234, batch: 2 });
  await studio.waitDone(2);
  await expect(studio.progress).toHaveAttribute('aria-valuenow', '100');
  expect(Number((await studio.tokensPerSecond.textContent())!.replace(/,/g, ''))).toBeGreaterThan(0);
  // Every pixel was painted (opaque) and the two images differ.
  const [a, b] = [await studio.pixels(studio.canvases.nth(0)), await studio.pixels(studio.canvases.nth(1))];
  expect(a.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
  expect(a).not.toEqual(b);

  const recipe = JSON.parse((await studio.recipe.textContent())!);
  expect(recipe).toMatchObject({
    seed: 1234,
    batch: 2,
    imageIndex: 0,
    backend: { name: 'wasm' },
    model: { id: 'emoji-16-tiny' },
  });
  expect(recipe.model.sha256).toMatch(/^[0-9a-f]{64}$/);

  const download = await studio.downloadPng();
  expect(download.suggestedFilename()).toBe('emoji-16-tiny-seed1234-1.png');
  const png = await readFile((await download.path())!);
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  expect([info.width, info.height]).toEqual([SIDE, SIDE]);
  // The PNG holds exactly the canvas pixels.
  expect(Array.from(data)).toEqual(a.filter((_, i) => i % 4 !== 3));
});

test('the model is downloaded once, then read from the browser cache', async ({ page }) => {
  const studio = new StudioPage(page);
  const fetched: string[] = [];
  page.on('request', (r) => r.url().includes('/models/emoji-16-tiny/') && fetched.push(new URL(r.url()).pathname));
  await studio.goto();
  await studio.useBackend('wasm');
  await expect(studio.modelCard).toHaveAttribute('data-loaded', /cache|network/);
  await page.reload();
  await studio.useBackend('wasm');
  await expect(studio.modelCard).toHaveAttribute('data-loaded', 'cache');
  await expect(studio.modelCard).toContainText('cached in this browser');
  // At most one download of each file, however many times the page loads.
  expect(fetched.filter((p) => p.endsWith('weights.bin')).length).toBeLessThanOrEqual(1);
});

test('cancel stops a run at once and a new run starts right after', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.useBackend('wasm');
  await studio.generate({ seed: 7, batch: 16 });
  await expect(studio.cancelButton).toBeVisible();
  await studio.cancelButton.click();
  await expect(studio.generateButton).toBeVisible();
  await expect(page.getByText('Cancelled', { exact: true })).toBeVisible();
  expect(Number(await studio.progress.getAttribute('aria-valuenow'))).toBeLessThan(100);
  await studio.generate({ seed: 7, batch: 1 });
  await studio.waitDone(1);
});

test('a double-click on Generate starts one run and does not cancel it', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.useBackend('wasm');
  await studio.seed.fill('8');
  await studio.batch.fill('2');
  // The second click lands on Cancel, which has taken Generate's place.
  await studio.generateButton.dblclick();
  await studio.waitDone(2);
  await expect(page.getByText('Cancelled', { exact: true })).toHaveCount(0);
});

test('a Remix link made on WebGPU falls back to the best backend here when WebGPU is only a software fallback, and says so', async ({
  page,
}) => {
  const studio = new StudioPage(page);
  await page.goto('/?model=emoji-16-tiny&seed=42&backend=webgpu');
  await expect(page.getByTestId('backend-notice')).toContainText(
    'This recipe ran on webgpu, which is only a slow software fallback here',
    { timeout: 60_000 },
  );
  await expect(studio.backendReason).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(studio.backend).toHaveValue('auto');
  await expect(studio.generateButton).toBeEnabled({ timeout: 120_000 });
});

test('forced webgpu (SwiftShader) draws the same pixels as wasm for the same seed', async ({ page }) => {
  test.setTimeout(300_000);
  const ROWS = SIDE; // the whole image: ~40 tokens/s on SwiftShader at batch 1, so ~20 s
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.useBackend('wasm');
  await studio.generate({ seed: 99, batch: 1 });
  await studio.waitDone(1);
  const wasm = await studio.pixels(studio.canvases.first(), ROWS);

  await studio.useBackend('webgpu');
  await expect(studio.backendReason).toContainText(/forced/);
  await studio.generate({ seed: 99, batch: 1 });
  await studio.waitDone(1, 240_000);
  const webgpu = await studio.pixels(studio.canvases.first(), ROWS);
  expect(JSON.parse((await studio.recipe.textContent())!).backend.name).toBe('webgpu');
  // Sampling runs in float64 JS on downloaded logits, so tokens match unless a float32 difference
  // moves a logit across a sampling boundary; allow a small per-channel tolerance.
  const firstDiff = wasm.findIndex((v, i) => Math.abs(v - webgpu[i]) > 2);
  expect(firstDiff, `first differing channel: pixel ${Math.floor(firstDiff / 4)} of ${SIDE * SIDE}`).toBe(-1);
});

test('image completion keeps the chosen top rows pixel-exact', async ({ page }) => {
  const KEEP = 6;
  const studio = new StudioPage(page);
  await studio.goto();
  await studio.useBackend('wasm');
  await studio.generate({ seed: 5, batch: 1 });
  await studio.waitDone(1);
  await expect(studio.completionSourceSelect).toContainText('Result #1');
  await studio.completionSourceSelect.selectOption({ label: 'Result #1 (seed 5)' });
  const source = await studio.pixels(studio.completionSource);
  await studio.completionRows.fill(String(KEEP));
  await studio.batch.fill('3');
  await studio.seed.fill('6');
  await studio.completeButton.click();
  await studio.waitDone(3);
  const keptBytes = KEEP * SIDE * 4;
  const completions = [];
  for (let i = 0; i < 3; i++) {
    const px = await studio.pixels(studio.canvases.nth(i));
    expect(px.slice(0, keptBytes)).toEqual(source.slice(0, keptBytes));
    completions.push(px.slice(keptBytes));
  }
  expect(completions[0]).not.toEqual(completions[1]); // the rest is sampled, per image
  expect(JSON.parse((await studio.recipe.textContent())!).completion).toMatchObject({
    keepRows: KEEP,
    prefixTokens: KEEP * SIDE * 3,
  });
});

test('a Remix link presets the recipe (model, seed, sampling, backend) and draws its image alone', async ({ page }) => {
  const studio = new StudioPage(page);
  const link = '/?model=emoji-16-tiny&seed=42&temperature=0.8&topK=5&topP=0.9&epsilon=0.001&image=1&backend=wasm';
  await page.goto(link);
  await expect(studio.backendReason).toHaveAttribute('data-backend', 'wasm', { timeout: 60_000 });
  await expect(studio.seed).toHaveValue('42');
  await expect(page.getByTestId('remix-model-missing')).toHaveCount(0);
  await expect(studio.batch).toHaveValue('1'); // image 1 of the seed, drawn alone
  await expect(studio.generateButton).toBeEnabled({ timeout: 120_000 });
  await studio.generateButton.click();
  await studio.waitDone(1);
  const recipe = JSON.parse((await studio.recipe.textContent())!);
  expect(recipe).toMatchObject({
    model: { id: 'emoji-16-tiny' },
    seed: 42,
    imageIndex: 1,
    firstImage: 1,
    batch: 1,
    sampling: { temperature: 0.8, topK: 5, topP: 0.9, epsilon: 0.001 },
    backend: { name: 'wasm' },
  });
  const alone = await studio.pixels(studio.canvases.first());

  // The same image as the second of a run of two from the seed (editing the seed starts the run
  // at the seed's first image again).
  await studio.seed.fill('1');
  await studio.seed.fill('42');
  await studio.batch.fill('2');
  await studio.generateButton.click();
  await studio.waitDone(2);
  expect(await studio.pixels(studio.canvases.nth(1))).toEqual(alone);
});

test('a Remix link whose model is not here says so instead of silently drawing with another', async ({ page }) => {
  await page.goto('/?model=deleted-model&seed=42');
  await expect(page.getByTestId('remix-model-missing')).toContainText('“deleted-model” is not available here', {
    timeout: 60_000,
  });
});

test("each model opens with its card's recommended sampling, which a Remix link's own overrides", async ({ page }) => {
  const shipped = ShippedIndexSchema.parse(JSON.parse(await readFile('public/models/index.json', 'utf8'))).models;
  // The default model's card carries what bench:samples -- --recommend measured; the tiny one has none.
  const [recommending, plain] = [shipped[0]!.card, shipped.find((m) => m.card.id === 'emoji-16-tiny')!.card];
  const sampling = recommending.sampling!;
  expect(sampling).toBeDefined();
  expect(plain.sampling).toBeUndefined();
  const studio = new StudioPage(page);
  const epsilon = page.getByTestId('epsilon-select');
  const note = page.getByTestId('sampling-recommended');

  await studio.goto({ model: recommending.id });
  await expect(epsilon).toHaveValue(String(sampling.epsilon));
  await expect(page.getByTestId('temperature-input')).toHaveValue(String(sampling.temperature));
  await expect(note).toHaveAttribute('data-active', 'true');
  await expect(note).toContainText(`${(100 * sampling.measured.validationStray).toFixed(1)}%`);
  // Moved off it, the way back is one click.
  await epsilon.selectOption('0.005');
  await expect(note).toHaveAttribute('data-active', 'false');
  await page.getByTestId('sampling-use-recommended').click();
  await expect(epsilon).toHaveValue(String(sampling.epsilon));
  await expect(note).toHaveAttribute('data-active', 'true');

  // A model without a recommendation opens with plain temperature-1 sampling.
  await studio.model.selectOption({ label: plain.name });
  await expect(epsilon).toHaveValue('0');
  await expect(page.getByTestId('temperature-input')).toHaveValue('1');
  await expect(note).toHaveCount(0);

  // A Remix link's sampling is the recipe's: it is kept, and the recommendation offered beside it.
  await page.goto(`/?model=${recommending.id}&seed=5&temperature=0.8&topK=0&topP=1&epsilon=0.0003`);
  await expect(note).toHaveAttribute('data-active', 'false', { timeout: 60_000 });
  await expect(epsilon).toHaveValue('0.0003');
  await expect(page.getByTestId('temperature-input')).toHaveValue('0.8');
});
