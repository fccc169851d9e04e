import { expect, type Locator, type Page } from '@playwright/test';

type Backend = 'auto' | 'webgpu' | 'wasm' | 'webgl' | 'cpu';

/** The studio (home page): model and options, the generation canvases, completion, results. */
export class StudioPage {
  readonly model: Locator;
  readonly modelCard: Locator;
  readonly backend: Locator;
  readonly backendReason: Locator;
  readonly seed: Locator;
  readonly batch: Locator;
  readonly generateButton: Locator;
  readonly cancelButton: Locator;
  readonly progress: Locator;
  readonly tokensPerSecond: Locator;
  readonly canvases: Locator;
  readonly downloadPngButton: Locator;
  readonly recipe: Locator;
  readonly completionRows: Locator;
  readonly completionSource: Locator;
  readonly completionSourceSelect: Locator;
  readonly completeButton: Locator;

  constructor(readonly page: Page) {
    this.model = page.getByTestId('model-select');
    this.modelCard = page.getByTestId('model-card');
    this.backend = page.getByTestId('backend-select');
    this.backendReason = page.getByTestId('backend-reason');
    this.seed = page.getByTestId('seed-input');
    this.batch = page.getByTestId('batch-input');
    this.generateButton = page.getByTestId('generate-button');
    this.cancelButton = page.getByTestId('cancel-button');
    this.progress = page.getByTestId('progress');
    this.tokensPerSecond = page.getByTestId('tokens-per-second');
    this.canvases = page.getByTestId('result-canvas');
    this.downloadPngButton = page.getByTestId('download-png');
    this.recipe = page.getByTestId('recipe');
    this.completionRows = page.getByTestId('completion-rows');
    this.completionSource = page.getByTestId('completion-source');
    this.completionSourceSelect = page.getByTestId('completion-source-select');
    this.completeButton = page.getByTestId('complete-button');
  }

  /**
   * Opens the studio on a shipped model (default: the 16×16 tiny one, the fastest; the page itself
   * opens on the first model of public/models/index.json). `rows` stops each run after that many
   * image rows (for slow backends).
   */
  async goto(opts: { rows?: number; model?: string } = {}) {
    const q = new URLSearchParams({ model: opts.model ?? 'emoji-16-tiny' });
    if (opts.rows) q.set('rows', String(opts.rows));
    await this.page.goto(`/?${q}`);
    await expect(this.page.getByRole('heading', { level: 1, name: 'Studio' })).toBeVisible();
  }

  /** Picks a backend and waits until the worker has started it and loaded the model. */
  async useBackend(name: Backend) {
    await this.backend.selectOption(name);
    if (name !== 'auto') await expect(this.backendReason).toHaveAttribute('data-backend', name, { timeout: 60_000 });
    await expect(this.generateButton).toBeEnabled({ timeout: 120_000 });
  }

  async generate(opts: { seed: number; batch: number }) {
    await this.seed.fill(String(opts.seed));
    await this.batch.fill(String(opts.batch));
    await this.generateButton.click();
  }

  /** Waits until `count` canvases report `data-done="true"`. */
  async waitDone(count: number, timeout = 120_000) {
    await expect(this.canvases).toHaveCount(count);
    await expect(this.page.locator('[data-testid="result-canvas"][data-done="true"]')).toHaveCount(count, { timeout });
  }

  /** RGBA bytes of the top `rows` rows of a canvas. */
  async pixels(canvas: Locator, rows?: number): Promise<number[]> {
    return canvas.evaluate((el, r) => {
      const c = el as HTMLCanvasElement;
      return Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, r ?? c.height).data);
    }, rows);
  }

  async downloadPng() {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.downloadPngButton.click()]);
    return download;
  }
}
