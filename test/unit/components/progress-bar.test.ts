import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { expect, it } from 'vitest';
import { ProgressBar, type ProgressBarProps } from '@/components/progress-bar';

const render = (props: ProgressBarProps) => renderToStaticMarkup(createElement(ProgressBar, props));

it('says how far in its ARIA values, and fills its track by the share of max', () => {
  const html = render({ testId: 'train-progress', label: 'Training progress', value: 100, max: 400, tone: 'paused' });
  expect(html).toContain('role="progressbar"');
  expect(html).toContain('aria-valuemax="400"');
  expect(html).toContain('aria-valuenow="100"');
  expect(html).toContain('width:25%');
  expect(html).toContain('bg-amber-400');
});

it('pulses at zero while the amount is not known, and never overfills', () => {
  const unknown = render({ testId: 'p', label: 'Preparation progress', value: null });
  expect(unknown).toContain('aria-valuenow="0"');
  expect(unknown).toContain('animate-pulse');
  expect(render({ testId: 'p', label: 'p', value: 120 })).toContain('width:100%');
});
