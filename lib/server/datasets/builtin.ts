import 'server-only';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DatasetOptions, UploadEvent } from '@/lib/pixels/manifest';
import sharp from 'sharp';
import { AppError } from '../errors';
import type { Storage } from '../storage';
import { type PrepareInput, prepareDataset } from './prepare';

/** The built-in Twemoji datasets, prepared by the same pipeline as uploads with fixed options. */

export const EMOJI_CREDIT = 'Twitter emoji (Twemoji), CC-BY 4.0, via emoji-datasource-twitter';

export interface BuiltinDataset {
  id: string;
  options: DatasetOptions;
  /**
   * Rendered from the Twemoji SVGs, every `every`-th one (the 256×256 set: the PNGs stop at 64×64,
   * and at 65,536 tokens an image a subset keeps the dataset small and quick to prepare).
   */
  fromSvg?: { every: number };
}

/** Every `every`-th emoji of the 256×256 set: a spread over the whole Unicode range, ~620 images. */
const HIGH_RES_EVERY = 6;

export const BUILTIN_DATASETS: BuiltinDataset[] = [16, 32, 64]
  .flatMap((side): BuiltinDataset[] =>
    (['rgb', 'palette'] as const).map((tokenization) => ({
      id: tokenization === 'rgb' ? `emoji-${side}` : `emoji-${side}-p256`,
      options: {
        name: `Twitter emoji ${side}×${side}${tokenization === 'palette' ? ', 256 colours' : ''}`,
        width: side,
        height: side,
        fit: 'contain',
        background: '#ffffff',
        tokenization,
        paletteSize: 256,
        validationFraction: 0.05,
        seed: 1234,
      } satisfies DatasetOptions,
    })),
  )
  .concat({
    id: 'emoji-256-p256',
    fromSvg: { every: HIGH_RES_EVERY },
    options: {
      name: 'Twitter emoji 256×256, 256 colours',
      width: 256,
      height: 256,
      fit: 'contain',
      background: '#ffffff',
      tokenization: 'palette',
      paletteSize: 256,
      validationFraction: 0.05,
      seed: 1234,
    },
  });

/** Folder of the 3,786 64×64 Twemoji PNGs shipped by emoji-datasource-twitter. */
export function emojiDir(): string {
  const pkg = createRequire(import.meta.url).resolve('emoji-datasource-twitter/package.json');
  return path.join(path.dirname(pkg), 'img', 'twitter', '64');
}

/** The emoji PNGs in name order, so built-ins are the same on every machine. */
export async function emojiInputs(dir = emojiDir()): Promise<PrepareInput[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
  return Promise.all(
    names.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(dir, name))) })),
  );
}

/**
 * Every `every`-th Twemoji SVG (@twemoji/svg), rendered by sharp at `side`×`side`: the PNGs stop at
 * 64×64, and upscaling them would teach a 256×256 model blur. Uploads refuse SVG; this is the one
 * place that renders it, from a package we ship.
 */
export async function emojiSvgInputs(side: number, every: number): Promise<PrepareInput[]> {
  const dir = path.dirname(createRequire(import.meta.url).resolve('@twemoji/svg/package.json'));
  const names = (await readdir(dir))
    .filter((n) => n.endsWith('.svg'))
    .sort()
    .filter((_, i) => i % every === 0);
  return Promise.all(
    names.map(async (name) => {
      const svg = await readFile(path.join(dir, name));
      // Twemoji's viewBox is 36×36 at 72 dpi: this density renders it at `side` pixels directly.
      const png = await sharp(svg, { density: (72 * side) / 36 })
        .resize(side, side, { fit: 'contain', background: '#ffffff' })
        .png()
        .toBuffer();
      return { name: name.replace(/\.svg$/, '.png'), bytes: new Uint8Array(png) };
    }),
  );
}

export type BuiltinEvent =
  { id: string; status: 'present' | 'prepared'; seconds?: number } | { id: string; event: UploadEvent };

/** Prepares every built-in dataset that is not stored yet (idempotent). Yields what it does. */
export async function* ensureBuiltinDatasets(storage: Storage, only?: string[]): AsyncGenerator<BuiltinEvent> {
  let inputs: PrepareInput[] | undefined;
  for (const { id, options, fromSvg } of BUILTIN_DATASETS) {
    if (only && !only.includes(id)) continue;
    if (await storage.getRecord('datasets', id)) {
      yield { id, status: 'present' };
      continue;
    }
    const started = performance.now();
    const files = fromSvg ? await emojiSvgInputs(options.width, fromSvg.every) : (inputs ??= await emojiInputs());
    try {
      for await (const event of prepareDataset(files, options, { storage, id, builtin: true, credit: EMOJI_CREDIT }))
        yield { id, event };
    } catch (err) {
      // Prepared meanwhile by another process (a second CLI tool, the studio): it is there, as wanted.
      if (err instanceof AppError && err.code === 'conflict') {
        yield { id, status: 'present' };
        continue;
      }
      throw err;
    }
    yield { id, status: 'prepared', seconds: (performance.now() - started) / 1000 };
  }
}
