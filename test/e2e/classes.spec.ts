import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ClassPicker } from './pages/class-picker';
import { ShareGalleryPage } from './pages/share-gallery-page';
import { SharePermalinkPage } from './pages/share-permalink-page';
import { SharePanel } from './pages/share-panel';
import { canvasRgb, servedRgb } from './pages/rgb';
import { StudioPage } from './pages/studio-page';

/** The shipped tiny class-conditional model (emoji 16×16, 256 colours, the 9 emoji categories). */
const MODEL = 'emoji-16-p256-classes-tiny';
const index = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../public/models/index.json'), 'utf8')) as {
  models: { card: { id: string; classes?: string[] } }[];
};
const classes = index.models.find((m) => m.card.id === MODEL)!.card.classes!;
const SMILEYS = classes.indexOf('Smileys & Emotion');

test('an unconditional model shows no class picker', async ({ page }) => {
  const studio = new StudioPage(page);
  await studio.goto();
  await expect(studio.generateButton).toBeEnabled({ timeout: 120_000 });
  await expect(new ClassPicker(page).root).toHaveCount(0);
  await expect(new ClassPicker(page).modelClasses).toHaveCount(0);
});

test('pick a class → generate → share → the permalink names it → Remix draws the same pixels; the gallery filters by it', async ({
  page,
  request,
}) => {
  test.setTimeout(300_000);
  expect(SMILEYS).toBeGreaterThanOrEqual(0);
  const studio = new StudioPage(page);
  const picker = new ClassPicker(page);
  await studio.goto({ model: MODEL });
  await studio.useBackend('wasm');

  // The card says what the model knows; the picker offers Anything, then every class with a picture
  // (the e2e server has the model's dataset, so its per-class contact sheets).
  await expect(picker.modelClasses).toContainText('Smileys & Emotion');
  await expect(picker.options).toHaveCount(classes.length + 1);
  await expect(picker.options.first()).toHaveText(/Anything/);
  await expect(picker.option()).toHaveAttribute('aria-checked', 'true');
  await expect(picker.guidance).toBeDisabled();
  const thumb = picker.option(SMILEYS).locator('img');
  await expect(thumb).toHaveAttribute(
    'src',
    new RegExp(`/api/datasets/emoji-16-p256/preview\\.png\\?class=${SMILEYS}&`),
  );
  await expect(thumb).toHaveJSProperty('complete', true);
  expect(await thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);

  await picker.pick(SMILEYS);
  await expect(picker.guidance).toBeEnabled();
  await picker.setGuidance(3);
  const seed = randomInt(2 ** 32);
  await studio.generate({ seed, batch: 1 });
  await studio.waitDone(1);
  expect(JSON.parse((await studio.recipe.textContent())!)).toMatchObject({
    model: { id: MODEL },
    seed,
    class: { id: SMILEYS, name: 'Smileys & Emotion' },
    guidance: 3,
  });
  const drawn = await canvasRgb(studio);

  const panel = new SharePanel(page);
  const id = (await panel.share()).replace('/s/', '');
  await panel.link.click();
  await expect(page).toHaveURL(new RegExp(`/s/${id}$`));
  const permalink = new SharePermalinkPage(page);
  await expect(permalink.recipeValue('class')).toHaveText('Smileys & Emotion');
  await expect(permalink.recipeValue('guidance')).toHaveText('3');
  expect(await servedRgb(request, `/api/samples/${id}/image.png`)).toEqual(drawn);
  const remix = (await permalink.remix.getAttribute('href'))!;
  expect(Object.fromEntries(new URL(remix, 'http://x').searchParams)).toMatchObject({
    model: MODEL,
    seed: String(seed),
    class: String(SMILEYS),
    guidance: '3',
  });

  // Remix: the studio opens with the class and guidance picked, and the same seed draws the same pixels.
  await page.goto(remix);
  await studio.useBackend('wasm');
  await expect(picker.option(SMILEYS)).toHaveAttribute('aria-checked', 'true');
  await expect(picker.guidance).toHaveValue('3');
  await studio.generateButton.click();
  await studio.waitDone(1);
  expect(await canvasRgb(studio)).toEqual(drawn);

  // Guidance and class both reach the engine: the same seed and class without guidance draws other
  // pixels, and so does the same seed with no class.
  await picker.setGuidance(0);
  await studio.generateButton.click();
  await studio.waitDone(1);
  expect(JSON.parse((await studio.recipe.textContent())!)).toMatchObject({ class: { id: SMILEYS }, guidance: 0 });
  expect(await canvasRgb(studio)).not.toEqual(drawn);
  await picker.pick(undefined);
  await studio.generateButton.click();
  await studio.waitDone(1);
  expect(JSON.parse((await studio.recipe.textContent())!)).not.toHaveProperty('class');
  expect(await canvasRgb(studio)).not.toEqual(drawn);

  const gallery = new ShareGalleryPage(page);
  await gallery.goto(`?${new URLSearchParams({ model: MODEL, class: 'Smileys & Emotion' })}`);
  await expect(gallery.item(id)).toBeVisible();
  await expect(gallery.item(id)).toContainText('Smileys & Emotion');
  await gallery.goto(`?${new URLSearchParams({ model: MODEL, class: 'Flags' })}`);
  await expect(gallery.item(id)).toHaveCount(0);
});
