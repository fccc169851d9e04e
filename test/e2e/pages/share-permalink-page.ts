import { expect, type Locator, type Page } from '@playwright/test';

/** /s/[id]: the shared image, its recipe, Remix, Delete (token holders only), Report, and the 404 page. */
export class SharePermalinkPage {
  readonly image: Locator;
  readonly recipe: Locator;
  readonly remix: Locator;
  readonly deleteButton: Locator;
  readonly deleteConfirm: Locator;
  readonly reportButton: Locator;
  readonly reportConfirm: Locator;
  readonly reported: Locator;
  readonly notFound: Locator;

  constructor(readonly page: Page) {
    this.image = page.getByTestId('sample-image');
    this.recipe = page.getByTestId('sample-recipe');
    this.remix = page.getByTestId('remix-link');
    this.deleteButton = page.getByTestId('sample-delete');
    this.deleteConfirm = page.getByTestId('sample-delete-confirm');
    this.reportButton = page.getByTestId('sample-report');
    this.reportConfirm = page.getByTestId('sample-report-confirm');
    this.reported = page.getByTestId('sample-reported');
    this.notFound = page.getByTestId('sample-not-found');
  }

  async goto(id: string) {
    return this.page.goto(`/s/${id}`);
  }

  recipeValue(label: string): Locator {
    return this.page.getByTestId(`recipe-${label}`);
  }

  /** The browser holds the delete token the way ShareButton leaves it (before any page script runs). */
  static async holdDeleteToken(page: Page, id: string, token: string) {
    await page.addInitScript(([i, t]) => localStorage.setItem('reformer-share-tokens', JSON.stringify({ [i]: t })), [
      id,
      token,
    ] as const);
  }

  /** The <img> has loaded and decoded to its natural size. */
  async naturalSize(): Promise<[number, number]> {
    await expect(this.image).toHaveJSProperty('complete', true);
    return this.image.evaluate((img: HTMLImageElement) => [img.naturalWidth, img.naturalHeight] as [number, number]);
  }

  async delete() {
    await this.deleteButton.click();
    await this.deleteConfirm.click();
  }

  async report() {
    await this.reportButton.click();
    await this.reportConfirm.click();
  }
}
