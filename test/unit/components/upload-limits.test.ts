import { expect, test } from 'vitest';
import { DEFAULT_OPTIONS, limitsLine, uploadProblems } from '@/components/datasets/prepare-options';

const MiB = 1024 * 1024;
const limits = {
  filesPerUpload: 5,
  bytesPerFile: 2 * MiB,
  requestBytes: 10 * MiB,
  decodedBytesPerUpload: 3 * 64 * 64 * 3,
};
const image = (name: string, size = 1000) => ({ name, size });

test('files within every limit raise nothing', () => {
  expect(uploadProblems([image('a.png'), image('b.png')], DEFAULT_OPTIONS, limits)).toEqual({
    blocking: [],
    notes: [],
  });
});

test('an upload over the request limit is blocked before it is sent, with the total and the limit', () => {
  const { blocking } = uploadProblems([image('big.zip', 8 * MiB), image('also.zip', 3 * MiB)], DEFAULT_OPTIONS, limits);
  expect(blocking).toEqual([
    'These files come to 11.0 MiB; one upload takes at most 10.0 MiB. Upload them as several datasets, or fewer at a time.',
  ]);
});

test('files the server would skip are named beforehand, without blocking the rest', () => {
  const files = [image('huge.png', 3 * MiB), ...Array.from({ length: 6 }, (_, i) => image(`${i}.png`))];
  const { blocking, notes } = uploadProblems(files, { ...DEFAULT_OPTIONS, width: 64, height: 64 }, limits);
  expect(blocking).toEqual([]);
  expect(notes).toEqual([
    'One image is over 2.0 MiB and will be skipped: huge.png.',
    'Only the first 5 files of an upload are read; 2 will be skipped.',
    'At 64×64, 3 images fit the 36.0 KiB the server decodes per upload; the other 4 will be skipped. Choose a smaller size to keep them all.',
  ]);
  // Zips are opened by the server only: their images are not counted here.
  expect(uploadProblems([image('many.zip', MiB)], { ...DEFAULT_OPTIONS, width: 64, height: 64 }, limits).notes).toEqual(
    [],
  );
});

test('the limits line says what one upload may hold', () => {
  expect(limitsLine(limits)).toBe('Up to 5 images, 2.0 MiB each, 10.0 MiB per upload.');
});
