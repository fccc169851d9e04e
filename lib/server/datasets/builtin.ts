import 'server-only';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DatasetManifest, DatasetOptions, UploadEvent } from '@/lib/pixels/manifest';
import sharp from 'sharp';
import { AppError } from '../errors';
import type { Storage } from '../storage';
import { datasetBlobPrefix, type PrepareInput, prepareDataset } from './prepare';

/**
 * The built-in Twemoji datasets, prepared by the same pipeline as uploads with fixed options, and
 * labelled by the emoji's category in emoji-datasource's metadata (Smileys & Emotion, Flags, …).
 */

export const EMOJI_CREDIT = 'Twitter emoji (Twemoji), CC-BY 4.0, via emoji-datasource-twitter';

export interface BuiltinDataset {
  id: string;
  options: DatasetOptions;
  /**
   * Rendered from the Twemoji SVGs, every `every`-th one (the 256×256 set: the PNGs stop at 64×64,
   * and at 65,536 tokens an image a subset keeps the dataset small and quick to prepare).
   */
  fromSvg?: { every: number };
  /**
   * A held-out test set, never trained on: OpenMoji's SVGs rendered at the dataset's side, labelled
   * with the same category names. `paletteFrom` names the built-in whose palette it takes, so that
   * a palette model's tokens mean the same colours on it.
   */
  openmoji?: { paletteFrom?: string };
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
  })
  .concat(
    [
      { id: 'openmoji-16-p256', side: 16, tokenization: 'palette', paletteFrom: 'emoji-16-p256' },
      { id: 'openmoji-32', side: 32, tokenization: 'rgb' },
    ].map(({ id, side, tokenization, paletteFrom }) => ({
      id,
      openmoji: { paletteFrom },
      options: {
        name: `OpenMoji ${side}×${side}${paletteFrom ? `, the colours of ${paletteFrom}` : ''} (held out: never trained on)`,
        width: side,
        height: side,
        fit: 'contain',
        background: '#ffffff',
        tokenization: tokenization as 'rgb' | 'palette',
        paletteSize: 256,
        // Half and half: the benchmarks measure on its validation split, and nothing trains on either.
        validationFraction: 0.5,
        seed: 1234,
      },
    })),
  );

export const OPENMOJI_CREDIT = 'OpenMoji (openmoji.org), CC BY-SA 4.0, via the openmoji npm package';

/** OpenMoji's `group` → the emoji-datasource category of the same name; absent groups are no class. */
const OPENMOJI_GROUPS: Record<string, string> = {
  'smileys-emotion': 'Smileys & Emotion',
  'people-body': 'People & Body',
  'animals-nature': 'Animals & Nature',
  'food-drink': 'Food & Drink',
  'travel-places': 'Travel & Places',
  activities: 'Activities',
  objects: 'Objects',
  symbols: 'Symbols',
  flags: 'Flags',
};

/** The fields of an `openmoji.json` entry that the labels come from. */
export interface OpenmojiMeta {
  hexcode: string;
  group: string;
}

/**
 * OpenMoji's Unicode emoji (its own `extras-*` inventions left out) as `<hexcode>.png` names, each
 * labelled by the emoji-datasource category its group maps to; `component` (skin-tone swatches,
 * hair) is no class, as for the Twemoji built-ins. Name order.
 */
export function openmojiLabels(entries: readonly OpenmojiMeta[]): { name: string; label: string | null }[] {
  return entries
    .filter((e) => !e.group.startsWith('extras-'))
    .map((e) => ({ name: `${e.hexcode}.png`, label: OPENMOJI_GROUPS[e.group] ?? null }))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function openmojiDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('openmoji/package.json'));
}

async function openmojiNames(): Promise<{ name: string; label: string | null }[]> {
  const meta = JSON.parse(await readFile(path.join(openmojiDir(), 'data', 'openmoji.json'), 'utf8')) as OpenmojiMeta[];
  return openmojiLabels(meta);
}

