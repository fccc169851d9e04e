import { MAX_SIDE, MIN_SIDE } from '@/lib/pixels/manifest';
import { MAX_PALETTE_SIZE, MIN_PALETTE_SIZE } from '@/lib/pixels/palette';
import type { PrepareOptions } from './dataset-api';
import { formatBytes } from '@/lib/format';

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
    if (!isInt(v) || v < SIZE_MIN || v > SIZE_MAX)
      problems.push(`${label} must be a whole number from ${SIZE_MIN} to ${SIZE_MAX}.`);
  }
  if (!/^#[0-9a-f]{6}$/i.test(o.background)) problems.push('Background must be a colour like #ffffff.');
  if (
    o.tokenization === 'palette' &&
    (!isInt(o.paletteSize) || o.paletteSize < PALETTE_MIN || o.paletteSize > PALETTE_MAX)
  ) {
    problems.push(`Palette size must be a whole number from ${PALETTE_MIN} to ${PALETTE_MAX}.`);
  }
  if (!(o.validationFraction >= 0 && o.validationFraction <= VALIDATION_MAX)) {
    problems.push(`Validation fraction must be between 0 and ${VALIDATION_MAX}.`);
  }
  if (!isInt(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    problems.push('Seed must be a whole number from 0 to 4294967295.');
  return problems;
}

/** A dataset name from the first upload: "cats.zip" → "cats". */
export function nameFromFiles(files: File[]): string {
  const first = files[0]?.name ?? '';
  if (files.length === 1 || first.toLowerCase().endsWith('.zip')) return first.replace(/\.[^.]+$/, '');
  return '';
}

/** The server's upload limits the page shows and checks first (lib/server/datasets/limits.ts). */
export interface UploadLimits {
  filesPerUpload: number;
  bytesPerFile: number;
  requestBytes: number;
  decodedBytesPerUpload: number;
}

const isZipName = (name: string) => name.toLowerCase().endsWith('.zip');

/**
 * What the server would do with these files, said before they are sent. `blocking`: the server
 * would refuse the whole upload (so Prepare stays off); `notes`: files it would skip, with why.
 * Images inside zips are counted only by the server.
 */
export function uploadProblems(
  files: { name: string; size: number }[],
  o: PrepareOptions,
  limits: UploadLimits,
): { blocking: string[]; notes: string[] } {
  const blocking: string[] = [];
  const notes: string[] = [];
  const total = files.reduce((sum, f) => sum + f.size, 0);
  if (total > limits.requestBytes) {
    blocking.push(
      `These files come to ${formatBytes(total)}; one upload takes at most ${formatBytes(limits.requestBytes)}. Upload them as several datasets, or fewer at a time.`,
    );
  }
  const images = files.filter((f) => !isZipName(f.name));
  const tooBig = images.filter((f) => f.size > limits.bytesPerFile);
  if (tooBig.length > 0) {
    const names =
      tooBig
        .slice(0, 3)
        .map((f) => f.name)
        .join(', ') + (tooBig.length > 3 ? ', …' : '');
    notes.push(
      `${tooBig.length === 1 ? 'One image is' : `${tooBig.length} images are`} over ${formatBytes(limits.bytesPerFile)} and will be skipped: ${names}.`,
    );
  }
  if (images.length > limits.filesPerUpload) {
    notes.push(
      `Only the first ${limits.filesPerUpload.toLocaleString()} files of an upload are read; ${(images.length - limits.filesPerUpload).toLocaleString()} will be skipped.`,
    );
  }
  if (isInt(o.width) && isInt(o.height) && o.width > 0 && o.height > 0) {
    const fit = Math.floor(limits.decodedBytesPerUpload / (o.width * o.height * 3));
    if (images.length > fit) {
      notes.push(
        `At ${o.width}×${o.height}, ${fit.toLocaleString()} images fit the ${formatBytes(limits.decodedBytesPerUpload)} the server decodes per upload; the other ${(images.length - fit).toLocaleString()} will be skipped. Choose a smaller size to keep them all.`,
      );
    }
  }
  return { blocking, notes };
}

/** The limits, in a line under the drop zone. */
export function limitsLine(limits: UploadLimits): string {
  return `Up to ${limits.filesPerUpload.toLocaleString()} images, ${formatBytes(limits.bytesPerFile)} each, ${formatBytes(limits.requestBytes)} per upload.`;
}
