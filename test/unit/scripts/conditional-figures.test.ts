/**
 * The scripts that measure a trained model's bits/dim, on a class-conditional one: `npm run
 * publish:model` gives the card the figure given each image's class and prints the unconditional
 * ("no class") one beside it; `npm run bench:codecs` records both. Run in a folder of their own,
 * since they write public/models/ and bench/results/ under their working directory.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ModelCardSchema } from '@/lib/models/card';
import { createStorage } from '@/lib/server/storage';
import { prepareWarmCool } from '../server/labelled-fixture';
import { runScript } from './run-script';

const DATASET = 'publish-classes';
let dir: string;
/** A class-conditional tiny model's run, trained for two steps. */
let run: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'conditional-figures-'));
  const storage = createStorage({ dataDir: path.join(dir, 'data') });
  await prepareWarmCool(storage, DATASET);
  storage.close();
  run = path.join(dir, 'runs', 'cond');
  const trained = await script(
    'scripts/train.ts',
    '--dataset',
    DATASET,
    '--config',
    'tiny',
    '--batch',
    '2',
    '--steps',
    '2',
    '--threads',
    '1',
    '--out',
    run,
  );
  expect(trained.stderr).not.toMatch(/train:/);
  expect(trained.code).toBe(0);
}, 240_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A script of this repository, run with `dir` as its working directory. */
const script = (file: string, ...args: string[]) =>
  runScript(file, args, { cwd: dir, dataDir: path.join(dir, 'data') });

test('a class-conditional model is published with its figure given the class, and the "no class" figure beside it', async () => {
  const published = await script('scripts/publish-model.ts', run, '--id', 'cond-tiny');
  expect(published.stderr).toBe('');
  expect(published.code).toBe(0);
  const line = published.stdout.split('\n').find((l) => l.startsWith('published cond-tiny'));
  const figures = line?.match(/val (\d+\.\d+) bits\/dim given the class \((\d+\.\d+) with "no class"\) on 1 images/);
  expect(figures, published.stdout).not.toBeNull();
  const json = JSON.parse(await readFile(path.join(dir, 'public', 'models', 'cond-tiny', 'model.json'), 'utf8'));
  const card = ModelCardSchema.parse(json.userDefinedMetadata.card);
  expect(card.classes).toEqual(['warm', 'cool']);
  expect(card.validationBitsPerDim!.toFixed(3)).toBe(figures![1]);
  // The class table is not zero after training: the two figures are of different inputs.
  expect(figures![1]).not.toBe(figures![2]);
}, 240_000);

test('bench:codecs records a class-conditional model\'s figure given the class, and its "no class" figure', async () => {
  const bench = await script('bench/codecs.ts', '--dataset', DATASET, '--model', path.join(run, 'model'));
  expect(bench.code, bench.stderr).toBe(0);
  expect(bench.stdout).toContain('given the class');
  expect(bench.stdout).toContain('"no class"');
  const results = JSON.parse(await readFile(path.join(dir, 'bench', 'results', 'codecs.json'), 'utf8'));
  expect(results.model).toMatchObject({
    images: 1,
    given: 'class',
    bitsPerDim: expect.any(Number),
    noClassBitsPerDim: expect.any(Number),
  });
  expect(results.model.bitsPerDim).not.toBe(results.model.noClassBitsPerDim);
}, 240_000);
