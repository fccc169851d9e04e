import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, type Locator, type Page, type Route } from '@playwright/test';

export const FIXTURE_IMAGES = path.resolve(import.meta.dirname, '../../fixtures/images');

/** The /datasets page: upload panel and the list of dataset cards. */
export class DatasetsPage {
  readonly files: Locator;
  readonly name: Locator;
  readonly width: Locator;
  readonly dropzone: Locator;
  readonly selection: Locator;
  readonly prepareButton: Locator;
  readonly progress: Locator;
  readonly fileRows: Locator;
  readonly preview: Locator;
  readonly error: Locator;
  readonly cancelButton: Locator;
  readonly cards: Locator;

  constructor(readonly page: Page) {
    this.files = page.getByTestId('dataset-files');
    this.name = page.getByTestId('dataset-name');
    this.width = page.getByTestId('dataset-width');
    this.dropzone = page.getByTestId('dataset-dropzone');
    this.selection = page.getByTestId('dataset-selection');
    this.prepareButton = page.getByTestId('dataset-prepare');
    this.progress = page.getByTestId('dataset-progress');
    this.fileRows = page.getByTestId('dataset-file-row');
    this.preview = page.getByTestId('dataset-preview');
    this.error = page.getByTestId('dataset-error');
    this.cancelButton = page.getByTestId('dataset-cancel');
    this.cards = page.getByTestId('dataset-card');
  }

  async goto() {
    await this.page.goto('/datasets');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Datasets' })).toBeVisible();
  }

  async chooseFixtures(...names: string[]) {
    await this.files.setInputFiles(names.map((n) => path.join(FIXTURE_IMAGES, n)));
  }

  /** Drops fixture files on the drop zone the way a browser does: a drop event carrying a DataTransfer. */
  async dropFixtures(...names: string[]) {
    const files = names.map((n) => ({
      name: n,
      base64: readFileSync(path.join(FIXTURE_IMAGES, n)).toString('base64'),
    }));
    const dataTransfer = await this.page.evaluateHandle((list) => {
      const dt = new DataTransfer();
      for (const f of list) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.name.endsWith('.jpg') ? 'image/jpeg' : 'image/png' }));
      }
      return dt;
    }, files);
    await this.dropzone.dispatchEvent('dragover', { dataTransfer });
    await this.dropzone.dispatchEvent('drop', { dataTransfer });
  }

  /** Answers the next uploads with a fixed reply instead of the server; listing still goes through. */
  async fakePrepareReply(reply: Parameters<Route['fulfill']>[0]) {
    await this.page.route('**/api/datasets', (route) =>
      route.request().method() === 'POST' ? route.fulfill(reply) : route.fallback(),
    );
  }

  /** Leaves uploads unanswered, as a slow server would, until the test ends. */
  async holdPrepareRequests() {
    await this.page.route('**/api/datasets', (route) =>
      route.request().method() === 'POST' ? undefined : route.fallback(),
    );
  }

  fileRow(name: string): Locator {
    return this.fileRows.filter({ hasText: name });
  }

  card(id: string): Locator {
    return this.page.locator(`[data-testid="dataset-card"][data-dataset-id="${id}"]`);
  }

  cardNamed(name: string): Locator {
    return this.cards.filter({ has: this.page.getByRole('heading', { name, exact: true }) });
  }

  /** Two-step delete: Delete, then the confirming Delete. */
  async deleteCard(card: Locator) {
    await card.getByTestId('dataset-delete').click();
    await card.getByTestId('dataset-delete-confirm').click();
  }
}
