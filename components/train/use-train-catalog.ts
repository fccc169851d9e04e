/**
 * What the Train page offers to train on and from: the server's datasets, its published models,
 * and the studio's shipped models.
 */
import { useCallback, useEffect, useState } from 'react';
import { ShippedIndexSchema } from '@/lib/models/card';
import type { DatasetSummary } from '@/lib/pixels/manifest';
import { listModels, type ShippedModel } from '@/lib/api/models';

export interface TrainCatalog {
  /** null while loading. */
  datasets: DatasetSummary[] | null;
  /** Published models; null while loading. */
  models: ShippedModel[] | null;
  modelsError?: string;
  /** The studio's shipped models: runs may start from them too. */
  shipped: ShippedModel[];
  refreshModels: () => Promise<void>;
  /** Drops a deleted model from the list. */
  forgetModel: (id: string) => void;
}

export function useTrainCatalog(): TrainCatalog {
  const [datasets, setDatasets] = useState<DatasetSummary[] | null>(null);
  const [models, setModels] = useState<ShippedModel[] | null>(null);
  const [shipped, setShipped] = useState<ShippedModel[]>([]);
  const [modelsError, setModelsError] = useState<string>();

  const refreshModels = useCallback(async () => {
    try {
      setModels(await listModels());
      setModelsError(undefined);
    } catch (err) {
      setModelsError(`Could not list published models: ${(err as Error).message}`);
    }
  }, []);

  useEffect(() => {
    fetch('/api/datasets', { cache: 'no-store' })
      .then((r) => r.json())
      .then((body: { datasets: DatasetSummary[] }) => setDatasets(body.datasets))
      .catch(() => setDatasets([]));
    void refreshModels();
    fetch('/models/index.json', { cache: 'no-cache' })
      .then((r) => r.json())
      .then((json) => setShipped(ShippedIndexSchema.parse(json).models))
      .catch(() => setShipped([]));
  }, [refreshModels]);

  const forgetModel = useCallback((id: string) => setModels((m) => m?.filter((x) => x.card.id !== id) ?? null), []);

  return { datasets, models, modelsError, shipped, refreshModels, forgetModel };
}
