import type { Locator, Page } from '@playwright/test';

/** The layout around every page: top navigation and the footer credits. */
export class SiteShell {
  readonly nav: Locator;
  readonly footer: Locator;

  constructor(readonly page: Page) {
    this.nav = page.getByRole('navigation', { name: 'Main' });
    this.footer = page.getByRole('contentinfo');
  }

  navLink(name: string): Locator {
    return this.nav.getByRole('link', { name, exact: true });
  }

  get licenseLink(): Locator {
    return this.footer.getByRole('link', { name: 'CC-BY 4.0' });
  }
}
