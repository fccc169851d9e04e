import { expect, test } from 'vitest';
import type { ModelCard } from '@/lib/models/card';
import { lineageAfter, startMismatch } from '@/lib/training/start-from';

const palette = [0, 0, 0, 255, 255, 255];
const card = (over: Partial<ModelCard['dataset']> = {}, extra: Partial<ModelCard> = {}): ModelCard => ({
  id: 'base',
  name: 'Base',
  dataset: { id: 'd', name: 'D', tokenization: 'palette', width: 16, height: 16, palette, ...over },
  preset: 'tiny',
  parameters: 10,
  steps: 40,
  trainedAt: '2026-01-01T00:00:00.000Z',
  ...extra,
});
const manifest = { id: 'mine', tokenization: 'palette' as const, width: 16, height: 16, palette };

test('a model trains on a dataset only where its tokens mean the same pixels', () => {
  const config = { axialShape: [16, 16] };
  expect(startMismatch(config, card(), manifest)).toBeUndefined();
  expect(startMismatch(config, card(), { ...manifest, palette: [0, 0, 0, 250, 250, 250] })).toBe(
    'dataset mine has another palette, so its tokens are other colours',
  );
  expect(startMismatch(config, card({ tokenization: 'rgb' }), manifest)).toBe(
    'it reads rgb tokens, dataset mine is palette',
  );
  expect(startMismatch({ axialShape: [8, 8] }, undefined, manifest)).toBe(
    'it was made for 8×8 tokens per image, dataset mine has 16×16',
  );
  expect(
    startMismatch({ axialShape: [16, 16, 3] }, undefined, { ...manifest, tokenization: 'rgb', palette: undefined }),
  ).toBeUndefined();
});

test('the lineage lists the runs before, oldest first, each with the steps it ended at', () => {
  const first = card({}, { id: 'a', steps: 100, command: 'npm run train -- a' });
  const second = card({}, { id: 'b', steps: 150, initialisedFrom: lineageAfter(first) });
  expect(lineageAfter(second)).toEqual([
    { id: 'a', steps: 100, command: 'npm run train -- a' },
    { id: 'b', steps: 150 },
  ]);
});
