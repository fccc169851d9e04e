import { expect, test } from '@playwright/test';
import { SiteShell } from './pages/site-shell';

test('top nav moves between pages and marks the current one; footer credits Twemoji', async ({ page }) => {
  const shell = new SiteShell(page);
  await page.goto('/');
  await expect(shell.navLink('Studio')).toHaveAttribute('aria-current', 'page');
  await expect(shell.navLink('Datasets')).not.toHaveAttribute('aria-current', 'page');

  await shell.navLink('Datasets').click();
  await expect(page).toHaveURL(/\/datasets$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Datasets' })).toBeVisible();
  await expect(shell.navLink('Datasets')).toHaveAttribute('aria-current', 'page');
  await expect(shell.navLink('Studio')).not.toHaveAttribute('aria-current', 'page');

  await expect(shell.footer).toContainText('Emoji graphics: Twemoji by Twitter, CC-BY 4.0');
  await expect(shell.licenseLink).toHaveAttribute('href', 'https://creativecommons.org/licenses/by/4.0/');
});
