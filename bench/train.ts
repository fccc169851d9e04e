/**
 * Training throughput of the `small` preset on the built-in 32×32 emoji set (rgb, 3,072 tokens per
 * image) unless told otherwise, in Node on the WASM backend, with the same Trainer the CLI and the browser use:
 * steps/s, tokens/s, peak tensor memory, and achieved GFLOP/s against a plain matmul's in this
 * process. Measured on one thread, then with the batch split across worker threads as `npm run
 * train` does by default (one per core; their GFLOP/s are compared with as many matmuls'). Prints a
 * table and writes bench/results/train.json.
 *
 *   npm run bench:train [-- --steps 3 --batch 2 --threads 2]
 *   npm run bench:train -- --preset base --dataset emoji-64-p256   # reformer-pytorch's 6-layer, 4,096-token step
 *
 * Another preset or dataset writes train-<preset>-<dataset>.json beside train.json.
 */
import '@tensorflow/tfjs-backend-wasm';
import { mkdirSync, writeFileSync } from 'node:fs';
import os, { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { dimsPerToken } from '../lib/models/card';
import { readShard } from '../lib/pixels/manifest';
import { ReformerLM } from '../lib/reformer/model';
import * as tf from '../lib/reformer/tf';
import { ensureBuiltinDatasets } from '../lib/server/datasets/builtin';
import { getManifest } from '../lib/server/datasets/catalog';
import { datasetBlobPrefix } from '../lib/server/datasets/prepare';
import { getStorage } from '../lib/server/storage';
import { configFor, isPreset, PRESETS } from '../lib/training/presets';
import { startGradientThreads } from '../lib/node/threads';
import { Trainer } from '../lib/training/trainer';
import { trainStepFlops } from './lib/flops';
import { fmtMiB, median, profiledRun, table, timedRun } from './lib/measure';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '3' },
    batch: { type: 'string', default: '2' },
    dataset: { type: 'string', default: 'emoji-32' },
    preset: { type: 'string', default: 'small' },
    threads: { type: 'string' },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const threadCount = Math.min(Number(values.threads ?? availableParallelism()), batch);

async function matmulGflops(): Promise<number> {
  const n = 1024;
  const a = tf.randomNormal([n, n]) as tf.Tensor2D;
  const b = tf.randomNormal([n, n]) as tf.Tensor2D;
  const times: number[] = [];
  for (let i = 0; i < 4; i++) times.push(await timedRun(() => tf.matMul(a, b).dispose()));
  tf.dispose([a, b]);
  return (2 * n ** 3) / (median(times.slice(1)) / 1000) / 1e9;
}

async function main() {
  await tf.setBackend('wasm');
  await tf.ready();
  const storage = getStorage();
  for await (const _ of ensureBuiltinDatasets(storage, [values.dataset!]));
  const manifest = await getManifest(storage, values.dataset!);
  const shard = manifest.splits.train.shards[0];
  const tokens = readShard(manifest, (await storage.getBlob(datasetBlobPrefix(manifest.id) + shard.file))!).tokens;
  const data = {
    datasetId: manifest.id,
    seqLength: manifest.seqLength,
    vocabSize: manifest.vocabSize,
    dimsPerToken: dimsPerToken(manifest.tokenization),
    train: tokens,
    validation: tokens.subarray(0, 0),
  };
  const preset = values.preset!;
  if (!isPreset(preset)) throw new Error(`--preset ${preset}: not one of ${Object.keys(PRESETS).join(', ')}`);
  const model = new ReformerLM(configFor(preset, manifest));
  const trainer = new Trainer(model, data, {
    steps: 1000,
    batchSize: batch,
    learningRate: 1e-3,
    warmupSteps: 10,
    evalEvery: 1000,
    evalImages: 1,
    seed: 1,
  });

  const matmul = await matmulGflops();
  const flops = trainStepFlops(model.config, batch, manifest.seqLength);
  const measure = async (threads: number) => {
    const pool = threads > 1 ? await startGradientThreads(threads - 1, model.config, 'wasm') : undefined;
    const step = () => (pool ? trainer.trainStepParallel(pool.helpers) : Promise.resolve(trainer.trainStep()));
    await step(); // warm-up: kernels, xnn operators
    const ms: number[] = [];
    let peakBytes = 0;
    for (let i = 0; i < steps; i++) {
      const r = await profiledRun(step);
      ms.push(r.ms);
      peakBytes = Math.max(peakBytes, r.peakBytes);
    }
    await pool?.close();
    const stepMs = median(ms);
    const stepGflops = flops.total / (stepMs / 1000) / 1e9;
    return {
      threads,
      stepsPerSecond: 1000 / stepMs,
      tokensPerSecond: (batch * manifest.seqLength * 1000) / stepMs,
      stepMs,
      runsMs: ms.map(Math.round),
      /** This thread's tensors (its share of the batch when split). */
      peakTensorBytes: peakBytes,
      trainStepGflops: stepGflops,
      /** Against one plain matmul per thread. */
      ratio: stepGflops / (matmul * threads),
    };
  };
  const runs = [await measure(1), ...(threadCount > 1 ? [await measure(threadCount)] : [])];
  const result = {
    backend: tf.getBackend(),
    preset,
    dataset: manifest.id,
    seqLength: manifest.seqLength,
    batch,
    parameters: model.parameterCount,
    matmulGflops: matmul,
    runs,
    speedup: runs.length > 1 ? runs[0].stepMs / runs[1].stepMs : 1,
    peakRssBytes: process.memoryUsage().rss,
    counted: flops.counted,
    env: {
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      load: os.loadavg().map((l) => +l.toFixed(2)),
    },
  };
  console.log(
    table(
      `training step, ${preset} preset, ${manifest.id} (${manifest.seqLength} tokens), batch ${batch}, wasm`,
      ['threads', 'steps/s', 'tokens/s', 'step', 'peak tensors', 'matmul GFLOP/s', 'step GFLOP/s', 'ratio'],
      runs.map((r) => [
        r.threads,
        r.stepsPerSecond.toFixed(3),
        Math.round(r.tokensPerSecond),
        `${(r.stepMs / 1000).toFixed(2)} s`,
        fmtMiB(r.peakTensorBytes),
        (matmul * r.threads).toFixed(1),
        r.trainStepGflops.toFixed(2),
        `${(100 * r.ratio).toFixed(0)}%`,
      ]),
    ),
  );
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  const file =
    preset === 'small' && values.dataset === 'emoji-32' ? 'train.json' : `train-${preset}-${values.dataset}.json`;
  writeFileSync(new URL(`./results/${file}`, import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  console.log(`wrote bench/results/${file}`);
  trainer.dispose();
  model.dispose();
  storage.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
