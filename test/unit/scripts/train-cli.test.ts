/**
 * `npm run train` as a user runs it: a real process on a real (tiny) stored dataset.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ModelCardSchema } from '@/lib/models/card';
import { fileSystemHandler } from '@/lib/node/file-io';
import { createStorage } from '@/lib/server/storage';
import { prepareThreeColours } from '../server/fixtures';
import { runScript } from './run-script';

const DATASET = 'cli-tiny';
let dataDir: string;
let runs: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'train-cli-'));
  runs = path.join(dataDir, 'runs');
  const storage = createStorage({ dataDir });
  await prepareThreeColours(storage, DATASET);
  await prepareThreeColours(storage, `${DATASET}-16`, 16);
  storage.close();
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs the CLI; resolves with its exit code and output whether or not it succeeds. */
const train = (...args: string[]) => runScript('scripts/train.ts', args, { dataDir });

test('bad flags are refused before any work, with what was wrong', async () => {
  const out = path.join(runs, 'never');
  const lr = await train('--dataset', DATASET, '--lr', '1e-3x', '--out', out);
  expect(lr.code).toBe(2);
  expect(lr.stderr).toContain('--lr must be a positive number such as 2e-3, got "1e-3x"');
  const batch = await train('--dataset', DATASET, '--batch', '2.5', '--out', out);
  expect(batch.code).toBe(2);
  expect(batch.stderr).toContain('--batch must be a whole number ≥ 1, got "2.5"');
  const warmup = await train('--dataset', DATASET, '--steps', '50', '--warmup', '50', '--out', out);
  expect(warmup.code).toBe(2);
  expect(warmup.stderr).toContain('--warmup 50 must be shorter than the run (--steps 50)');
  const resume = await train('--resume', out, '--batch', '4', '--seed', '2');
  expect(resume.code).toBe(2);
  expect(resume.stderr).toContain('--batch, --seed cannot change when resuming');
}, 120_000);

test('a run and its resume: one evaluation per step, and the card names the command that started the run', async () => {
  const out = path.join(runs, 'tiny');
  const start = [
    '--dataset',
    DATASET,
    '--config',
    'tiny',
    '--steps',
    '3',
    '--batch',
    '1',
    '--eval-every',
    '2',
    '--eval-images',
    '1',
    '--threads',
    '1',
    '--out',
    out,
  ];
  const first = await train(...start);
  expect(first.stderr).not.toMatch(/train:/);
  expect(first.code).toBe(0);
  const resumed = await train('--resume', out, '--steps', '5', '--threads', '1');
  expect(resumed.code).toBe(0);

  const log = await readFile(path.join(out, 'train.log'), 'utf8');
  const evaluated = [...log.matchAll(/^step (\d+) .*val_bpd/gm)].map((m) => Number(m[1]));
  expect(evaluated).toEqual([2, 3, 4, 5]); // step 3 ends the first sitting: evaluated once, not twice
  expect(log).toContain('# resumed at step 3');
  // The first sitting ended on its floor (1e-4 for the default 1e-3): the extension stays there.
  expect(log).toContain('the learning rate goes on from 1.00e-4 and decays to 1.00e-4 at the new target');

  const card = ModelCardSchema.parse(
    JSON.parse(await readFile(path.join(out, 'model', 'model.json'), 'utf8')).userDefinedMetadata.card,
  );
  expect(card.steps).toBe(5);
  expect(card.command).toBe(`npm run train -- ${start.join(' ')}`);
  expect(card.validationImages).toBe(1);
}, 180_000);

/** A run's saved model: its card and its weights by name. */
async function savedModel(dir: string) {
  const artifacts = await fileSystemHandler(dir).load!();
  const card = ModelCardSchema.parse((artifacts.userDefinedMetadata as { card: unknown }).card);
  const weights = new Float32Array(artifacts.weightData as ArrayBuffer);
  return { card, weights };
}

test('--init starts a new run from a saved model: its weights, its steps counted on, its log carried; mismatches refused', async () => {
  const first = path.join(runs, 'init-a');
  const start = [
    '--dataset',
    DATASET,
    '--config',
    'tiny',
    '--steps',
    '2',
    '--batch',
    '1',
    '--eval-every',
    '2',
    '--eval-images',
    '1',
    '--threads',
    '1',
    '--out',
    first,
  ];
  expect((await train(...start)).code).toBe(0);

  // A learning rate of 1e-9 moves no weight measurably: the new run's model is the first's.
  const second = path.join(runs, 'init-b');
  const cont = [
    '--init',
    path.join(first, 'model'),
    '--steps',
    '1',
    '--lr',
    '1e-9',
    '--batch',
    '1',
    '--eval-every',
    '1',
    '--eval-images',
    '1',
    '--threads',
    '1',
    '--out',
    second,
  ];
  const run = await train(...cont);
  expect(run.stderr).not.toMatch(/train:/);
  expect(run.code).toBe(0);
  const before = await savedModel(path.join(first, 'model'));
  const after = await savedModel(path.join(second, 'model'));
  expect(after.weights.length).toBe(before.weights.length);
  let largest = 0;
  for (let i = 0; i < before.weights.length; i++)
    largest = Math.max(largest, Math.abs(after.weights[i] - before.weights[i]));
  expect(largest).toBeLessThan(1e-6);
  expect(after.card.steps).toBe(3);
  expect(after.card.command).toBe(`npm run train -- ${cont.join(' ')}`);
  expect(after.card.initialisedFrom).toEqual([
    { id: 'init-a', steps: 2, command: `npm run train -- ${start.join(' ')}` },
  ]);
  const log = await readFile(path.join(second, 'train.log'), 'utf8');
  expect(log.startsWith(await readFile(path.join(first, 'train.log'), 'utf8'))).toBe(true);
  expect(log).toContain(`# initialised from ${path.join(first, 'model')} (model init-a, 2 steps)`);
  expect([...log.matchAll(/^step (\d+) .*val_bpd/gm)].map((m) => Number(m[1]))).toEqual([2, 3]);

  // Resuming the new run keeps its lineage and numbering.
  expect((await train('--resume', second, '--steps', '2', '--threads', '1')).code).toBe(0);
  const resumed = await savedModel(path.join(second, 'model'));
  expect(resumed.card.steps).toBe(4);
  expect(resumed.card.initialisedFrom).toEqual(after.card.initialisedFrom);

  const layers = await train(
    '--init',
    path.join(first, 'model'),
    '--config',
    'small',
    '--out',
    path.join(runs, 'never'),
  );
  expect(layers.code).toBe(2);
  expect(layers.stderr).toContain('--config cannot be given with --init');
  const runDir = await train('--init', first, '--out', path.join(runs, 'never'));
  expect(runDir.stderr).toContain(`(a run's model is in ${path.join(first, 'model')})`);
  const shape = await train(
    '--init',
    path.join(first, 'model'),
    '--dataset',
    `${DATASET}-16`,
    '--out',
    path.join(runs, 'never'),
  );
  expect(shape.code).toBe(2);
  expect(shape.stderr).toContain(
    `the model cannot train on ${DATASET}-16: it was made for 8×8×3 tokens per image, dataset ${DATASET}-16 has 16×16×3`,
  );
  const again = await train(...cont);
  expect(again.stderr).toContain('already holds a run');
  // A run directory whose checkpoint is gone keeps its log: starting there would copy the log into itself.
  await rm(path.join(first, 'checkpoint'), { recursive: true });
  const intoItself = await train('--init', path.join(first, 'model'), '--out', first);
  expect(intoItself.code).toBe(2);
  expect(intoItself.stderr).toContain(`${first} already has a train.log`);
}, 300_000);
