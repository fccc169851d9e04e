import { readFileSync } from 'node:fs';
import path from 'node:path';
import { type APIRequestContext, expect, type Locator, type Page } from '@playwright/test';

const FIXTURE_IMAGES = path.resolve(import.meta.dirname, '../../fixtures/images');

/** The /train page: run settings, the live run panel, and the published models list. */
export class TrainPage {
  readonly dataset: Locator;
  readonly preset: Locator;
  readonly startFrom: Locator;
  readonly validation: Locator;
  readonly steps: Locator;
  readonly batch: Locator;
  readonly start: Locator;
  readonly pause: Locator;
  readonly resume: Locator;
  readonly stop: Locator;
  readonly progress: Locator;
  readonly chart: Locator;
  readonly stepCount: Locator;
  readonly state: Locator;
  readonly samples: Locator;
  readonly publish: Locator;
  readonly models: Locator;
  /** Each saved run not on screen. */
  readonly savedRun: Locator;
  readonly resumeSaved: Locator;
  /** Resume of a stopped (or failed) run on screen, from its checkpoint. */
  readonly resumeRun: Locator;
  readonly discardSaved: Locator;
  readonly discardSavedConfirm: Locator;
  /** What a saved run says instead of Resume and Discard while another tab has it open. */
  readonly savedElsewhere: Locator;
  /** The run on screen's checkpoint line; `data-saved-step` is the step it saved ('' for none). */
  readonly checkpoint: Locator;

  constructor(readonly page: Page) {
    this.dataset = page.getByTestId('train-dataset');
    this.preset = page.getByTestId('train-preset');
    this.startFrom = page.getByTestId('train-start-from');
    this.validation = page.getByTestId('train-validation').locator('dd');
    this.steps = page.getByTestId('train-steps');
    this.batch = page.getByTestId('train-batch');
    this.start = page.getByTestId('train-start');
    this.pause = page.getByTestId('train-pause');
    this.resume = page.getByTestId('train-resume');
    this.stop = page.getByTestId('train-stop');
    this.progress = page.getByTestId('train-progress');
    this.chart = page.getByTestId('train-chart');
    this.stepCount = page.getByTestId('train-step-count');
    this.state = page.getByTestId('train-state');
    this.samples = page.getByTestId('train-samples');
    this.publish = page.getByTestId('train-publish');
    this.models = page.getByTestId('model-list-item');
    this.savedRun = page.getByTestId('train-saved');
    this.resumeSaved = page.getByTestId('train-resume-saved');
    this.resumeRun = page.getByTestId('train-resume-run');
    this.discardSaved = page.getByTestId('train-discard-saved');
    this.discardSavedConfirm = page.getByTestId('train-discard-saved-confirm');
    this.savedElsewhere = page.getByTestId('train-saved-elsewhere');
    this.checkpoint = page.getByTestId('train-checkpoint');
  }

  async goto() {
    await this.page.goto('/train');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Train' })).toBeVisible();
  }

  /** Starts a new run of the `tiny` preset on `datasetId` (400 steps at batch 2 unless told). */
  async startTinyRun(datasetId: string, { steps = 400, batch = 2 } = {}) {
    await this.dataset.selectOption(datasetId);
    await this.preset.selectOption('tiny');
    await this.steps.fill(String(steps));
    await this.batch.fill(String(batch));
    await this.start.click();
  }

  async currentStep(): Promise<number> {
    return Number(await this.stepCount.textContent());
  }

  async trainPoints(): Promise<number> {
    return Number(await this.chart.getAttribute('data-train-points'));
  }

  model(id: string): Locator {
    return this.page.locator(`[data-testid="model-list-item"][data-model-id="${id}"]`);
  }
}

/** Prepares a dataset of the 8×8 fixture images through the API (fast to train on); returns its id. */
export async function uploadFixtureDataset(request: APIRequestContext, name: string): Promise<string> {
  const form = new FormData();
  form.set('options', JSON.stringify({ name, width: 8, height: 8, validationFraction: 0.34, seed: 3 }));
  for (const file of ['red.png', 'blue-dot.png', 'green-square.jpg']) {
    const type = file.endsWith('.jpg') ? 'image/jpeg' : 'image/png';
    form.append('files', new File([readFileSync(path.join(FIXTURE_IMAGES, file))], file, { type }));
  }
  const response = await request.post('/api/datasets', { multipart: form });
  expect(response.ok()).toBe(true);
  const events = (await response.text())
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { type: string; dataset?: { id: string } });
  const done = events.at(-1);
  expect(done?.type).toBe('done');
  return done!.dataset!.id;
}
