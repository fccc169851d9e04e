/** A labelled toy dataset for class-conditional training: the three flat colours, in two classes. */
import type { DatasetManifest } from '@/lib/pixels/manifest';
import type { Storage } from '@/lib/server/storage';
import { prepareThreeColours } from './fixtures';

/** Stores dataset `id` as prepareThreeColours does, labelled: red is "warm", green and blue "cool". */
export async function prepareWarmCool(storage: Storage, id: string): Promise<void> {
  await prepareThreeColours(storage, id);
  const manifest = (await storage.getRecord<DatasetManifest>('datasets', id))!;
  const classOf = (source: number) => (manifest.source.files[source].name.startsWith('red') ? 0 : 1);
  await storage.putRecord('datasets', id, manifest.createdAt, {
    ...manifest,
    classes: ['warm', 'cool'],
    splits: {
      train: { ...manifest.splits.train, labels: manifest.splits.train.sources.map(classOf) },
      validation: { ...manifest.splits.validation, labels: manifest.splits.validation.sources.map(classOf) },
    },
  } satisfies DatasetManifest);
}
