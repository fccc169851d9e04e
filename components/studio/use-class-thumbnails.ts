'use client';
/** Example pictures for the class picker: the model's dataset's per-class contact sheets, if this server has it. */
import { useEffect, useState } from 'react';
import { listDatasets } from '@/lib/api/datasets';
import type { DatasetSummary } from '@/lib/pixels/manifest';
import { classThumbnails } from './conditioning';
import type { ModelEntry } from './use-engine';

/** A URL per class of the model's card, or null (names only) until and unless the dataset is found. */
export function useClassThumbnails(model: ModelEntry | undefined): string[] | null {
  const conditional = !!model?.card.classes?.length;
  const [datasets, setDatasets] = useState<DatasetSummary[] | null>(null);
  useEffect(() => {
    if (!conditional || datasets) return;
    const controller = new AbortController();
    // Thumbnails are a nicety: without the list the picker shows names.
    listDatasets(controller.signal).then(setDatasets, () => {});
    return () => controller.abort();
  }, [conditional, datasets]);
  return model ? classThumbnails(model.card, datasets) : null;
}
