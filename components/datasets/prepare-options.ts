import { MAX_SIDE, MIN_SIDE } from '@/lib/pixels/manifest';
import { MAX_PALETTE_SIZE, MIN_PALETTE_SIZE } from '@/lib/pixels/palette';
import type { PrepareOptions } from './dataset-api';

export const SIZE_MIN = MIN_SIDE;
export const SIZE_MAX = MAX_SIDE;
export const PALETTE_MIN = MIN_PALETTE_SIZE;
export const PALETTE_MAX = MAX_PALETTE_SIZE;
/** Mirrors DatasetOptionsSchema's validationFraction bound. */
export const VALIDATION_MAX = 0.5;

export const DEFAULT_OPTIONS: PrepareOptions = {
  name: '',
  width: 32,
  height: 32,
  fit: 'contain',
  background: '#ffffff',
  tokenization: 'rgb',
  paletteSize: 64,
  validationFraction: 0.1,
  seed: 42,
};

const isInt = (n: number) => Number.isInteger(n);

/** Problems a person can fix before uploading; the server checks again and has the last word. */
export function optionProblems(o: PrepareOptions): string[] {
  const problems: string[] = [];
  if (!o.name.trim()) problems.push('Give the dataset a name.');
  if (o.name.trim().length > 100) problems.push('Keep the name to 100 characters.');
  for (const [label, v] of [
    ['Width', o.width],
    ['Height', o.height],
  ] as const) {
    if (!isInt(v) || v < SIZE_MIN || v > SIZE_MAX) problems.push(`${label} must be a whole number from ${SIZE_MIN} to ${SIZE_MAX}.`);
  }
  if (!/^#[0-9a-f]{6}$/i.test(o.background)) problems.push('Background must be a colour like #ffffff.');
  if (o.tokenization === 'palette' && (!isInt(o.paletteSize) || o.paletteSize < PALETTE_MIN || o.paletteSize > PALETTE_MAX)) {
    problems.push(`Palette size must be a whole number from ${PALETTE_MIN} to ${PALETTE_MAX}.`);
  }
  if (!(o.validationFraction >= 0 && o.validationFraction <= VALIDATION_MAX)) {
    problems.push(`Validation fraction must be between 0 and ${VALIDATION_MAX}.`);
  }
  if (!isInt(o.seed) || o.seed < 0 || o.seed > 0xffffffff) problems.push('Seed must be a whole number from 0 to 4294967295.');
  return problems;
}

/** A dataset name from the first upload: "cats.zip" → "cats". */
export function nameFromFiles(files: File[]): string {
  const first = files[0]?.name ?? '';
  if (files.length === 1 || first.toLowerCase().endsWith('.zip')) return first.replace(/\.[^.]+$/, '');
  return '';
}
