import { describe, expect, it } from 'vitest';
import {
  DatasetManifestSchema,
  DatasetOptionsSchema,
  type DatasetManifest,
  readShard,
  toSummary,
  DatasetSummarySchema,
  imageLabels,
  MAX_CLASSES,
  previewUrl,
  tokensToImage,
  tokensToShardBytes,
} from '@/lib/pixels/manifest';

const sha = 'a'.repeat(64);

function paletteManifest(k: number): DatasetManifest {
  return {
    format: 'reformer-studio/dataset@1',
    id: 'tiny-palette',
    name: 'Tiny',
    builtin: false,
    createdAt: '2026-01-01T00:00:00.000Z',
    source: {
      files: [
        { name: 'a.png', sha256: sha },
        { name: 'b.png', sha256: sha },
        { name: 'c.png', sha256: sha },
      ],
    },
    width: 8,
    height: 8,
    channels: 3,
    fit: 'cover',
    background: '#ffffff',
    tokenization: 'palette',
    paletteSize: k,
    palette: Array.from({ length: 3 * k }, (_, i) => i % 256),
    vocabSize: k,
    seqLength: 64,
    bytesPerToken: k > 256 ? 2 : 1,
    seed: 1,
    validationFraction: 0.34,
    counts: { train: 2, validation: 1, accepted: 3, skipped: 1 },
    splits: {
      train: {
        shards: [{ file: 'train-000.bin', images: 2, bytes: 2 * 64 * (k > 256 ? 2 : 1), sha256: sha }],
        sources: [2, 0],
      },
      validation: {
        shards: [{ file: 'validation-000.bin', images: 1, bytes: 64 * (k > 256 ? 2 : 1), sha256: sha }],
        sources: [1],
      },
    },
    skipped: [{ name: 'x.txt', reason: 'not an image' }],
  };
}

