/**
 * bench:generate: generation speed and memory of the built studio, per backend, in headless
 * Chromium (the same flags as the E2E). Starts `next start` on a free port from the existing
 * build (run `npm run build` first) unless BENCH_URL points at a running studio, opens `/?bench`
 * and drives the page's worker client from page.evaluate.
 *
 * Per backend (wasm; webgpu forced, which here is SwiftShader, a CPU implementation):
 *   batch1 / batch8: tokens per second (all images together), best of two runs of `positions`
 *     steps after the warm-up the engine does on load;
 *   fullImageSeconds: one whole image at batch 1, measured (a plan may instead extrapolate it
 *     from the batch-1 rate, marked `fullImageEstimated`, for backends too slow to wait for);
 *   peakBytes65k: the shipped 256×256 palette model (65,536 tokens an image) carried through a
 *     whole image on wasm (a reduced number of steps on SwiftShader, too slow to wait for):
 *     decodeCacheBytes (allocated up front for all 65,536 positions) + the peak of
 *     tf.memory().numBytes seen at every step. The browser's own total
 *     (measureUserAgentSpecificMemory, page + worker) is recorded beside it when Chromium provides
 *     it, and the image is written to bench/results/generate-256.png.
 *
 *   npm run bench:generate            (writes bench/results/generate.json)
 *   BENCH_BACKENDS=webgpu BENCH_URL=http://127.0.0.1:3250 npm run bench:generate
 *   (backends left out keep their previous figures in the JSON, listed in meta.notMeasuredThisRun)
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { chromium, type Page } from '@playwright/test';
import sharp from 'sharp';
import { type ShippedModel, ShippedIndexSchema } from '../lib/models/card';
import { tokensToImage } from '../lib/pixels/manifest';
import { chromiumArgs } from '../playwright.config';

interface BackendPlan {
  backend: 'wasm' | 'webgpu';
  positions: number;
  fullImage: boolean;
  steps65k: number;
}

const PLANS: BackendPlan[] = [
  { backend: 'wasm', positions: 384, fullImage: true, steps65k: 65536 },
  { backend: 'webgpu', positions: 96, fullImage: false, steps65k: 256 },
];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

async function startServer(): Promise<{ url: string; child?: ChildProcess }> {
  if (process.env.BENCH_URL) return { url: process.env.BENCH_URL };
  const port = await freePort();
  const child = spawn('npx', ['next', 'start', '-H', '127.0.0.1', '-p', String(port)], {
    stdio: 'ignore',
    env: { ...process.env, DATA_DIR: process.env.DATA_DIR ?? '.data-e2e' },
  });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 120; i++) {
    if (
      await fetch(`${url}/api/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { url, child };
    await new Promise((r) => setTimeout(r, 500));
  }
  child.kill();
  throw new Error('next start did not come up: run `npm run build` first');
}

/** Runs in the page: one backend, every measurement. */
type ModelRef = { id: string; url: string; sha256: string; bytes: number };

