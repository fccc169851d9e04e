/**
 * Browser side of the /api/models HTTP contract: list, delete, and publish (model.json + weights.bin
 * + a manifest carrying their sha256, which the server recomputes before storing anything).
 */
import type { ShippedModel } from '@/lib/models/card';
import { modelHash } from '@/lib/models/hash';

export type { ShippedModel };

/** What `modelArtifacts()` / `trainer.checkpoint()` return: the subset publishing needs. */
export interface PublishableArtifacts {
  modelTopology?: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightSpecs?: unknown[];
  weightData?: ArrayBuffer | ArrayBuffer[];
  userDefinedMetadata?: Record<string, unknown>;
}

export const WEIGHTS_FILE = 'weights.bin';

export class ModelApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelApiError';
  }
}

async function errorFromResponse(response: Response): Promise<ModelApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string } };
    if (body.error?.message)
      return new ModelApiError(body.error.code ?? `http_${response.status}`, body.error.message, response.status);
  } catch {
    // Not JSON: fall through to the status line.
  }
  return new ModelApiError(`http_${response.status}`, `The server answered ${response.status}.`, response.status);
}

function concat(parts: ArrayBuffer | ArrayBuffer[] | undefined): Uint8Array {
  const list = parts === undefined ? [] : Array.isArray(parts) ? parts : [parts];
  const out = new Uint8Array(list.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const p of list) {
    out.set(new Uint8Array(p), offset);
    offset += p.byteLength;
  }
  return out;
}

/** The two files exactly as tf.io.http would lay them out (weights in one file), and their sha256. */
export async function publishFiles(
  artifacts: PublishableArtifacts,
): Promise<{ modelJson: Uint8Array; weights: Uint8Array; sha256: string }> {
  const json = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_FILE], weights: artifacts.weightSpecs ?? [] }],
    userDefinedMetadata: artifacts.userDefinedMetadata,
  };
  const modelJson = new TextEncoder().encode(JSON.stringify(json));
  const weights = concat(artifacts.weightData);
  return { modelJson, weights, sha256: await modelHash(modelJson, weights) };
}

/** The multipart body POST /api/models takes. */
export function publishForm(files: { modelJson: Uint8Array; weights: Uint8Array; sha256: string }): FormData {
  const form = new FormData();
  form.set('manifest', JSON.stringify({ sha256: files.sha256 }));
  form.set(
    'model.json',
    new File([files.modelJson as Uint8Array<ArrayBuffer>], 'model.json', { type: 'application/json' }),
  );
  form.set(
    WEIGHTS_FILE,
    new File([files.weights as Uint8Array<ArrayBuffer>], WEIGHTS_FILE, { type: 'application/octet-stream' }),
  );
  return form;
}

export async function publishModel(artifacts: PublishableArtifacts): Promise<ShippedModel> {
  const response = await fetch('/api/models', { method: 'POST', body: publishForm(await publishFiles(artifacts)) });
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as ShippedModel;
}

export async function listModels(signal?: AbortSignal): Promise<ShippedModel[]> {
  const response = await fetch('/api/models', { cache: 'no-store', signal });
  if (!response.ok) throw await errorFromResponse(response);
  return ((await response.json()) as { models: ShippedModel[] }).models;
}

export async function deleteModel(id: string): Promise<void> {
  const response = await fetch(`/api/models/${encodeURIComponent(id)}`, { method: 'DELETE' });
  if (!response.ok) throw await errorFromResponse(response);
}
