import { expect, type Locator, type Page } from '@playwright/test';

/** /gallery: model filter chips, thumbnail cards linking to permalinks, cursor pagination. */
export class ShareGalleryPage {
  readonly items: Locator;
  readonly filters: Locator;
  readonly older: Locator;

  constructor(readonly page: Page) {
    this.items = page.getByTestId('gallery-item');
    this.filters = page.getByTestId('gallery-filter');
    this.older = page.getByTestId('gallery-older');
  }

  async goto(query = '') {
    await this.page.goto(`/gallery${query}`);
    await expect(this.page.getByRole('heading', { level: 1, name: 'Gallery' })).toBeVisible();
  }

  item(id: string): Locator {
    return this.page.locator(`[data-testid="gallery-item"][data-sample-id="${id}"]`);
  }
}
