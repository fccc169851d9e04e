import { expect, test } from 'vitest';
import { buildModelCard } from '@/lib/models/build-card';
import { ModelCardSchema } from '@/lib/models/card';

const manifest = {
  id: 'icons',
  name: 'Icons',
  tokenization: 'palette' as const,
  width: 8,
  height: 8,
  palette: [0, 0, 0, 255, 255, 255],
};

test('a card carries the dataset its tokens mean, the steps behind it and its validation figure', () => {
  const card = buildModelCard({
    id: 'icons-tiny',
    name: 'Icons · tiny',
    manifest,
    preset: 'tiny',
    parameters: 1234,
    steps: 50,
    validation: { validationBitsPerDim: 1.5, validationImages: 4 },
    command: 'npm run train -- --dataset icons',
    initialisedFrom: [{ id: 'base', steps: 10 }],
    trainedAt: '2026-01-01T00:00:00.000Z',
  });
  expect(ModelCardSchema.parse(card)).toEqual(card);
  expect(card).toEqual({
    id: 'icons-tiny',
    name: 'Icons · tiny',
    dataset: { ...manifest },
    preset: 'tiny',
    parameters: 1234,
    steps: 50,
    validationBitsPerDim: 1.5,
    validationImages: 4,
    trainedAt: '2026-01-01T00:00:00.000Z',
    command: 'npm run train -- --dataset icons',
    initialisedFrom: [{ id: 'base', steps: 10 }],
  });
});

test('a run with no validation figure, no command and no starting model leaves those fields out', () => {
  const card = buildModelCard({
    id: 'icons-tiny',
    name: 'Icons',
    manifest,
    preset: 'tiny',
    parameters: 1,
    steps: 0,
    validation: {},
  });
  for (const key of ['validationBitsPerDim', 'validationImages', 'command', 'initialisedFrom'])
    expect(card).not.toHaveProperty(key);
  expect(Date.parse(card.trainedAt)).not.toBeNaN();
});
