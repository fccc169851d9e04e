/**
 * bench:quality: does LSH attention cost quality? Trains the same preset twice on the same data
 * with the same seed, schedule and batches, once with LSH attention in every layer and once with
 * full attention, and reports validation bits/dim side by side at every evaluation, plus time per
 * step, and the LSH model's final figure evaluated with more hash rounds (--eval-hashes; the same
 * weights). Prints a table and writes bench/results/attention-quality-<dataset>-<neighbours>.json;
 * `--neighbours none` trains without pixel-neighbour embeddings (the shipped presets have them);
 * `--only lsh` (or full) reruns one kind against the other's curve from the last run with the same options.
 *
 *   npm run bench:quality [-- --dataset emoji-16 --config small --steps 200 --batch 2 --eval-every 50 --eval-images 32 --threads N]
 *
 *   npm run bench:quality -- --dataset emoji-32 --steps 200 --eval-images 32   # the shipped model's size
 *
 * Full attention is quadratic: at 32×32 rgb (3,072 tokens) a `small` step takes several times
 * LSH's on the WASM backend, so the quick default compares at 16×16 (768 tokens).
 */
import '@tensorflow/tfjs-backend-wasm';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { ReformerLM } from '../lib/reformer/model';
import { modelArtifacts, modelFromArtifacts } from '../lib/reformer/serialize';
import * as tf from '../lib/reformer/tf';
import { loadTrainingData } from '../lib/server/datasets/training-data';
import { getStorage } from '../lib/server/storage';
import { configFor, isPreset, NEIGHBOUR_PLANS, type NeighbourPlan } from '../lib/training/presets';
import { startGradientThreads } from '../lib/node/threads';
import { Trainer } from '../lib/training/trainer';
import { median, table } from './lib/measure';

const { values } = parseArgs({
  options: {
    dataset: { type: 'string', default: 'emoji-16' },
    config: { type: 'string', default: 'small' },
    steps: { type: 'string', default: '200' },
    batch: { type: 'string', default: '2' },
    lr: { type: 'string', default: '2e-3' },
    'eval-every': { type: 'string', default: '50' },
    'eval-images': { type: 'string', default: '32' },
    threads: { type: 'string', default: String(os.availableParallelism()) },
    'eval-hashes': { type: 'string', default: '4,8' },
    only: { type: 'string' },
    neighbours: { type: 'string', default: 'pixel' },
  },
});

