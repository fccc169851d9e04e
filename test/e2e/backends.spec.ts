import { expect, test } from '@playwright/test';

test('WebGPU (SwiftShader) and WASM agree with the CPU backend on a forward pass and decode steps', async ({ page }) => {
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
  // WASM, the studio's backend on machines like this one, with its SIMD kernels, agrees too.
  const wasm = page.getByTestId('backend-row-wasm');
  await expect(wasm).toHaveAttribute('data-status', 'ok');
  await expect(wasm).toContainText('SIMD attention kernels');
  expect(Number(await wasm.getAttribute('data-diff'))).toBeLessThan(1e-3);
  await expect(page.getByTestId('backend-row-webgl')).toBeVisible();
});
