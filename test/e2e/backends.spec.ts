import { expect, test } from '@playwright/test';

test('WebGPU (SwiftShader) agrees with the CPU backend on a forward pass and decode steps', async ({ page }) => {
  await page.goto('/diagnostics');
  await page.getByTestId('run-backend-check').click();
  const webgpu = page.getByTestId('backend-row-webgpu');
  await expect(webgpu).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('backend-row-cpu')).toHaveAttribute('data-status', 'ok');
  await expect(webgpu).toHaveAttribute('data-status', 'ok');
  const diff = Number(await webgpu.getAttribute('data-diff'));
  expect(diff).toBeGreaterThanOrEqual(0);
  expect(diff).toBeLessThan(1e-3);
  // Not vacuous: the two runs really happened on different backends with their own kernels.
  await expect(webgpu).toContainText(/webgpu/);
});
