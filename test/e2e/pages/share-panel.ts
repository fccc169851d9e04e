import { expect, type Locator, type Page } from '@playwright/test';

/** The Share slot of the studio's result panel (components/share/share-button.tsx). */
export class SharePanel {
  readonly slot: Locator;
  readonly button: Locator;
  readonly link: Locator;
  readonly error: Locator;

  constructor(readonly page: Page) {
    this.slot = page.getByTestId('share-slot');
    this.button = page.getByTestId('share-button');
    this.link = page.getByTestId('share-link');
    this.error = page.getByTestId('share-error');
  }

  /** Shares the selected result and returns its permalink path. */
  async share(): Promise<string> {
    await this.button.click();
    await expect(this.link).toBeVisible();
    return (await this.link.getAttribute('href'))!;
  }
}