describe('dataset manifest', () => {
  it('accepts a consistent manifest and its summary validates', () => {
    const m = DatasetManifestSchema.parse(paletteManifest(300));
    const summary = DatasetSummarySchema.parse(toSummary(m));
    // Versioned by when it was prepared: previews are cached for a year.
    expect(summary.previewUrl).toBe(
      `/api/datasets/tiny-palette/preview.png?v=${Date.parse('2026-01-01T00:00:00.000Z').toString(36)}`,
    );
    expect(summary.paletteSize).toBe(300);
    expect(previewUrl('tiny-palette', '2026-01-01T00:00:00.000Z', 3)).toBe(
      `/api/datasets/tiny-palette/preview.png?class=3&v=${Date.parse('2026-01-01T00:00:00.000Z').toString(36)}`,
    );
  });

  it('rejects inconsistent manifests with a reason', () => {
    const wrongBytes = { ...paletteManifest(300), bytesPerToken: 1 };
    expect(DatasetManifestSchema.safeParse(wrongBytes).error?.message).toMatch(/bytesPerToken must be 2/);
    const wrongCounts = { ...paletteManifest(16), counts: { train: 5, validation: 1, accepted: 6, skipped: 0 } };
    expect(DatasetManifestSchema.safeParse(wrongCounts).error?.message).toMatch(/train shards hold 2 images/);
    const shortPalette = { ...paletteManifest(16), palette: [1, 2, 3] };
    expect(DatasetManifestSchema.safeParse(shortPalette).success).toBe(false);
    const badId = { ...paletteManifest(16), id: '../etc' };
    expect(DatasetManifestSchema.safeParse(badId).success).toBe(false);
  });

  describe('with classes', () => {
    /** The palette manifest labelled: train images are classes 1 and 0, the validation image class 1. */
    const labelled = (): DatasetManifest => {
      const m = paletteManifest(16);
      return {
        ...m,
        classes: ['cats', 'dogs'],
        splits: {
          train: { ...m.splits.train, labels: [1, 0] },
          validation: { ...m.splits.validation, labels: [1] },
        },
      };
    };
    const error = (m: unknown) => DatasetManifestSchema.safeParse(m).error?.message;

    it('round-trips through JSON, gives each split its labels in shard order, and counts images per class', () => {
      const m = DatasetManifestSchema.parse(JSON.parse(JSON.stringify(labelled())));
      expect(m.classes).toEqual(['cats', 'dogs']);
      expect(imageLabels(m, 'train')).toEqual(Int32Array.from([1, 0]));
      expect(imageLabels(m, 'validation')).toEqual(Int32Array.from([1]));
      expect(DatasetSummarySchema.parse(toSummary(m)).classes).toEqual([
        { name: 'cats', train: 1, validation: 0 },
        { name: 'dogs', train: 1, validation: 1 },
      ]);
      const plain = DatasetManifestSchema.parse(paletteManifest(16));
      expect(imageLabels(plain, 'train')).toBeUndefined();
      expect(toSummary(plain).classes).toBeUndefined();
    });

    it('reads an image of no class (null) as the no-class id, classes.length, and counts it in no class', () => {
      const m = labelled();
      const some = DatasetManifestSchema.parse({
        ...m,
        splits: { ...m.splits, train: { ...m.splits.train, labels: [null, 0] } },
      });
      expect(imageLabels(some, 'train')).toEqual(Int32Array.from([2, 0]));
      expect(toSummary(some).classes).toEqual([
        { name: 'cats', train: 1, validation: 0 },
        { name: 'dogs', train: 0, validation: 1 },
      ]);
    });

    it('refuses an unknown class id, a length mismatch, and labels on one side only, saying how to fix it', () => {
      const m = labelled();
      const unknown = { ...m, splits: { ...m.splits, validation: { ...m.splits.validation, labels: [2] } } };
      expect(error(unknown)).toMatch(/validation\.labels\[0\] is 2, not a class id: ids run 0\.\.1/);
      const negative = { ...m, splits: { ...m.splits, train: { ...m.splits.train, labels: [0, -1] } } };
      expect(error(negative)).toMatch(/train\.labels\[1\] is -1/);
      const short = { ...m, splits: { ...m.splits, train: { ...m.splits.train, labels: [0] } } };
      expect(error(short)).toMatch(/train\.labels has 1 entries for 2 sources: give one label per image/);
      const noLabels = { ...m, splits: { ...m.splits, validation: { ...m.splits.validation, labels: undefined } } };
      expect(error(noLabels)).toMatch(/validation\.labels is missing/);
      const noClasses = { ...m, classes: undefined };
      expect(error(noClasses)).toMatch(/train\.labels needs classes/);
    });

    it(`refuses more than MAX_CLASSES (${MAX_CLASSES}) classes, duplicate and over-long names`, () => {
      const m = labelled();
      const many = Array.from({ length: MAX_CLASSES + 1 }, (_, i) => `class ${i}`);
      expect(error({ ...m, classes: many })).toMatch(new RegExp(`at most ${MAX_CLASSES} classes`));
      expect(error({ ...m, classes: many.slice(0, MAX_CLASSES) })).toBeUndefined();
      expect(error({ ...m, classes: ['cats', 'cats'] })).toMatch(/unique/);
      expect(error({ ...m, classes: ['cats', 'x'.repeat(65)] })).toMatch(/longer than 64/);
      expect(error({ ...m, classes: [] })).toMatch(/at least one/);
    });
  });

  it('reads Uint16 little-endian shards back, image by image, and decodes palette colours', () => {
    const m = paletteManifest(300);
    const tokens = new Uint16Array(128);
    for (let i = 0; i < 128; i++) tokens[i] = (i * 7) % 300;
    const bytes = tokensToShardBytes(tokens, 2);
    expect(bytes[2 * 1]).toBe(7); // low byte first
    const shard = readShard(m, bytes);
    expect(shard.images).toBe(2);
    expect(Array.from(shard.imageAt(1))).toEqual(Array.from(tokens.subarray(64)));
    expect(() => shard.imageAt(2)).toThrow(/outside/);
    expect(() => readShard(m, bytes.subarray(0, 100))).toThrow(/whole number/);
    const rgb = tokensToImage(m, shard.imageAt(0));
    expect(Array.from(rgb.subarray(3, 6))).toEqual(m.palette!.slice(21, 24));
  });

  it('applies option defaults and rejects out-of-range options', () => {
    const o = DatasetOptionsSchema.parse({ name: ' cats ' });
    expect(o).toMatchObject({ name: 'cats', width: 32, height: 32, tokenization: 'rgb', fit: 'cover' });
    expect(DatasetOptionsSchema.safeParse({ name: 'x', width: 300 }).success).toBe(false);
    expect(DatasetOptionsSchema.safeParse({ name: 'x', background: 'red' }).success).toBe(false);
    expect(DatasetOptionsSchema.safeParse({ name: 'x', validationFraction: 0.6 }).success).toBe(false);
    expect(DatasetOptionsSchema.safeParse({ name: 'x', extra: 1 }).success).toBe(false);
  });
});
