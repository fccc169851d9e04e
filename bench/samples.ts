/**
 * bench:samples: what samples look like next to the dataset, in two numbers a picture would show.
 * - stray pixels: the share of pixels whose colour is more than 48 levels (in some channel) away
 *   from every one of their eight neighbours: specks no emoji has, which the long tail of unlikely
 *   shades puts into samples;
 * - ink: the share of pixels that are not near-white (some channel below 240): how much of the
 *   canvas a sample draws on.
 * Measured over the validation images of a dataset (`rgb`, or `palette` as its colours) and over
 * samples of a model at several sampling settings (temperature : top-p : probability floor ε),
 * same seeds for each.
 *
 *   npm run bench:samples [-- --model public/models/emoji-32-small --dataset emoji-32 --images 32 --settings 1:1:0,1:1:0.001]
 *   npm run bench:samples -- --model public/models/emoji-64-p256-small --dataset emoji-64-p256 --settings 1:1:0,0.9:1:0
 *
 * Prints a table, writes bench/results/samples-<dataset>.json and a grid of the first 8 samples of
 * each setting (one row each) to bench/results/samples-<dataset>.png. Names the setting nearest the
 * validation images (lib/models/recommend.ts); with --recommend, writes it into the model's card as
 * the sampling the studio opens it with (and into public/models/index.json for a shipped model).
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { recommendSampling } from '../lib/models/recommend';
import { fileSystemHandler } from '../lib/node/file-io';
import { writeCardSampling } from '../lib/node/shipped';
import { tokensToImage } from '../lib/pixels/manifest';
import { generate } from '../lib/reformer/generate';
import { loadModel } from '../lib/reformer/serialize';
import * as tf from '../lib/reformer/tf';
import { loadTrainingData } from '../lib/server/datasets/training-data';
import { getStorage } from '../lib/server/storage';
import { table } from './lib/measure';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'emoji-32' },
    model: { type: 'string', default: 'public/models/emoji-32-small' },
    images: { type: 'string', default: '32' },
    settings: { type: 'string', default: '1:1:0,1:1:0.0003,1:1:0.001,1:1:0.002,1:1:0.005,0.9:1:0' },
    recommend: { type: 'boolean', default: false },
  },
});

const STRAY_LEVELS = 48;
const WHITE = 240;
const BATCH = 8;

/** Stray and ink shares of one RGB image (bytes in raster order). */
function pictureStats(rgb: ArrayLike<number>, width: number, height: number): { stray: number; ink: number } {
  let stray = 0;
  let ink = 0;
  const at = (x: number, y: number, c: number) => rgb[(y * width + x) * 3 + c]!;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (at(x, y, 0) < WHITE || at(x, y, 1) < WHITE || at(x, y, 2) < WHITE) ink++;
      let alone = true;
      for (let dy = -1; dy <= 1 && alone; dy++) {
        for (let dx = -1; dx <= 1 && alone; dx++) {
          const [nx, ny] = [x + dx, y + dy];
          if ((dx === 0 && dy === 0) || nx < 0 || ny < 0 || nx >= width || ny >= height) continue;
          let far = 0;
          for (let c = 0; c < 3; c++) far = Math.max(far, Math.abs(at(x, y, c) - at(nx, ny, c)));
          if (far <= STRAY_LEVELS) alone = false;
        }
      }
      if (alone) stray++;
    }
  }
  return { stray: stray / (width * height), ink: ink / (width * height) };
}

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}

