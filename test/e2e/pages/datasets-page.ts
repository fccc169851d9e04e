import path from 'node:path';
import { expect, type Locator, type Page } from '@playwright/test';

export const FIXTURE_IMAGES = path.resolve(import.meta.dirname, '../../fixtures/images');

/** The /datasets page: upload panel and the list of dataset cards. */
export class DatasetsPage {
  readonly files: Locator;
  readonly name: Locator;
  readonly width: Locator;
  readonly prepareButton: Locator;
  readonly progress: Locator;
  readonly fileRows: Locator;
  readonly preview: Locator;
  readonly error: Locator;
  readonly cards: Locator;

  constructor(readonly page: Page) {
    this.files = page.getByTestId('dataset-files');
    this.name = page.getByTestId('dataset-name');
    this.width = page.getByTestId('dataset-width');
    this.prepareButton = page.getByTestId('dataset-prepare');
    this.progress = page.getByTestId('dataset-progress');
    this.fileRows = page.getByTestId('dataset-file-row');
    this.preview = page.getByTestId('dataset-preview');
    this.error = page.getByTestId('dataset-error');
    this.cards = page.getByTestId('dataset-card');
  }

  async goto() {
    await this.page.goto('/datasets');
    await expect(this.page.getByRole('heading', { level: 1, name: 'Datasets' })).toBeVisible();
  }

  async chooseFixtures(...names: string[]) {
    await this.files.setInputFiles(names.map((n) => path.join(FIXTURE_IMAGES, n)));
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
