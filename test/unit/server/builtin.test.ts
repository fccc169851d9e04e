import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { BUILTIN_DATASETS, emojiSvgInputs } from '@/lib/server/datasets/builtin';

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