/** Every OpenMoji Unicode emoji, rendered by sharp from its colour SVG at `side`×`side` on white. */
export async function openmojiInputs(side: number): Promise<PrepareInput[]> {
  const dir = path.join(openmojiDir(), 'color', 'svg');
  const inputs: PrepareInput[] = [];
  for (const { name, label } of await openmojiNames()) {
    const svg = await readFile(path.join(dir, name.replace(/\.png$/, '.svg')));
    // OpenMoji's viewBox is 72×72 at 72 dpi: this density renders it at `side` pixels directly.
    const png = await sharp(svg, { density: side })
      .resize(side, side, { fit: 'contain', background: '#ffffff' })
      .flatten({ background: '#ffffff' })
      .png()
      .toBuffer();
    inputs.push({ name, label, bytes: new Uint8Array(png) });
  }
  return inputs;
}

/** The fields of an emoji-datasource `emoji.json` entry that the labels come from. */
export interface EmojiMeta {
  image: string;
  category: string;
  skin_variations?: Record<string, { image: string }>;
}

/**
 * Categories that are no class of the labelled built-ins. "Component" is the five skin-tone swatches:
 * flat squares of colour, not emoji anyone asks for, too few for a class (no validation image at 5%).
 * They stay in the dataset as images of no class, so a built-in keeps the images, split and palette
 * it had before labels, and models trained on it still read it the same way.
 */
export const UNLABELLED_CATEGORIES: ReadonlySet<string> = new Set(['Component']);

/**
 * An emoji image file name → its code points, the way both emoji sets can be matched: hex without
 * leading zeros and without the FE0F variation selector (emoji-datasource writes `0023-fe0f-20e3`,
 * @twemoji/svg `23-20e3`).
 */
function emojiKey(file: string): string {
  return file
    .replace(/\.(png|svg)$/i, '')
    .split('-')
    .map((hex) => parseInt(hex, 16))
    .filter((code) => code !== 0xfe0f)
    .map((code) => code.toString(16))
    .join('-');
}

/**
 * The class of each emoji image (by file name, of either emoji set): its emoji-datasource category,
 * skin-tone variants included; undefined for images the metadata does not list (Twemoji's lone
 * regional-indicator letters, a few Twemoji-only sequences) and for UNLABELLED_CATEGORIES.
 */
export function emojiCategories(entries: readonly EmojiMeta[]): (file: string) => string | undefined {
  const byKey = new Map<string, string>();
  for (const e of entries)
    for (const image of [e.image, ...Object.values(e.skin_variations ?? {}).map((v) => v.image)])
      byKey.set(emojiKey(image), e.category);
  return (file) => {
    const category = byKey.get(emojiKey(file));
    return category === undefined || UNLABELLED_CATEGORIES.has(category) ? undefined : category;
  };
}

/** emoji-datasource's metadata, as shipped with emoji-datasource-twitter. */
export async function emojiMetadata(): Promise<EmojiMeta[]> {
  const file = createRequire(import.meta.url).resolve('emoji-datasource-twitter/emoji.json');
  return JSON.parse(await readFile(file, 'utf8')) as EmojiMeta[];
}

/** Each file name with its class; `null` for files of no class (see `emojiCategories`). */
export function labelled(
  names: readonly string[],
  categoryOf: (file: string) => string | undefined,
): { name: string; label: string | null }[] {
  return names.map((name) => ({ name, label: categoryOf(name) ?? null }));
}

/** Folder of the 3,786 64×64 Twemoji PNGs shipped by emoji-datasource-twitter. */
export function emojiDir(): string {
  const pkg = createRequire(import.meta.url).resolve('emoji-datasource-twitter/package.json');
  return path.join(path.dirname(pkg), 'img', 'twitter', '64');
}

/** Every emoji PNG with its label, in name order so built-ins are the same on every machine. */
async function emojiPngNames(dir: string): Promise<{ name: string; label: string | null }[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
  return labelled(names, emojiCategories(await emojiMetadata()));
}

/** Every emoji PNG (name order), each with its category as its label (null: no class). */
export async function emojiInputs(dir = emojiDir()): Promise<PrepareInput[]> {
  return Promise.all(
    (await emojiPngNames(dir)).map(async ({ name, label }) => ({
      name,
      label,
      bytes: new Uint8Array(await readFile(path.join(dir, name))),
    })),
  );
}

function twemojiSvgDir(): string {
  return path.dirname(createRequire(import.meta.url).resolve('@twemoji/svg/package.json'));
}

