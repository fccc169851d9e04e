import { expect, test } from '@playwright/test';
import { SiteShell } from './pages/site-shell';
import { TrainPage, uploadFixtureDataset } from './pages/train-page';

test.describe('train page', () => {
  let datasetId: string;
  const published: string[] = [];

  test.beforeAll(async ({ request }) => {
    datasetId = await uploadFixtureDataset(request, `e2e-train-${Date.now()}`);
  });

  test.afterAll(async ({ request }) => {
    for (const id of published) await request.delete(`/api/models/${id}`);
    if (datasetId) await request.delete(`/api/datasets/${datasetId}`);
  });

  test('trains in the browser, pauses and resumes, publishes a model that loads back, resumes after a reload, and saves when the page is left', async ({
    page,
    request,
  }) => {
    const train = new TrainPage(page);
    await train.goto();
    await train.startTinyRun(datasetId);

    // Steps advance and the chart gains points as they do.
    await expect.poll(() => train.currentStep(), { timeout: 120_000 }).toBeGreaterThan(3);
    const pointsEarly = await train.trainPoints();
    await expect.poll(() => train.trainPoints()).toBeGreaterThan(pointsEarly);
    await expect(train.progress).toHaveAttribute('aria-valuemax', '400');
    // On WASM, attention trains in our SIMD kernels (lib/reformer/kernels), not tfjs's scalar loops.
    await expect(page.getByTestId('train-backend')).toHaveAttribute('title', /SIMD attention kernels/);
    // Each batch of 2 is split across one worker per core (up to 2): the trainer and a gradient helper.
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await expect(page.getByTestId('train-backend')).toHaveAttribute('data-workers', String(Math.min(cores, 2)));
    await expect(train.chart).not.toHaveAttribute('data-validation-points', '0');
    await expect(train.samples.locator('canvas')).toHaveCount(2, { timeout: 120_000 });

    // Pause: the count stops (after the step in flight) and stays put.
    await train.pause.click();
    await expect(train.state).toHaveAttribute('data-state', 'paused');
    const paused = await train.currentStep();
    await page.waitForTimeout(1500);
    expect(await train.currentStep()).toBe(paused);
    await expect(train.progress).toHaveAttribute('aria-valuenow', String(paused));

    // Resume: it moves again.
    await train.resume.click();
    await expect(train.state).toHaveAttribute('data-state', 'running');
    await expect.poll(() => train.currentStep()).toBeGreaterThan(paused);

    await train.stop.click();
    await expect(train.state).toHaveAttribute('data-state', 'stopped');
    // Stopped is not the end: it resumes from the checkpoint without a reload.
    const stoppedAt = await train.currentStep();
    await expect(train.resumeRun).toHaveText(`Resume from step ${stoppedAt}`);
    await train.resumeRun.click();
    await expect(train.state).toHaveAttribute('data-state', 'running');
    await expect.poll(() => train.currentStep()).toBeGreaterThan(stoppedAt);
    await train.stop.click();
    await expect(train.state).toHaveAttribute('data-state', 'stopped');
    const finalStep = await train.currentStep();

    await train.publish.click();
    const item = train.models.filter({ hasText: 'just published' });
    await expect(item).toHaveCount(1);
    const id = (await item.getAttribute('data-model-id'))!;
    published.push(id);
    expect(id).toContain(datasetId.slice(0, 20));
    await expect(item).toContainText(String(finalStep));

    // The server serves it in the index.json shape, and its files load as a TF.js model.
    const list = (await (await request.get('/api/models')).json()) as {
      models: { card: { id: string; steps: number }; url: string }[];
    };
    const entry = list.models.find((m) => m.card.id === id);
    expect(entry?.card.steps).toBe(finalStep);
    const modelJson = (await (await request.get(entry!.url)).json()) as { weightsManifest: { paths: string[] }[] };
    const weights = await request.get(`/api/models/${id}/${modelJson.weightsManifest[0].paths[0]}`);
    expect(weights.ok()).toBe(true);

    // After a reload the published model is still listed, and the saved checkpoint resumes where it
    // stopped, with its curve restored.
    await page.reload();
    await expect(train.model(id)).toHaveCount(1);
    await expect(train.savedRun).toContainText(`step ${finalStep}`);
    await train.resumeSaved.click();
    await expect(train.stepCount).toHaveText(/\d+/);
    expect(await train.currentStep()).toBeGreaterThanOrEqual(finalStep);
    expect(await train.trainPoints()).toBeGreaterThan(0);
    await expect.poll(() => train.currentStep()).toBeGreaterThan(finalStep);

    // Leaving through the header (no reload) pauses the run and saves it before its worker ends:
    // back on the page it is listed at the step it had reached, free to resume here.
    const shell = new SiteShell(page);
    const left = await train.currentStep();
    await shell.navLink('Datasets').click();
    await expect(page).toHaveURL(/\/datasets$/);
    await shell.navLink('Train').click();
    await expect(train.savedRun).toHaveCount(1);
    const savedStep = Number((await train.savedRun.textContent())!.match(/step (\d+) of/)![1]);
    expect(savedStep).toBeGreaterThanOrEqual(left);
    await expect(train.resumeSaved).toBeEnabled();

    // Discarding asks first.
    await train.discardSaved.click();
    await expect(train.savedRun).toHaveCount(1);
    await train.discardSavedConfirm.click();
    await expect(train.savedRun).toHaveCount(0);
    await page.reload();
    await expect(train.dataset).toBeVisible();
    await expect(train.savedRun).toHaveCount(0);
  });

  test('a saved run whose dataset was deleted says so and offers only Discard', async ({ page, request }) => {
    const doomed = await uploadFixtureDataset(request, `e2e-train-doomed-${Date.now()}`);
    const train = new TrainPage(page);
    await train.goto();
    await train.startTinyRun(doomed);
    await expect.poll(() => train.currentStep(), { timeout: 120_000 }).toBeGreaterThan(1);
    await train.pause.click(); // saves a checkpoint
    await expect(train.state).toHaveAttribute('data-state', 'paused');
    // 'paused' shows while the checkpoint is still being written; a reload before it lands ends the
    // worker mid-write and leaves nothing to list (one CI run did so). The page says when it is saved.
    const pausedAt = await train.currentStep();
    await expect(train.checkpoint).toHaveAttribute('data-saved-step', String(pausedAt));
    expect((await request.delete(`/api/datasets/${doomed}`)).ok()).toBe(true);

    await page.reload();
    const run = train.savedRun.filter({ has: page.getByTestId('train-saved-dataset-gone') });
    await expect(run).toHaveCount(1);
    await expect(run).toContainText('Its dataset was deleted');
    await expect(run.getByTestId('train-resume-saved')).toBeDisabled();
    await run.getByTestId('train-discard-saved').click();
    await run.getByTestId('train-discard-saved-confirm').click();
    await expect(page.getByTestId('train-saved-dataset-gone')).toHaveCount(0);
  });

  test('a run open in one tab offers no Resume or Discard in another, until that tab is closed', async ({
    page,
    context,
  }) => {
    // Two tabs of one browser: the same IndexedDB, and the same Web Locks.
    const a = new TrainPage(page);
    await a.goto();
    await a.startTinyRun(datasetId);
    await expect.poll(() => a.currentStep(), { timeout: 120_000 }).toBeGreaterThan(1);
    await a.pause.click();
    await expect(a.state).toHaveAttribute('data-state', 'paused');
    const pausedAt = await a.currentStep();
    await expect(a.checkpoint).toHaveAttribute('data-saved-step', String(pausedAt));

    const b = new TrainPage(await context.newPage());
    await b.goto();
    await expect(b.savedRun).toHaveCount(1);
    await expect(b.savedRun).toContainText(`step ${pausedAt} of 400`);
    await expect(b.savedElsewhere).toHaveText('Open in another tab: only that tab can resume or discard it.');
    await expect(b.resumeSaved).toHaveCount(0);
    await expect(b.discardSaved).toHaveCount(0);
    // Tab A still has it, paused where it was.
    await expect(a.resume).toBeEnabled();

    // Closing A ends its worker and frees the run: B sees so by itself (no reload) and resumes it
    // from A's checkpoint.
    await page.close();
    await expect(b.savedElsewhere).toHaveCount(0, { timeout: 15_000 });
    await expect(b.savedRun).toHaveCount(1);
    await expect(b.discardSaved).toBeEnabled();
    await b.resumeSaved.click();
    await expect(b.state).toHaveAttribute('data-state', 'running');
    await expect.poll(() => b.currentStep()).toBeGreaterThan(pausedAt);
    await b.stop.click();
    await expect(b.state).toHaveAttribute('data-state', 'stopped');
  });

  test('a run can start from a shipped model, and its published card counts the steps before it', async ({
    page,
    request,
  }) => {
    const train = new TrainPage(page);
    await train.goto();
    await train.dataset.selectOption('emoji-16');
    // Only models whose tokens mean this dataset's pixels are offered: 16×16 rgb here.
    await expect(train.startFrom.locator('option')).toHaveText(['A new model', /emoji 16×16 · tiny · 150 steps/]);
    await train.startFrom.selectOption({ index: 1 });
    await expect(train.preset).toBeDisabled();
    // emoji-16 is labelled: the unconditional model starts a class-conditional run, on by default.
    await expect(page.getByTestId('train-conditional')).toBeChecked();
    await train.steps.fill('2');
    await train.batch.fill('2');
    await train.start.click();
    await expect(train.state).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
    await expect(page.getByTestId('train-started-from')).toContainText('(150 steps)');
    await expect(page.getByTestId('train-classes')).toContainText('conditioned on 9 classes');
    // The weights came along: a fresh model starts near 8 bits/dim (uniform over 256 values).
    expect(Number(await train.validation.textContent())).toBeLessThan(7);

    await train.publish.click();
    const item = train.models.filter({ hasText: 'just published' });
    await expect(item).toHaveCount(1);
    const id = (await item.getAttribute('data-model-id'))!;
    published.push(id);
    const list = (await (await request.get('/api/models')).json()) as {
      models: {
        card: { id: string; steps: number; classes?: string[]; initialisedFrom?: { id: string; steps: number }[] };
      }[];
    };
    expect(list.models.find((m) => m.card.id === id)?.card).toMatchObject({
      steps: 152,
      classes: expect.arrayContaining(['Smileys & Emotion', 'Flags']),
      initialisedFrom: [{ id: 'emoji-16-tiny', steps: 150 }],
    });
  });
});