async function measure(page: Page, plan: BackendPlan, model: ModelRef, model65k: ModelRef) {
  return page.evaluate(
    async ({ plan, model, model65k }) => {
      type Client = import('../lib/runtime/client').WorkerClient;
      const bench = (window as unknown as { __reformerBench: { createClient(): Client } }).__reformerBench;
      const sampling = { temperature: 1, topK: 0, topP: 1 };
      const client = bench.createClient();
      try {
        const choice = await client.init(plan.backend);
        const loaded = await client.load({ kind: 'url', ...model, id: `${model.id}@${model.sha256.slice(0, 12)}` });
        const rate = async (batch: number, length: number) => {
          let result = { tokensPerSecond: 0, elapsedMs: 0, positions: 0 };
          const stream = client.sample({ batch, seed: 1, sampling, length });
          for (;;) {
            const next = await stream.next();
            if (next.done) {
              result = next.value;
              break;
            }
          }
          return {
            tokensPerSecond: Math.round(result.tokensPerSecond * 10) / 10,
            positions: result.positions,
            seconds: Math.round(result.elapsedMs) / 1000,
          };
        };
        // Best of two: the first run at a batch size still pays for one-off costs (JIT, kernel and
        // shader compilation for new shapes) and other jobs share this machine; both are recorded.
        const best = async (batch: number) => {
          const runs = [
            await rate(batch, Math.min(plan.positions, loaded.seqLength)),
            await rate(batch, Math.min(plan.positions, loaded.seqLength)),
          ];
          return {
            ...runs.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a)),
            runs: runs.map((r) => r.tokensPerSecond),
          };
        };
        const batch1 = await best(1);
        const batch8 = await best(8);
        const full = plan.fullImage ? await rate(1, loaded.seqLength) : null;
        const fullImageSeconds = full
          ? full.seconds
          : Math.round((loaded.seqLength / batch1.tokensPerSecond) * 10) / 10;

        const loaded65k = await client.load({
          kind: 'url',
          ...model65k,
          id: `${model65k.id}@${model65k.sha256.slice(0, 12)}`,
        });
        const steps65k = Math.min(plan.steps65k, loaded65k.seqLength);
        const tokens65k: number[] = [];
        const before = await client.memory();
        let uaMemory: number | null = null;
        const measureUa = (
          performance as unknown as { measureUserAgentSpecificMemory?: () => Promise<{ bytes: number }> }
        ).measureUserAgentSpecificMemory;
        let uaPromise: Promise<void> | null = null;
        let positions = 0;
        const t0 = performance.now();
        for await (const chunk of client.sample({ batch: 1, seed: 1, sampling, length: steps65k, chunkTokens: 256 })) {
          positions = chunk.done;
          tokens65k.push(...chunk.rows[0]);
          // Ask the browser for its total while the decoder (and its cache) is alive.
          if (!uaPromise && measureUa && crossOriginIsolated) {
            uaPromise = Promise.race([
              measureUa.call(performance).then((m) => void (uaMemory = m.bytes)),
              new Promise<void>((r) => setTimeout(r, 30_000)),
            ]).catch(() => {});
          }
        }
        const ms65k = performance.now() - t0;
        const after = await client.memory();
        if (uaPromise) await uaPromise;
        return {
          backend: choice,
          model: loaded.id,
          seqLength: loaded.seqLength,
          batch1,
          batch8,
          fullImageSeconds,
          fullImageEstimated: !plan.fullImage,
          peakBytes65k: after.cacheBytes + after.peakTensorBytes,
          detail65k: {
            model: loaded65k.id,
            seqLength: loaded65k.seqLength,
            wholeImage: positions === loaded65k.seqLength,
            stepsRun: positions,
            seconds: Math.round(ms65k / 100) / 10,
            msPerStep: Math.round((ms65k / Math.max(1, positions)) * 10) / 10,
            decodeCacheBytes: after.cacheBytes,
            peakTensorBytes: after.peakTensorBytes,
            tensorBytesBeforeRun: before.numBytes,
            wasmHeapBytes: after.wasmHeapBytes ?? null,
            userAgentMemoryBytes: uaMemory,
          },
          tokens65k,
        };
      } finally {
        client.dispose();
      }
    },
    { plan, model, model65k },
  );
}

const ref = (e: ShippedModel): ModelRef => ({ id: e.card.id, url: e.url, sha256: e.sha256, bytes: e.bytes });

/** The 65k-token image as a PNG beside the JSON (rows not generated stay black). */
async function writeImage(entry: ShippedModel, tokens: number[], file: string) {
  const { width, height, tokenization, palette } = entry.card.dataset;
  const full = new Int32Array(width * height);
  full.set(tokens.slice(0, full.length));
  const rgb = tokensToImage({ tokenization, palette }, full);
  await sharp(rgb, { raw: { width, height, channels: 3 } })
    .png()
    .toFile(file);
}