/** Every `every`-th Twemoji SVG (name order) with its label, renamed `.png` as it is rendered. */
async function emojiSvgNames(every: number): Promise<{ name: string; label: string | null }[]> {
  const names = (await readdir(twemojiSvgDir()))
    .filter((n) => n.endsWith('.svg'))
    .sort()
    .filter((_, i) => i % every === 0)
    .map((n) => n.replace(/\.svg$/, '.png'));
  return labelled(names, emojiCategories(await emojiMetadata()));
}

/**
 * Every `every`-th Twemoji SVG (@twemoji/svg), rendered by sharp at `side`×`side`: the PNGs stop at
 * 64×64, and upscaling them would teach a 256×256 model blur. Uploads refuse SVG; this is the one
 * place that renders it, from a package we ship.
 */
export async function emojiSvgInputs(side: number, every: number): Promise<PrepareInput[]> {
  const dir = twemojiSvgDir();
  return Promise.all(
    (await emojiSvgNames(every)).map(async ({ name, label }) => {
      const svg = await readFile(path.join(dir, name.replace(/\.png$/, '.svg')));
      // Twemoji's viewBox is 36×36 at 72 dpi: this density renders it at `side` pixels directly.
      const png = await sharp(svg, { density: (72 * side) / 36 })
        .resize(side, side, { fit: 'contain', background: '#ffffff' })
        .png()
        .toBuffer();
      return { name, label, bytes: new Uint8Array(png) };
    }),
  );
}

/**
 * Whether a stored built-in was prepared with today's labelling: its classes are the ones its files
 * have now. A copy from before labels (no classes), or from another labelling, is prepared again.
 */
export function isCurrentBuiltin(manifest: Pick<DatasetManifest, 'classes'>, classes: readonly string[]): boolean {
  return (manifest.classes ?? []).join('\n') === classes.join('\n');
}

export type BuiltinEvent =
  { id: string; status: 'present' | 'outdated' | 'prepared'; seconds?: number } | { id: string; event: UploadEvent };

/**
 * Prepares every built-in dataset that is not stored yet, or was stored with other classes than its
 * files have now (idempotent). Yields what it does.
 */
export async function* ensureBuiltinDatasets(storage: Storage, only?: string[]): AsyncGenerator<BuiltinEvent> {
  let inputs: PrepareInput[] | undefined;
  for (const { id, options, fromSvg, openmoji } of BUILTIN_DATASETS) {
    if (only && !only.includes(id)) continue;
    const stored = await storage.getRecord<DatasetManifest>('datasets', id);
    let palette: Uint8Array | undefined;
    if (openmoji?.paletteFrom) {
      for await (const e of ensureBuiltinDatasets(storage, [openmoji.paletteFrom])) yield e;
      const from = await storage.getRecord<DatasetManifest>('datasets', openmoji.paletteFrom);
      if (!from?.palette) throw new Error(`built-in ${openmoji.paletteFrom} has no palette for ${id} to take`);
      palette = Uint8Array.from(from.palette);
    }
    if (stored) {
      const names = openmoji
        ? await openmojiNames()
        : fromSvg
          ? await emojiSvgNames(fromSvg.every)
          : await emojiPngNames(emojiDir());
      const classes = [...new Set(names.flatMap((n) => (n.label === null ? [] : [n.label])))].sort();
      // A held-out set whose palette source was prepared again with other colours is outdated too.
      const isCurrent = (m: DatasetManifest) =>
        isCurrentBuiltin(m, classes) && (!palette || (m.palette ?? []).join() === palette.join());
      if (isCurrent(stored)) {
        yield { id, status: 'present' };
        continue;
      }
      yield { id, status: 'outdated' };
      // Record first, as deleteDataset does; another process may have replaced it meanwhile: only
      // a copy that is still outdated goes.
      const again = await storage.getRecord<DatasetManifest>('datasets', id);
      if (again && !isCurrent(again)) {
        await storage.deleteRecord('datasets', id);
        await storage.deleteBlobs(datasetBlobPrefix(id));
      }
    }
    const started = performance.now();
    const files = openmoji
      ? await openmojiInputs(options.width)
      : fromSvg
        ? await emojiSvgInputs(options.width, fromSvg.every)
        : (inputs ??= await emojiInputs());
    const credit = openmoji ? OPENMOJI_CREDIT : EMOJI_CREDIT;
    try {
      for await (const event of prepareDataset(files, options, {
        storage,
        id,
        builtin: true,
        credit,
        ...(palette ? { palette } : {}),
      }))
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
