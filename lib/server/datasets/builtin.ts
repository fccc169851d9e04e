import 'server-only';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { DatasetOptions, UploadEvent } from '@/lib/pixels/manifest';
import type { Storage } from '../storage';
import { type PrepareInput, prepareDataset } from './prepare';

/** The built-in Twemoji datasets, prepared by the same pipeline as uploads with fixed options. */

export const EMOJI_CREDIT = 'Twitter emoji (Twemoji), CC-BY 4.0, via emoji-datasource-twitter';

export interface BuiltinDataset {
  id: string;
  options: DatasetOptions;
}

export const BUILTIN_DATASETS: BuiltinDataset[] = [16, 32, 64].flatMap((side) =>
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
);

/** Folder of the 3,786 64×64 Twemoji PNGs shipped by emoji-datasource-twitter. */
export function emojiDir(): string {
  const pkg = createRequire(import.meta.url).resolve('emoji-datasource-twitter/package.json');
  return path.join(path.dirname(pkg), 'img', 'twitter', '64');
}

/** The emoji PNGs in name order, so built-ins are the same on every machine. */
export async function emojiInputs(dir = emojiDir()): Promise<PrepareInput[]> {
  const names = (await readdir(dir)).filter((n) => n.endsWith('.png')).sort();
  return Promise.all(names.map(async (name) => ({ name, bytes: new Uint8Array(await readFile(path.join(dir, name))) })));
}

export type BuiltinEvent = { id: string; status: 'present' | 'prepared'; seconds?: number } | { id: string; event: UploadEvent };

/** Prepares every built-in dataset that is not stored yet (idempotent). Yields what it does. */
export async function* ensureBuiltinDatasets(storage: Storage, only?: string[]): AsyncGenerator<BuiltinEvent> {
  let inputs: PrepareInput[] | undefined;
  for (const { id, options } of BUILTIN_DATASETS) {
    if (only && !only.includes(id)) continue;
    if (await storage.getRecord('datasets', id)) {
      yield { id, status: 'present' };
      continue;
    }
    inputs ??= await emojiInputs();
    const started = performance.now();
    for await (const event of prepareDataset(inputs, options, { storage, id, builtin: true, credit: EMOJI_CREDIT })) yield { id, event };
    yield { id, status: 'prepared', seconds: (performance.now() - started) / 1000 };
  }
}
