/**
 * `npm run train` on a dataset with classes: a class-conditional model by default, with its
 * classes on the card, over two gradient threads; --classes off; --init from an unconditional model.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ModelCardSchema } from '@/lib/models/card';
import { createStorage } from '@/lib/server/storage';
import { prepareWarmCool } from '../server/labelled-fixture';
import { runScript } from './run-script';

const DATASET = 'cli-classes';
let dataDir: string;
let runs: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'train-classes-'));
  runs = path.join(dataDir, 'runs');
  const storage = createStorage({ dataDir });
  await prepareWarmCool(storage, DATASET);
  storage.close();
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

const train = (...args: string[]) => runScript('scripts/train.ts', args, { dataDir });

async function saved(dir: string) {
  const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
  return {
    card: ModelCardSchema.parse(json.userDefinedMetadata.card),
    classes: json.modelTopology.config.classes as number | undefined,
  };
}

const TINY = ['--config', 'tiny', '--batch', '2', '--eval-every', '2', '--eval-images', '1'];

test('a dataset with classes trains a class-conditional model (over two threads) that resumes; --classes off does not', async () => {
  const out = path.join(runs, 'cond');
  const first = await train('--dataset', DATASET, ...TINY, '--steps', '2', '--threads', '2', '--out', out);
  expect(first.stderr).not.toMatch(/train:/);
  expect(first.code).toBe(0);
  const resumed = await train('--resume', out, '--steps', '3', '--threads', '2');
  expect(resumed.stderr).not.toMatch(/train:/);
  expect(resumed.code).toBe(0);
  const model = await saved(path.join(out, 'model'));
  expect(model.classes).toBe(2);
  expect(model.card.classes).toEqual(['warm', 'cool']);
  expect(model.card.steps).toBe(3);
  const log = await readFile(path.join(out, 'train.log'), 'utf8');
  expect(log).toContain('# class-conditional: 2 classes (warm, cool), label dropout 0.1');

  const off = path.join(runs, 'off');
  const plain = await train(
    '--dataset',
    DATASET,
    ...TINY,
    '--steps',
    '1',
    '--threads',
    '1',
    '--classes',
    'off',
    '--out',
    off,
  );
  expect(plain.code).toBe(0);
  const unconditional = await saved(path.join(off, 'model'));
  expect(unconditional.classes).toBe(0);
  expect(unconditional.card.classes).toBeUndefined();

  // An unconditional model started on the labelled dataset becomes a conditional one.
  const grown = path.join(runs, 'grown');
  const init = await train('--init', path.join(off, 'model'), '--steps', '1', '--threads', '1', '--out', grown);
  expect(init.stderr).not.toMatch(/train:/);
  expect((await saved(path.join(grown, 'model'))).card.classes).toEqual(['warm', 'cool']);

  const bad = await train('--dataset', DATASET, '--label-dropout', '1', '--out', path.join(runs, 'never'));
  expect(bad.code).toBe(2);
  expect(bad.stderr).toContain('--label-dropout must be a share in [0, 1) such as 0.1, got "1"');
}, 240_000);
