/**
 * `npm run train` as a user runs it: a real process on a real (tiny) stored dataset.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { ModelCardSchema } from '@/lib/models/card';
import { createStorage } from '@/lib/server/storage';
import { prepareThreeColours } from '../server/fixtures';

const DATASET = 'cli-tiny';
let dataDir: string;
let runs: string;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'train-cli-'));
  runs = path.join(dataDir, 'runs');
  const storage = createStorage({ dataDir });
  await prepareThreeColours(storage, DATASET);
  storage.close();
});

afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs the CLI; resolves with its exit code and output whether or not it succeeds. */
async function train(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const tsx = path.resolve('node_modules/.bin/tsx');
  try {
    const { stdout, stderr } = await promisify(execFile)(tsx, ['--conditions', 'react-server', 'scripts/train.ts', ...args], { env: { ...process.env, DATA_DIR: dataDir } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

test('bad flags are refused before any work, with what was wrong', async () => {
  const out = path.join(runs, 'never');
  const lr = await train('--dataset', DATASET, '--lr', '1e-3x', '--out', out);
  expect(lr.code).toBe(2);
  expect(lr.stderr).toContain('--lr must be a positive number such as 2e-3, got "1e-3x"');
  const batch = await train('--dataset', DATASET, '--batch', '2.5', '--out', out);
  expect(batch.code).toBe(2);
  expect(batch.stderr).toContain('--batch must be a whole number ≥ 1, got "2.5"');
  const resume = await train('--resume', out, '--batch', '4', '--seed', '2');
  expect(resume.code).toBe(2);
  expect(resume.stderr).toContain('--batch, --seed cannot change when resuming');
}, 120_000);

test('a run and its resume: one evaluation per step, and the card names the command that started the run', async () => {
  const out = path.join(runs, 'tiny');
  const start = ['--dataset', DATASET, '--config', 'tiny', '--steps', '3', '--batch', '1', '--eval-every', '2', '--eval-images', '1', '--threads', '1', '--out', out];
  const first = await train(...start);
  expect(first.stderr).not.toMatch(/train:/);
  expect(first.code).toBe(0);
  const resumed = await train('--resume', out, '--steps', '5', '--threads', '1');
  expect(resumed.code).toBe(0);

  const log = await readFile(path.join(out, 'train.log'), 'utf8');
  const evaluated = [...log.matchAll(/^step (\d+) .*val_bpd/gm)].map((m) => Number(m[1]));
  expect(evaluated).toEqual([2, 3, 4, 5]); // step 3 ends the first sitting: evaluated once, not twice
  expect(log).toContain('# resumed at step 3');

  const card = ModelCardSchema.parse(JSON.parse(await readFile(path.join(out, 'model', 'model.json'), 'utf8')).userDefinedMetadata.card);
  expect(card.steps).toBe(5);
  expect(card.command).toBe(`npm run train -- ${start.join(' ')}`);
  expect(card.validationImages).toBe(1);
}, 180_000);
