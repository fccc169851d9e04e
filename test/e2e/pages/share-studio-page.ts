import { expect, type Locator, type Page } from '@playwright/test';

/** The parts of the studio (home page) the sharing flow drives: generate one image, then Share it. */
export class ShareStudioPage {
  readonly backend: Locator;
  readonly seed: Locator;
  readonly batch: Locator;
  readonly generateButton: Locator;
  readonly canvases: Locator;
  readonly shareSlot: Locator;
  readonly shareButton: Locator;
  readonly shareLink: Locator;
  readonly shareError: Locator;

  constructor(readonly page: Page) {
    this.backend = page.getByTestId('backend-select');
    this.seed = page.getByTestId('seed-input');
    this.batch = page.getByTestId('batch-input');
    this.generateButton = page.getByTestId('generate-button');
    this.canvases = page.getByTestId('result-canvas');
    this.shareSlot = page.getByTestId('share-slot');
    this.shareButton = page.getByTestId('share-button');
    this.shareLink = page.getByTestId('share-link');
    this.shareError = page.getByTestId('share-error');
  }

  /** Opens `url` (the studio, or a Remix link) on wasm and waits until the model is loaded. */
  async open(url = '/') {
    await this.page.goto(url);
    await this.backend.selectOption('wasm');
    await expect(this.generateButton).toBeEnabled({ timeout: 120_000 });
  }

  /** Generates with the form as it stands (after `seed`/`batch` when given) and waits for every canvas. */
  async generate(opts: { seed?: number; batch?: number } = {}) {
    if (opts.seed !== undefined) await this.seed.fill(String(opts.seed));
    if (opts.batch !== undefined) await this.batch.fill(String(opts.batch));
    await this.generateButton.click();
    await expect(this.page.locator('[data-testid="result-canvas"][data-done="true"]').first()).toBeVisible({ timeout: 120_000 });
  }

  /** RGB bytes (alpha dropped) of canvas `i`. */
  async rgb(i = 0): Promise<number[]> {
    return this.canvases.nth(i).evaluate((el) => {
      const c = el as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data).filter((_, k) => k % 4 !== 3);
    });
  }

  /** Shares the selected result and returns its permalink path. */
  async share(): Promise<string> {
    await this.shareButton.click();
    await expect(this.shareLink).toBeVisible();
    return (await this.shareLink.getAttribute('href'))!;
  }
}