async function main() {
  const storage = getStorage();
  const { manifest, data } = await loadTrainingData(storage, values.dataset!);
  const { width, height, seqLength } = manifest;
  const validationImages = data.validation.length / seqLength;
  const real = Array.from({ length: validationImages }, (_, i) =>
    pictureStats(tokensToImage(manifest, data.validation.subarray(i * seqLength, (i + 1) * seqLength)), width, height),
  );

  await tf.setBackend('wasm');
  await tf.ready();
  const { model, metadata } = await loadModel(fileSystemHandler(values.model!));
  const card = (metadata as { card?: { id?: string; steps?: number } }).card;
  const count = Math.ceil(Number(values.images) / BATCH) * BATCH;
  const settings = values.settings!.split(',').map((s) => {
    const [temperature, topP, epsilon] = s.split(':').map(Number);
    return { temperature: temperature!, topK: 0, topP: topP ?? 1, epsilon: epsilon ?? 0 };
  });
  const grid = Buffer.alloc(settings.length * height * BATCH * width * 3, 255);
  const results = [];
  for (const [row, sampling] of settings.entries()) {
    const stats: { stray: number; ink: number }[] = [];
    const started = performance.now();
    for (let seed = 1; seed <= count / BATCH; seed++) {
      const tokens = Array.from({ length: BATCH }, () => new Int32Array(seqLength));
      for await (const step of generate(model, { batch: BATCH, seed, sampling })) {
        for (let b = 0; b < BATCH; b++) tokens[b]![step.position] = step.tokens[b]!;
      }
      for (const [b, t] of tokens.entries()) {
        const rgb = tokensToImage(manifest, t);
        stats.push(pictureStats(rgb, width, height));
        if (seed > 1) continue;
        for (let y = 0; y < height; y++) {
          grid.set(
            rgb.subarray(y * width * 3, (y + 1) * width * 3),
            ((row * height + y) * BATCH * width + b * width) * 3,
          );
        }
      }
    }
    results.push({
      sampling,
      images: stats.length,
      stray: mean(stats.map((s) => s.stray)),
      ink: mean(stats.map((s) => s.ink)),
      seconds: (performance.now() - started) / 1000,
    });
  }

  const validation = {
    images: validationImages,
    stray: mean(real.map((s) => s.stray)),
    ink: mean(real.map((s) => s.ink)),
  };
  const recommended = recommendSampling(validation, results);
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const rows = [
    [`validation images (${validationImages})`, pct(validation.stray), pct(validation.ink)],
    ...results.map((r) => [
      `T ${r.sampling.temperature}, top-p ${r.sampling.topP}, ε ${r.sampling.epsilon} (${r.images} samples)${r === recommended ? ' ← nearest' : ''}`,
      pct(r.stray),
      pct(r.ink),
    ]),
  ];
  console.log(
    table(
      `${card?.id ?? values.model} (${card?.steps ?? '?'} steps) on ${manifest.id}`,
      ['', 'stray pixels', 'ink'],
      rows,
    ),
  );

  mkdirSync('bench/results', { recursive: true });
  const scale = Math.max(1, Math.round(96 / width));
  const resultsFile = `bench/results/samples-${manifest.id}.json`;
  const gridFile = `bench/results/samples-${manifest.id}.png`;
  await sharp(grid, { raw: { width: BATCH * width, height: settings.length * height, channels: 3 } })
    .resize(BATCH * width * scale, settings.length * height * scale, { kernel: 'nearest' })
    .png()
    .toFile(gridFile);
  writeFileSync(
    resultsFile,
    `${JSON.stringify(
      {
        dataset: manifest.id,
        model: { dir: values.model, id: card?.id, steps: card?.steps },
        definitions: {
          stray: `a pixel more than ${STRAY_LEVELS} levels from each of its 8 neighbours in some channel`,
          ink: `a pixel with some channel below ${WHITE}`,
        },
        validation,
        samples: results,
        recommended: recommended.sampling,
        grid: { file: gridFile, rows: 'one per setting, in order; the first 8 samples (seed 1)' },
        machine: { cpus: os.availableParallelism(), load: os.loadavg()[0] },
        at: new Date().toISOString(),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`wrote ${resultsFile} and ${gridFile}`);
  if (values.recommend) {
    const measured = {
      samples: recommended.images,
      stray: recommended.stray,
      ink: recommended.ink,
      validationStray: validation.stray,
      validationInk: validation.ink,
    };
    const where = await writeCardSampling(values.model!, { ...recommended.sampling, measured });
    console.log(`recommended sampling written to ${where.join(' and ')}`);
  }
  model.dispose();
  storage.close();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