async function main() {
  const index = ShippedIndexSchema.parse(JSON.parse(readFileSync('public/models/index.json', 'utf8')));
  const entry =
    index.models.find((m) => m.card.dataset.width === 32 && m.card.dataset.tokenization === 'rgb') ?? index.models[0];
  if (!entry) throw new Error('public/models/index.json lists no model: publish one first');
  const entry65k = index.models.find((m) => m.card.dataset.width * m.card.dataset.height === 65536);
  if (!entry65k) throw new Error('public/models/index.json lists no 256×256 model: train and publish one (see README)');
  const note =
    entry.card.dataset.width === 32
      ? `${entry.card.id}: the 32×32 default`
      : `${entry.card.id} (${entry.card.dataset.width}×${entry.card.dataset.height} ${entry.card.dataset.tokenization}): the 32×32 default is not in public/models/index.json yet`;
  mkdirSync('bench/results', { recursive: true });
  const { url, child } = await startServer();
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: chromiumArgs,
  });
  const results: Record<string, unknown> = {};
  try {
    const only = process.env.BENCH_BACKENDS?.split(',');
    for (const plan of PLANS.filter((p) => !only || only.includes(p.backend))) {
      const page = await browser.newPage();
      page.setDefaultTimeout(0);
      // tsx compiles with keepNames: functions sent to page.evaluate call esbuild's __name helper.
      await page.addInitScript('window.__name = (f) => f');
      await page.goto(`${url}/?bench`);
      await page.waitForFunction(() => '__reformerBench' in window);
      const t0 = Date.now();
      console.error(`${plan.backend}: measuring…`);
      const { tokens65k, ...result } = await measure(page, plan, ref(entry), ref(entry65k));
      results[plan.backend] = result;
      if (result.detail65k.wholeImage)
        await writeImage(entry65k, tokens65k, `bench/results/generate-256-${plan.backend}.png`);
      console.error(
        `${plan.backend}: done in ${((Date.now() - t0) / 1000).toFixed(0)} s`,
        JSON.stringify(results[plan.backend]),
      );
      await page.close();
    }
  } finally {
    await browser.close();
    child?.kill();
  }
  // Backends left out by BENCH_BACKENDS keep their previous figures, marked with when they were measured.
  const previous = existsSync('bench/results/generate.json')
    ? JSON.parse(readFileSync('bench/results/generate.json', 'utf8'))
    : {};
  const carried = PLANS.map((p) => p.backend).filter((b) => !(b in results) && b in previous);
  const out = {
    ...Object.fromEntries(
      carried.map((b) => [b, { ...previous[b], measuredAt: previous[b].measuredAt ?? previous.meta?.measuredAt }]),
    ),
    ...results,
    meta: {
      model: note,
      measuredAt: new Date().toISOString(),
      ...(carried.length > 0 ? { notMeasuredThisRun: carried } : {}),
      loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
      cpus: os.cpus().length,
      notes: [
        'tokensPerSecond counts every token of every image in the batch (batch × positions / s).',
        'wasm runs single-threaded: tfjs pthreads do not start inside a bundled module worker.',
        'webgpu is SwiftShader (a CPU implementation of WebGPU) on this machine; a hardware GPU would differ.',
        'userAgentMemoryBytes (performance.measureUserAgentSpecificMemory, page + worker) resolves at a later GC, possibly after the run freed its cache: a lower bound of the peak, not the peak.',
        `peakBytes65k = decodeCacheBytes (allocated up front for all 65,536 positions) + peak tf.memory().numBytes over the steps run (detail65k.stepsRun; the whole image where wholeImage is true) with ${entry65k.card.id}; model weights are included in the tensor peak.`,
      ],
    },
  };
  writeFileSync('bench/results/generate.json', `${JSON.stringify(out, null, 2)}\n`);
  console.log(JSON.stringify(out, null, 2));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
