/**
 * A run's checkpoints in the browser's store (train-checkpoints.ts), keyed by the run's own id, which
 * is also the name of the Web Lock its tab holds while it has the run open.
 */
import type * as tf from '@/lib/reformer/tf';
import { SavedRunMissingError } from '../errors';
import type { CheckpointStore } from '../train-checkpoints';
import type { CheckpointSummary } from '../train-protocol';
import type { Run } from './run';

/** A new run's id: its checkpoint slot and lock name. Unique enough for one browser's runs. */
export const newRunId = () => `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;

function summaryOf(artifacts: tf.io.ModelArtifacts): CheckpointSummary | null {
  const meta = artifacts.userDefinedMetadata as { summary?: CheckpointSummary } | undefined;
  return meta?.summary ?? null;
}

/** A saved run's checkpoint and its summary; a store that cannot read throws its own error. */
export async function readCheckpoint(
  store: CheckpointStore,
  runId: string,
): Promise<{ artifacts: tf.io.ModelArtifacts; summary: CheckpointSummary }> {
  const artifacts = await store.load(runId);
  const summary = artifacts && summaryOf(artifacts);
  if (!artifacts || !summary) throw new SavedRunMissingError();
  return { artifacts, summary };
}

/** Saves the run's checkpoint; a failure (storage full, say) is reported, not thrown: the run is healthy. */
export async function saveCheckpoint(store: CheckpointStore, r: Run): Promise<void> {
  const summary: CheckpointSummary = {
    runId: r.runId,
    settings: r.settings,
    datasetName: r.manifest.name,
    step: r.trainer.step,
    savedAt: new Date().toISOString(),
    history: r.history,
  };
  try {
    await store.save(summary, await r.trainer.checkpoint({ preset: r.settings.preset, summary }));
  } catch (err) {
    r.emit({
      type: 'checkpoint-failed',
      step: summary.step,
      message: err instanceof Error ? err.message : String(err),
    });
    return;
  }
  r.savedStep = summary.step;
  r.emit({ type: 'checkpoint', step: summary.step, savedAt: summary.savedAt });
}
