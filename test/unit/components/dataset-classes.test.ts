import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { expect, it } from 'vitest';
import { DatasetCard } from '@/components/datasets/dataset-card';
import type { DatasetSummary } from '@/lib/pixels/manifest';

const summary: DatasetSummary = {
  id: 'pets-1234abcd',
  name: 'Pets',
  builtin: false,
  width: 8,
  height: 8,
  tokenization: 'rgb',
  seqLength: 192,
  vocabSize: 256,
  counts: { train: 5, validation: 2, accepted: 7, skipped: 0 },
  createdAt: '2026-01-01T00:00:00.000Z',
  previewUrl: '/api/datasets/pets-1234abcd/preview.png?v=1',
};
const card = (dataset: DatasetSummary) =>
  renderToStaticMarkup(createElement(DatasetCard, { dataset, onDeleted: () => {} }));

it("shows a labelled dataset's classes with their image counts, in class order", () => {
  const html = card({
    ...summary,
    classes: [
      { name: 'cats', train: 3, validation: 1 },
      { name: 'dogs & wolves', train: 2, validation: 1 },
    ],
  });
  expect(html).toContain('data-testid="dataset-classes"');
  const rows = [...html.matchAll(/data-class-name="([^"]*)" data-images="(\d+)"/g)].map((m) => [m[1], m[2]]);
  expect(rows).toEqual([
    ['cats', '4'],
    ['dogs &amp; wolves', '3'],
  ]);
  expect(html).toContain('2 classes');
  // Each class is a button that shows its own contact sheet; none is picked at first.
  expect(html.match(/<button type="button" aria-pressed="false"/g)).toHaveLength(2);
  expect(html).toContain(`src="${summary.previewUrl}"`);
});

it('shows no class list for an unlabelled dataset', () => {
  expect(card(summary)).not.toContain('dataset-classes');
});
