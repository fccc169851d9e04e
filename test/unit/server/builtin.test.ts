import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  BUILTIN_DATASETS,
  emojiCategories,
  type EmojiMeta,
  emojiSvgInputs,
  isCurrentBuiltin,
  labelled,
} from '@/lib/server/datasets/builtin';

/** Adjacent pixel pairs (along rows) whose red differs by more than 96: crisp edges. */
async function sharpEdges(png: Uint8Array | Buffer): Promise<number> {
  const { data, info } = await sharp(png)
    .flatten({ background: '#ffffff' })
    .raw()
    .toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let y = 0; y < info.height; y++)
    for (let x = 1; x < info.width; x++)
      if (Math.abs(data[(y * info.width + x) * 3] - data[(y * info.width + x - 1) * 3]) > 96) n++;
  return n;
}

it('renders Twemoji SVGs at 256×256 (crisp), not at their 36 px default then upscaled (blurred)', async () => {
  const first = (await emojiSvgInputs(256, 500))[2];
  const meta = await sharp(first.bytes).metadata();
  expect([meta.width, meta.height]).toEqual([256, 256]);
  expect(first.name).toMatch(/\.png$/);
  const dir = path.dirname(createRequire(import.meta.url).resolve('@twemoji/svg/package.json'));
  const svg = await readFile(path.join(dir, first.name.replace(/\.png$/, '.svg')));
  const small = await sharp(svg).png().toBuffer(); // rasterised at its own 36×36
  const upscaled = await sharp(small).resize(256, 256, { fit: 'contain', background: '#ffffff' }).png().toBuffer();
  expect(await sharpEdges(first.bytes)).toBeGreaterThan(2 * (await sharpEdges(upscaled)));
});

it('lists the 256×256 palette set beside the 16/32/64 ones', () => {
  const set = BUILTIN_DATASETS.find((d) => d.id === 'emoji-256-p256');
  expect(set?.options).toMatchObject({ width: 256, height: 256, tokenization: 'palette' });
  expect(set?.fromSvg?.every).toBeGreaterThan(1);
});

describe('labelling the built-ins by emoji category', () => {
  /** Real entries of emoji-datasource-twitter's emoji.json (only the fields the labels use). */
  const entries: EmojiMeta[] = [
    { image: '0023-fe0f-20e3.png', category: 'Symbols' },
    { image: '1f600.png', category: 'Smileys & Emotion' },
    {
      image: '1f44d.png',
      category: 'People & Body',
      skin_variations: { '1F3FB': { image: '1f44d-1f3fb.png' }, '1F3FC': { image: '1f44d-1f3fc.png' } },
    },
    { image: '1f1ef-1f1f5.png', category: 'Flags' },
    { image: '1f3fb.png', category: 'Component' },
    { image: '2764-fe0f.png', category: 'Smileys & Emotion' },
  ];
  const categoryOf = emojiCategories(entries);

  it('labels the PNGs by category, skin-tone variants included, and the Twemoji SVG names alike', () => {
    expect(categoryOf('1f600.png')).toBe('Smileys & Emotion');
    expect(categoryOf('1f44d-1f3fc.png')).toBe('People & Body');
    expect(categoryOf('1f1ef-1f1f5.png')).toBe('Flags');
    expect(categoryOf('0023-fe0f-20e3.png')).toBe('Symbols');
    // @twemoji/svg drops leading zeros and FE0F: 23-20e3.svg, 2764.svg.
    expect(categoryOf('23-20e3.png')).toBe('Symbols');
    expect(categoryOf('2764.svg')).toBe('Smileys & Emotion');
  });

  it('keeps the Component swatches and images the metadata does not list, as images of no class', () => {
    expect(categoryOf('1f3fb.png')).toBeUndefined();
    expect(categoryOf('1f1e6.png')).toBeUndefined(); // a lone regional-indicator letter, Twemoji-only
    expect(labelled(['1f3fb.png', '1f600.png', '1f1e6.png', '1f44d.png'], categoryOf)).toEqual([
      { name: '1f3fb.png', label: null },
      { name: '1f600.png', label: 'Smileys & Emotion' },
      { name: '1f1e6.png', label: null },
      { name: '1f44d.png', label: 'People & Body' },
    ]);
  });

  it('labels every shipped Twemoji PNG but the Component swatches, with the nine other categories', async () => {
    const dir = path.dirname(createRequire(import.meta.url).resolve('emoji-datasource-twitter/package.json'));
    const all = JSON.parse(await readFile(path.join(dir, 'emoji.json'), 'utf8')) as EmojiMeta[];
    const names = (await readdir(path.join(dir, 'img', 'twitter', '64'))).filter((n) => n.endsWith('.png'));
    const labels = labelled(names, emojiCategories(all));
    expect(labels.length).toBe(names.length); // every image stays: the dataset is the one from before labels
    expect(labels.filter((l) => l.label === null).length).toBe(5);
    expect(new Set(labels.flatMap((l) => (l.label === null ? [] : [l.label]))).size).toBe(9);
  });

  it('prepares a stored built-in again when its classes are not the ones its files have now', () => {
    const classes = ['Flags', 'Symbols'];
    expect(isCurrentBuiltin({ classes: ['Flags', 'Symbols'] }, classes)).toBe(true);
    expect(isCurrentBuiltin({}, classes)).toBe(false); // prepared before labels
    expect(isCurrentBuiltin({ classes: ['Flags'] }, classes)).toBe(false);
  });
});
