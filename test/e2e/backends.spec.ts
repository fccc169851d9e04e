import { expect, test } from '@playwright/test';

test('WebGPU (SwiftShader) and WASM agree with the CPU backend on a forward pass and decode steps', async ({
  page,
}) => {
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
  // The result is kept for automatic selection: nothing failed, so nothing is avoided.
  await expect(page.getByTestId('backend-check-saved')).toContainText('every backend agreed');
  const saved = await page.evaluate(() => JSON.parse(localStorage.getItem('reformer.backendCheck.v1') ?? 'null'));
  expect(saved.results.wasm).toMatchObject({ status: 'ok' });
  expect(saved.results.webgpu).toMatchObject({ status: 'ok' });
});

test('the studio does not pick by itself a backend the check found wrong in this browser', async ({ page }) => {
  await page.addInitScript(() => {
    const failed = {
      checkedAt: '2026-11-30T12:00:00.000Z',
      results: { wasm: { status: 'failed', diff: 0.5, detail: 'WebAssembly' } },
    };
    localStorage.setItem('reformer.backendCheck.v1', JSON.stringify(failed));
  });
  await page.goto('/');
  const reason = page.getByTestId('backend-reason');
  await expect(reason).not.toHaveAttribute('data-backend', '', { timeout: 60_000 });
  await expect(reason).not.toHaveAttribute('data-backend', 'wasm');
  await expect(reason).toContainText(
    'WebAssembly: failed the backend check (/diagnostics) on 2026-11-30: its logits were off by 5.0e-1',
  );
});
