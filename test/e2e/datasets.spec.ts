import { expect, test } from '@playwright/test';
import { DatasetsPage } from './pages/datasets-page';

test.describe('datasets page', () => {
  test('uploads images, skips the corrupt one, previews the sheet, then deletes the dataset', async ({ page }) => {
    const datasets = new DatasetsPage(page);
    await datasets.goto();
    const name = `e2e-${Date.now()}`;
    // The server's limits are on the page before anything is sent.
    await expect(page.getByTestId('dataset-limits')).toHaveText(
      'Up to 5,000 images, 20.0 MiB each, 512.0 MiB per upload.',
    );

    // Two files dropped, two picked: both ways in must add to the same selection.
    await datasets.dropFixtures('red.png', 'blue-dot.png');
    await expect(datasets.selection).toContainText('2 files');
    await datasets.chooseFixtures('green-square.jpg', 'bad.png');
    await expect(datasets.selection).toContainText('4 files');
    await datasets.name.fill(name);
    await datasets.width.fill('16');
    await expect(datasets.prepareButton).toBeEnabled();
    await datasets.prepareButton.click();

    await expect(datasets.progress).toHaveAttribute('aria-valuenow', '100');
    await expect(datasets.fileRows).toHaveCount(4);
    for (const good of ['red.png', 'blue-dot.png', 'green-square.jpg']) {
      await expect(datasets.fileRow(good)).toHaveAttribute('data-status', 'accepted');
    }
    const bad = datasets.fileRow('bad.png');
    await expect(bad).toHaveAttribute('data-status', 'skipped');
    await expect(bad.getByTestId('dataset-file-reason')).toHaveText(/\S{3,}/);

    await expect(datasets.preview).toBeVisible();
    await expect
      .poll(() => datasets.preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth))
      .toBeGreaterThan(0);
    const result = page.getByRole('region', { name: 'Result' });
    await expect(result).toContainText('16×16');

    // The list refreshed with the new dataset, after the built-in ones.
    const card = datasets.cardNamed(name);
    await expect(card).toHaveCount(1);
    await expect(card).toContainText('16×16');
    const id = await card.getAttribute('data-dataset-id');
    expect(id).toBeTruthy();
    const ids = await datasets.cards.evaluateAll((els) => els.map((el) => el.getAttribute('data-dataset-id')));
    const builtinCount = await datasets.cards.filter({ hasText: 'Built-in' }).count();
    expect(ids.indexOf(id)).toBeGreaterThanOrEqual(builtinCount);

    await datasets.deleteCard(card);
    await expect(datasets.card(id!)).toHaveCount(0);
    await page.reload();
    await expect(datasets.cards.first().or(page.getByText('No datasets yet'))).toBeVisible();
    await expect(datasets.card(id!)).toHaveCount(0);
  });

  test('prepares a zip the same way, with palette tokenization', async ({ page }) => {
    const datasets = new DatasetsPage(page);
    await datasets.goto();
    await datasets.chooseFixtures('sprites.zip');
    await expect(datasets.name).toHaveValue('sprites'); // named after the zip
    await page.getByRole('radio', { name: 'Palette' }).check({ force: true });
    await page.getByTestId('dataset-palette-size').fill('16');
    await datasets.prepareButton.click();

    await expect(datasets.progress).toHaveAttribute('aria-valuenow', '100');
    await expect(datasets.fileRows.and(page.locator('[data-status="accepted"]'))).toHaveCount(3);
    await expect(datasets.fileRows.and(page.locator('[data-status="skipped"]'))).toHaveCount(1);
    await expect(datasets.fileRow('bad.png')).toHaveAttribute('data-status', 'skipped');
    const result = page.getByRole('region', { name: 'Result' });
    await expect(result).toContainText('16-colour palette');

    // Leftovers of an interrupted run may share the name, so follow this one by id.
    const id = await datasets.cardNamed('sprites').first().getAttribute('data-dataset-id');
    const card = datasets.card(id!);
    await expect(card).toContainText('palette 16');
    await datasets.deleteCard(card);
    await expect(card).toHaveCount(0);
  });

  test('lists built-in datasets first and offers no delete on them', async ({ page }) => {
    const datasets = new DatasetsPage(page);
    const summary = (id: string, builtin: boolean) => ({
      id,
      name: id,
      builtin,
      width: 16,
      height: 16,
      tokenization: 'rgb',
      seqLength: 768,
      vocabSize: 256,
      counts: { train: 9, validation: 1, accepted: 10, skipped: 0 },
      createdAt: '2026-01-01T00:00:00.000Z',
      previewUrl: '/api/datasets/none/preview.png',
    });
    // The server already sorts; this listing is deliberately out of order to test the page's own guarantee.
    await page.route('**/api/datasets', (route) =>
      route.request().method() === 'GET'
        ? route.fulfill({ json: { datasets: [summary('mine', false), summary('emoji-16', true)] } })
        : route.fallback(),
    );
    await datasets.goto();
    await expect(datasets.cards).toHaveCount(2);
    await expect(datasets.cards.first()).toHaveAttribute('data-dataset-id', 'emoji-16');
    await expect(datasets.card('emoji-16').getByTestId('dataset-delete')).toHaveCount(0);
    await expect(datasets.card('mine').getByTestId('dataset-delete')).toHaveCount(1);
  });

  for (const [status, code, message] of [
    [400, 'invalid_options', 'width must be at most 256'],
    [413, 'too_large', 'The upload is larger than 512.0 MiB.'],
    [503, 'preparations_waiting', '4 uploads are already waiting to be prepared; try again in a minute.'],
  ] as const) {
    test(`shows the server's ${status} error message and code`, async ({ page }) => {
      const datasets = new DatasetsPage(page);
      // Client-side checks stop bad options before they leave, so the reply is faked to see it surfaced.
      await datasets.fakePrepareReply({ status, json: { error: { code, message } } });
      await datasets.goto();
      await datasets.chooseFixtures('red.png');
      await datasets.name.fill('rejected');
      await datasets.prepareButton.click();
      await expect(datasets.error).toContainText(message);
      await expect(datasets.error).toContainText(code);
      await expect(datasets.prepareButton).toBeEnabled();
    });
  }

  test('shows an error event that arrives mid-stream, keeping the file rows seen so far', async ({ page }) => {
    const datasets = new DatasetsPage(page);
    const lines = [
      { type: 'progress', done: 1, total: 2, file: 'red.png' },
      { type: 'file', name: 'red.png', status: 'accepted' },
      { type: 'error', code: 'no_images', message: 'no usable images were uploaded' },
    ];
    await datasets.fakePrepareReply({
      contentType: 'application/x-ndjson',
      body: lines.map((l) => JSON.stringify(l)).join('\n') + '\n',
    });
    await datasets.goto();
    await datasets.chooseFixtures('red.png');
    await datasets.name.fill('broken');
    await datasets.prepareButton.click();
    await expect(datasets.error).toContainText('no usable images were uploaded');
    await expect(datasets.fileRow('red.png')).toHaveAttribute('data-status', 'accepted');
    await expect(datasets.preview).toHaveCount(0);
    await expect(datasets.prepareButton).toBeEnabled();
  });

  test('cancels an upload the server has not answered', async ({ page }) => {
    const datasets = new DatasetsPage(page);
    await datasets.holdPrepareRequests();
    await datasets.goto();
    await datasets.chooseFixtures('red.png');
    await datasets.name.fill('never');
    await datasets.prepareButton.click();
    await expect(datasets.prepareButton).toBeDisabled();
    await datasets.cancelButton.click();
    await expect(datasets.error).toContainText('cancelled');
    await expect(datasets.prepareButton).toBeEnabled();
    await expect(datasets.progress).toHaveCount(0);
  });
});
