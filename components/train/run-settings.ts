/**
 * What the New run form derives from its inputs: the run's evaluation period, the dataset offered
 * first, and the models a run may start from.
 */
import type { DatasetSummary } from '@/lib/pixels/manifest';
import type { ShippedModel } from '@/lib/api/models';

/** Validation and checkpoints every ~5% of the run (at least every 5 steps, at most every 200). */
export function evalEveryFor(steps: number): number {
  return Math.min(200, Math.max(5, Math.round(steps / 20)));
}

/**
 * Models a run on `dataset` can start from: their tokens mean its pixels (same size and
 * tokenization; a palette model only on its own dataset, whose palette it learned), and a
 * class-conditional model only where the dataset has as many classes.
 */
export function startableModels(dataset: DatasetSummary | undefined, models: ShippedModel[]): ShippedModel[] {
  if (!dataset) return [];
  return models.filter(
    (m, i, all) =>
      all.findIndex((o) => o.url === m.url) === i &&
      m.card.dataset.width === dataset.width &&
      m.card.dataset.height === dataset.height &&
      m.card.dataset.tokenization === dataset.tokenization &&
      (dataset.tokenization === 'rgb' || m.card.dataset.id === dataset.id) &&
      (!m.card.classes || m.card.classes.length === dataset.classes?.length),
  );
}

/** The dataset a new run is offered first: a small one (quick to train), else the first. */
export function firstDataset(datasets: DatasetSummary[] | null): string {
  const first = datasets?.find((d) => d.width * d.height <= 256) ?? datasets?.[0];
  return first?.id ?? '';
}
