import { expect, type Page, test } from '@playwright/test';
import { StudioPage } from './pages/studio-page';

// Cached decoding at sizes plain transformers cannot reach, at a size CI can wait for: the shipped
// 64×64 palette model through a whole image (4,096 tokens), and the shipped 256×256 one (65,536)
// for its first rows. The memory the studio reports must not grow with the tokens generated: the
// decoding cache is allocated once for every position, and tensors stay at weights + one step.

async function memoryOf(page: Page) {
  const readout = page.getByTestId('memory');
  await expect(readout).toBeVisible();
  return {
    cache: Number(await readout.getAttribute('data-cache-bytes')),
    tensors: Number(await readout.getAttribute('data-peak-tensor-bytes')),
  };
}

/** One image of `model` on WASM (its first `rows`, or whole), then the memory the studio reports. */
async function generateOnWasm(
  studio: StudioPage,
  page: Page,
  run: { model: string; size: string; seed: number; rows?: number; timeout?: number },
) {
  await studio.goto({ model: run.model, rows: run.rows });
  await expect(studio.modelCard).toContainText(run.size);
  await studio.useBackend('wasm');
  await studio.generate({ seed: run.seed, batch: 1 });
  await studio.waitDone(1, run.timeout);
  return memoryOf(page);
}

test('a 64×64 palette image is painted whole, with the same peak memory as its first rows', async ({ page }) => {
  test.setTimeout(420_000);
  const studio = new StudioPage(page);
  const partial = await generateOnWasm(studio, page, {
    model: 'emoji-64-p256-small',
    size: '64×64',
    seed: 21,
    rows: 4,
  });
  const whole = await generateOnWasm(studio, page, {
    model: 'emoji-64-p256-small',
    size: '64×64',
    seed: 21,
    timeout: 360_000,
  });
  await expect(studio.progress).toHaveAttribute('aria-valuenow', '100');
  const pixels = await studio.pixels(studio.canvases.first());
  expect(pixels.length).toBe(64 * 64 * 4);
  expect(pixels.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);

  // 16× the tokens, the same memory: the cache was sized for the whole image from the start.
  expect(whole.cache).toBe(partial.cache);
  expect(whole.tensors).toBeLessThanOrEqual(partial.tensors * 1.05 + 2 ** 20);
  expect(whole.cache + whole.tensors).toBeLessThan(64 * 2 ** 20);
});

test('the 256×256 model decodes its first rows with its 65,536-position cache in bounded memory', async ({ page }) => {
  test.setTimeout(300_000);
  const studio = new StudioPage(page);
  const memory = await generateOnWasm(studio, page, {
    model: 'emoji-256-p256-tiny',
    size: '256×256',
    seed: 3,
    rows: 2,
    timeout: 240_000,
  });
  // Linear in the 65,536 positions (keys, values and bucket rings per layer), not quadratic: a
  // single float32 [65,536 × 65,536] score matrix would be 16 GiB.
  expect(memory.cache).toBeGreaterThan(0);
  expect(memory.cache + memory.tensors).toBeLessThan(256 * 2 ** 20);
  const top = await studio.pixels(studio.canvases.first(), 2);
  expect(top.filter((_, i) => i % 4 === 3).every((alpha) => alpha === 255)).toBe(true);
});
