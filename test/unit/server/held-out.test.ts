/** The held-out OpenMoji built-ins: their labels, and a dataset prepared with another's palette. */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type DatasetManifest, DatasetOptionsSchema, readShard, tokensToImage } from '@/lib/pixels/manifest';
import { BUILTIN_DATASETS, openmojiLabels, type OpenmojiMeta } from '@/lib/server/datasets/builtin';
import { prepareDataset } from '@/lib/server/datasets/prepare';
import { createStorage } from '@/lib/server/storage';
import { solidImage } from './fixtures';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

describe('openmojiLabels', () => {
  it('maps OpenMoji groups onto the Twemoji built-ins’ category names, leaves out its extras', () => {
    const labels = openmojiLabels([
      { hexcode: '1F600', group: 'smileys-emotion' },
      { hexcode: '1F1E6-1F1E8', group: 'flags' },
      { hexcode: '1F3FB', group: 'component' },
      { hexcode: 'E000', group: 'extras-openmoji' },
      { hexcode: '1F34E', group: 'food-drink' },
    ]);
    expect(labels).toEqual([
      { name: '1F1E6-1F1E8.png', label: 'Flags' },
      { name: '1F34E.png', label: 'Food & Drink' },
      { name: '1F3FB.png', label: null },
      { name: '1F600.png', label: 'Smileys & Emotion' },
    ]);
  });

  it('gives the shipped metadata the same nine classes as emoji-16-p256, and every image an SVG', async () => {
    const dir = path.dirname(createRequire(import.meta.url).resolve('openmoji/package.json'));
    const meta = JSON.parse(await readFile(path.join(dir, 'data', 'openmoji.json'), 'utf8')) as OpenmojiMeta[];
    const labels = openmojiLabels(meta);
    const classes = [...new Set(labels.flatMap((l) => (l.label ? [l.label] : [])))].sort();
    expect(classes).toEqual([
      'Activities',
      'Animals & Nature',
      'Flags',
      'Food & Drink',
      'Objects',
      'People & Body',
      'Smileys & Emotion',
      'Symbols',
      'Travel & Places',
    ]);
    expect(labels.length).toBeGreaterThan(3000);
    await readFile(path.join(dir, 'color', 'svg', labels.at(-1)!.name.replace(/\.png$/, '.svg')));
  });

  it('is listed as a built-in that takes emoji-16-p256’s palette', () => {
    expect(BUILTIN_DATASETS.find((d) => d.id === 'openmoji-16-p256')?.openmoji).toEqual({
      paletteFrom: 'emoji-16-p256',
    });
  });
});

describe('prepareDataset with a fixed palette', () => {
  it('maps images to the given colours instead of fitting its own', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'held-out-'));
    dirs.push(dataDir);
    const storage = createStorage({ dataDir });
    // 16 colours: black, then greys; a red image can only map to the nearest of them.
    const palette = Uint8Array.from({ length: 48 }, (_, i) => Math.floor(i / 3) * 17);
    const inputs = [
      { name: 'red.png', bytes: await solidImage('png', 8, 8, { r: 250, g: 0, b: 0 }) },
      { name: 'grey.png', bytes: await solidImage('png', 8, 8, { r: 120, g: 120, b: 120 }) },
    ];
    const options = DatasetOptionsSchema.parse({
      name: 'fixed',
      width: 8,
      height: 8,
      tokenization: 'palette',
      paletteSize: 16,
      validationFraction: 0,
    });
    const gen = prepareDataset(inputs, options, { storage, palette });
    let next = await gen.next();
    while (!next.done) next = await gen.next();
    const manifest = next.value as DatasetManifest;
    expect(manifest.palette).toEqual([...palette]);
    const shard = readShard(manifest, (await storage.getBlob(`datasets/${manifest.id}/train-000.bin`))!);
    for (let i = 0; i < shard.images; i++) {
      const [r, g, b] = tokensToImage(manifest, shard.imageAt(i));
      expect(r).toBe(g); // a grey of the given palette, even for the red image
      expect(g).toBe(b);
    }
    await expect(async () => {
      const bad = prepareDataset(inputs, options, { storage, palette: palette.subarray(0, 30) });
      for (let n = await bad.next(); !n.done; n = await bad.next());
    }).rejects.toThrow(/fixed palette needs 48 values/);
    storage.close();
  });
});
