import { expect, test } from 'vitest';
import type { ShippedModel } from '@/lib/api/models';
import { evalEveryFor, firstDataset, startableModels } from '@/components/train/run-settings';
import type { DatasetSummary } from '@/lib/pixels/manifest';

test('validation comes every ~5% of the run, at least every 5 steps and at most every 200', () => {
  expect(evalEveryFor(300)).toBe(15);
  expect(evalEveryFor(20)).toBe(5);
  expect(evalEveryFor(100_000)).toBe(200);
});

const dataset = (id: string, side: number, tokenization: 'rgb' | 'palette' = 'rgb') =>
  ({ id, width: side, height: side, tokenization }) as DatasetSummary;

const model = (url: string, datasetId: string, side: number, tokenization: 'rgb' | 'palette' = 'rgb') =>
  ({ url, card: { dataset: { id: datasetId, width: side, height: side, tokenization } } }) as ShippedModel;

test('a small dataset is offered first, else the first one', () => {
  expect(firstDataset([dataset('big', 32), dataset('small', 16)])).toBe('small');
  expect(firstDataset([dataset('big', 32)])).toBe('big');
  expect(firstDataset(null)).toBe('');
});

test('a run may start from models whose tokens mean its pixels, each listed once', () => {
  const rgb = model('/a', 'other', 16);
  const models = [
    rgb,
    rgb,
    model('/b', 'other', 32),
    model('/c', 'other', 16, 'palette'),
    model('/d', 'icons', 16, 'palette'),
  ];
  expect(startableModels(dataset('emoji', 16), models)).toEqual([rgb]);
  // A palette model only on its own dataset, whose palette it learned.
  expect(startableModels(dataset('icons', 16, 'palette'), models).map((m) => m.url)).toEqual(['/d']);
  expect(startableModels(undefined, models)).toEqual([]);
});

test('a class-conditional model is offered only where the dataset has as many classes; an unconditional one everywhere', () => {
  const classes = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `c${i}`, train: 1, validation: 0 }));
  const withClasses = (n?: number) =>
    ({ ...dataset('emoji', 16), ...(n && { classes: classes(n) }) }) as DatasetSummary;
  const conditional = (url: string, n: number) => {
    const m = model(url, 'other', 16);
    return { ...m, card: { ...m.card, classes: classes(n).map((c) => c.name) } } as ShippedModel;
  };
  const models = [model('/plain', 'other', 16), conditional('/nine', 9), conditional('/two', 2)];
  expect(startableModels(withClasses(9), models).map((m) => m.url)).toEqual(['/plain', '/nine']);
  expect(startableModels(withClasses(), models).map((m) => m.url)).toEqual(['/plain']);
});