async function main() {
  if (!isPreset(values.config!)) throw new Error(`--config ${values.config} is not a preset`);
  const neighbours = values.neighbours as NeighbourPlan;
  if (!NEIGHBOUR_PLANS.includes(neighbours))
    throw new Error(`--neighbours must be one of ${NEIGHBOUR_PLANS.join(', ')}`);
  await tf.setBackend('wasm');
  await tf.ready();
  const storage = getStorage();
  const { manifest, data } = await loadTrainingData(storage, values.dataset!);
  const options = {
    steps: Number(values.steps),
    batchSize: Number(values.batch),
    learningRate: Number(values.lr),
    warmupSteps: Math.min(40, Math.floor(Number(values.steps) / 5)),
    evalEvery: Number(values['eval-every']),
    evalImages: Number(values['eval-images']),
    seed: 1,
  };

  type Run = {
    curve: { step: number; validationBitsPerDim: number }[];
    msPerStep: number;
    parameters: number;
    finalWithHashes?: Record<string, number>;
    measuredAt?: string;
  };
  const runs: Record<string, Run> = {};
  const file = `bench/results/attention-quality-${manifest.id}-${neighbours}.json`;
  const kinds = values.only ? [values.only as 'lsh' | 'full'] : (['lsh', 'full'] as const);
  if (values.only) {
    // One kind again: the other's curve comes from the last run with the same options.
    if (!['lsh', 'full'].includes(values.only)) throw new Error('--only must be lsh or full');
    const other = values.only === 'lsh' ? 'full' : 'lsh';
    const last = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : undefined;
    if (!last?.[other] || JSON.stringify(last.options) !== JSON.stringify(options))
      throw new Error(`--only ${values.only} needs ${file} with a ${other} run of the same options`);
    runs[other] = { ...last[other], measuredAt: last[other].measuredAt ?? last.meta?.measuredAt };
  }
  const meta = () => ({
    measuredAt: new Date().toISOString(),
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
    cpus: os.cpus().length,
  });
  // Written after every evaluation too, so a run stopped early still leaves its curves.
  const save = (extra: object) => {
    mkdirSync('bench/results', { recursive: true });
    writeFileSync(
      file,
      `${JSON.stringify({ dataset: manifest.id, seqLength: manifest.seqLength, preset: values.config, neighbours, options, threads: Math.min(Number(values.threads), options.batchSize), ...runs, ...extra, meta: meta() }, null, 2)}\n`,
    );
  };
  for (const attention of kinds) {
    const trainer = new Trainer(
      new ReformerLM(configFor(values.config!, manifest, { attention, neighbours, seed: options.seed })),
      data,
      options,
    );
    const curve: { step: number; validationBitsPerDim: number }[] = [];
    const ms: number[] = [];
    runs[attention] = { curve, msPerStep: 0, parameters: trainer.model.parameterCount };
    // Each batch split across threads as `npm run train` does (the same step as one thread's, tested).
    const threadCount = Math.min(Number(values.threads), options.batchSize);
    const threads =
      threadCount > 1 ? await startGradientThreads(threadCount - 1, trainer.model.config, tf.getBackend()) : undefined;
    while (trainer.step < options.steps) {
      const r = threads ? await trainer.trainStepParallel(threads.helpers) : trainer.trainStep();
      ms.push(r.ms);
      if (r.step % options.evalEvery === 0 || r.step === options.steps) {
        curve.push({ step: r.step, validationBitsPerDim: Math.round(trainer.evaluate() * 1e4) / 1e4 });
        runs[attention].msPerStep = Math.round(median(ms));
        save({ complete: false });
        console.error(
          `${attention} step ${r.step}: val ${curve.at(-1)!.validationBitsPerDim} bits/dim, ${(median(ms) / 1000).toFixed(2)} s/step`,
        );
      }
    }
    await threads?.close();
    if (attention === 'lsh') {
      // The paper's practice: LSH trained with few hash rounds, evaluated with more (same weights).
      runs.lsh.finalWithHashes = {};
      for (const hashes of values['eval-hashes']!.split(',').filter(Boolean).map(Number)) {
        const artifacts = await modelArtifacts(trainer.model);
        (artifacts.modelTopology as { config: { nHashes: number } }).config.nHashes = hashes;
        const { model } = modelFromArtifacts(artifacts);
        runs.lsh.finalWithHashes[hashes] = Math.round(new Trainer(model, data, options).evaluate() * 1e4) / 1e4;
        model.dispose();
        console.error(`lsh evaluated with ${hashes} hash rounds: ${runs.lsh.finalWithHashes[hashes]} bits/dim`);
      }
      save({ complete: false });
    }
    trainer.model.dispose();
  }

  const rows = runs.lsh.curve.map((p, i) => {
    const full = runs.full.curve[i].validationBitsPerDim;
    return [
      p.step,
      p.validationBitsPerDim.toFixed(3),
      full.toFixed(3),
      `${(((p.validationBitsPerDim - full) / full) * 100).toFixed(1)}%`,
    ];
  });
  console.log(
    table(
      `${values.config} preset on ${manifest.id} (${manifest.seqLength} tokens), batch ${options.batchSize}, same seed`,
      ['step', 'LSH bits/dim', 'full bits/dim', 'LSH vs full'],
      rows,
    ),
  );
  console.log(`s/step: LSH ${(runs.lsh.msPerStep / 1000).toFixed(2)}, full ${(runs.full.msPerStep / 1000).toFixed(2)}`);
  for (const [hashes, bpd] of Object.entries(runs.lsh.finalWithHashes ?? {})) {
    const full = runs.full.curve.at(-1)!.validationBitsPerDim;
    console.log(
      `LSH evaluated with ${hashes} hash rounds (trained with ${configFor(values.config!, manifest).nHashes}): ${bpd.toFixed(3)} bits/dim, ${(((bpd - full) / full) * 100).toFixed(1)}% vs full`,
    );
  }

  save({ complete: true, finalGapPercent: Number(String(rows.at(-1)![3]).replace('%', '')) });
  storage.close();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
