import { expect, test } from 'vitest';
import { resolveConfig } from '@/lib/reformer/config';
import { configFor } from '@/lib/training/presets';

test.each([
  [{ width: 32, height: 32, tokenization: 'rgb' as const, vocabSize: 256 }, 3072, [32, 32, 3], 5],
  [{ width: 64, height: 48, tokenization: 'palette' as const, vocabSize: 256 }, 3072, [48, 64], 3],
])(
  'configFor fits a preset to %j: sequence, axial grid and valid pixel neighbours',
  (image, seqLength, axialShape, neighbours) => {
    const c = resolveConfig(configFor('small', image));
    expect([c.seqLength, c.axialShape, c.neighbours.length]).toEqual([seqLength, axialShape, neighbours]);
    expect(resolveConfig(configFor('small', image, { neighbours: 'none' })).neighbours).toEqual([]);
    expect(resolveConfig(configFor('small', image, { attention: 'mixed' })).layers).toEqual([
      'local',
      'lsh',
      'local',
      'lsh',
    ]);
  },
);
