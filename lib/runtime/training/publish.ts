/**
 * What publishing a run sends the server: the model alone (no optimizer state) and a card that
 * describes the run so far, in the shape POST /api/models takes.
 */
import { buildModelCard } from '@/lib/models/build-card';
import * as tf from '@/lib/reformer/tf';
import { lineageAfter } from '@/lib/training/start-from';
import type { PublishArtifacts } from '../train-protocol';
import { validateIfStale } from './evaluation';
import type { Run } from './run';

export async function publishArtifacts(r: Run, name?: string): Promise<PublishArtifacts> {
  const { trainer, manifest, settings } = r;
  // The card's figure must be of the weights it ships, not of the last evaluation's, up to evalEvery steps before.
  validateIfStale(r);
  const from = settings.startFrom?.card;
  const preset = from?.preset ?? settings.preset;
  const steps = (from?.steps ?? 0) + trainer.step;
  const card = buildModelCard({
    id: `${manifest.id.slice(0, 40)}-${preset.slice(0, 16).replace(/[^a-z0-9-]/g, '-')}-${Date.now().toString(36)}`,
    name: name?.trim() || `${manifest.name} · ${preset} · ${steps} steps`,
    manifest,
    preset,
    parameters: trainer.model.parameterCount,
    steps,
    validation: trainer.validationFields(r.lastValidation),
    classes: trainer.conditional ? trainer.data.labels!.classes : undefined,
    initialisedFrom: from && lineageAfter(from),
  });
  const artifacts = await trainer.exportArtifacts({ card });
  const weightData = Array.isArray(artifacts.weightData)
    ? tf.io.concatenateArrayBuffers(artifacts.weightData)
    : artifacts.weightData!;
  return {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format!,
    generatedBy: artifacts.generatedBy!,
    weightSpecs: artifacts.weightSpecs!,
    weightData,
    userDefinedMetadata: { card },
  };
}
