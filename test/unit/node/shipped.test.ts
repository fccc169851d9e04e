import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ModelCard, ShippedIndexSchema } from '@/lib/models/card';
import { listShipped, writeCardSampling } from '@/lib/node/shipped';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'shipped-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const cardFor = (id: string): ModelCard => ({
  id,
  name: id,
  dataset: { id: 'emoji-32', name: 'Emoji', tokenization: 'rgb', width: 32, height: 32 },
  preset: 'small',
  parameters: 10,
  steps: 5,
  trainedAt: '2026-11-30T00:00:00.000Z',
});
const WEIGHTS = new Uint8Array([1, 2, 3, 4]);
const SAMPLING = {
  temperature: 1,
  topK: 0,
  topP: 1,
  epsilon: 0.002,
  measured: { samples: 32, stray: 0.0117, ink: 0.478, validationStray: 0.0087, validationInk: 0.635 },
};

/** A model folder under root as publish:model leaves it, listed in root/index.json. */
async function ship(id: string, first = false): Promise<string> {
  const dir = path.join(root, id);
  await mkdir(dir, { recursive: true });
  const json = JSON.stringify({
    modelTopology: {},
    weightsManifest: [{ paths: ['weights.bin'], weights: [] }],
    userDefinedMetadata: { card: cardFor(id) },
  });
  await writeFile(path.join(dir, 'model.json'), json);
  await writeFile(path.join(dir, 'weights.bin'), WEIGHTS);
  await listShipped(cardFor(id), json, WEIGHTS, first, root);
  return dir;
}

async function index() {
  return ShippedIndexSchema.parse(JSON.parse(await readFile(path.join(root, 'index.json'), 'utf8'))).models;
}

describe('the shipped models list', () => {
  it('keeps a listed model in its place, puts a new one last and a default first', async () => {
    await ship('a');
    await ship('b');
    await ship('a');
    expect((await index()).map((m) => m.card.id)).toEqual(['a', 'b']);
    await ship('c', true);
    expect((await index()).map((m) => m.card.id)).toEqual(['c', 'a', 'b']);
  });

  it('writes recommended sampling into a shipped card, its index entry and its hash, in place', async () => {
    await ship('a');
    const dir = await ship('b');
    const before = (await index())[1]!;
    const written = await writeCardSampling(dir, SAMPLING, root);
    expect(written).toEqual([path.join(dir, 'model.json'), path.join(root, 'index.json')]);
    const json = await readFile(path.join(dir, 'model.json'), 'utf8');
    expect(JSON.parse(json).userDefinedMetadata.card.sampling).toEqual(SAMPLING);
    const after = await index();
    expect(after.map((m) => m.card.id)).toEqual(['a', 'b']);
    expect(after[1]!.card.sampling).toEqual(SAMPLING);
    expect(after[1]!.sha256).not.toBe(before.sha256);
    expect(after[1]!.sha256).toBe(createHash('sha256').update(json).update(WEIGHTS).digest('hex'));
    expect(after[1]!.bytes).toBe(Buffer.byteLength(json) + WEIGHTS.length);
  });

  it('leaves the index alone for a model that is not shipped, and refuses a sampling the card schema rejects', async () => {
    await ship('a');
    const indexBefore = await readFile(path.join(root, 'index.json'), 'utf8');
    const run = path.join(root, '..', `${path.basename(root)}-run`);
    await mkdir(run, { recursive: true });
    try {
      await writeFile(
        path.join(run, 'model.json'),
        JSON.stringify({ weightsManifest: [], userDefinedMetadata: { card: cardFor('run') } }),
      );
      expect(await writeCardSampling(run, SAMPLING, root)).toEqual([path.join(run, 'model.json')]);
      expect(await readFile(path.join(root, 'index.json'), 'utf8')).toBe(indexBefore);
      await expect(writeCardSampling(run, { ...SAMPLING, topP: 0 }, root)).rejects.toThrow();
      expect(
        JSON.parse(await readFile(path.join(run, 'model.json'), 'utf8')).userDefinedMetadata.card.sampling,
      ).toEqual(SAMPLING);
    } finally {
      await rm(run, { recursive: true, force: true });
    }
  });
});
