/**
 * Model download with byte progress, verified against the published sha256 (sha256 of model.json's
 * text followed by its weight files, as scripts/publish-model.ts computes it) and cached in
 * IndexedDB under that hash. A model whose hash changed is fetched again and the stale copy of the
 * same model (the same URL) dropped. Without IndexedDB (Node tests, private windows) it just downloads.
 */
import { modelHash } from '@/lib/models/hash';
import type * as tfTypes from '@/lib/reformer/tf';
import { ModelDownloadError } from './errors';
import type { LoadProgress } from './protocol';

const DB_NAME = 'reformer-studio-models';
const STORE = 'artifacts';

interface CachedArtifacts {
  sha256: string;
  /**
   * Which model this is a version of: its model.json URL, the same for every version (source ids
   * carry the version: `emoji-32-small@<hash>`). Indexed, to drop older versions.
   */
  id: string;
  modelJson: ModelJson;
  weightData: ArrayBuffer;
  storedAt: string;
}

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tfTypes.io.WeightsManifestEntry[] }[];
  userDefinedMetadata?: Record<string, unknown>;
}

export interface ShippedSource {
  id: string;
  url: string;
  sha256: string;
  bytes: number;
}

function openDb(): Promise<IDBDatabase | null> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(null);
  return new Promise((resolve) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => {
      const store = req.result.createObjectStore(STORE, { keyPath: 'sha256' });
      store.createIndex('id', 'id');
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => resolve(null); // a blocked or broken cache must not stop generation
  });
}

function idb<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

function toArtifacts(json: ModelJson, weightData: ArrayBuffer): tfTypes.io.ModelArtifacts {
  return {
    modelTopology: json.modelTopology as tfTypes.io.ModelArtifacts['modelTopology'],
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? null,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData,
    userDefinedMetadata: json.userDefinedMetadata as Record<string, object>,
  };
}

async function download(url: string, onBytes: (n: number) => void): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok || !res.body)
    throw new ModelDownloadError(`could not download ${url}: HTTP ${res.status}. Check your connection and try again.`);
  const reader = res.body.getReader();
  const parts: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    size += value.byteLength;
    onBytes(value.byteLength);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.byteLength;
  }
  return out;
}

/** The model's artifacts, from the IndexedDB cache when its hash matches, else downloaded (and cached). */
export async function fetchModelArtifacts(
  source: ShippedSource,
  onProgress: (p: LoadProgress) => void = () => {},
): Promise<{ artifacts: tfTypes.io.ModelArtifacts; fromCache: boolean }> {
  const db = await openDb();
  try {
    if (db) {
      const hit = (await idb(db.transaction(STORE).objectStore(STORE).get(source.sha256)).catch(() => undefined)) as
        CachedArtifacts | undefined;
      if (hit) {
        onProgress({ stage: 'cache', loaded: source.bytes, total: source.bytes });
        return { artifacts: toArtifacts(hit.modelJson, hit.weightData), fromCache: true };
      }
    }
    let loaded = 0;
    const tick = (n: number) => {
      loaded += n;
      onProgress({ stage: 'download', loaded, total: source.bytes });
    };
    // The hash in the query keeps the browser's HTTP cache from serving an older file of the same name.
    const bust = `v=${source.sha256.slice(0, 16)}`;
    const jsonBytes = await download(`${source.url}?${bust}`, tick);
    const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as ModelJson;
    const base = source.url.slice(0, source.url.lastIndexOf('/') + 1);
    const weightParts: Uint8Array[] = [];
    for (const group of json.weightsManifest)
      for (const p of group.paths) weightParts.push(await download(`${base}${p}?${bust}`, tick));
    const actual = await modelHash(jsonBytes, weightParts);
    if (actual !== source.sha256) {
      throw new ModelDownloadError(
        `model ${source.id} does not match its published hash (got ${actual.slice(0, 12)}…, expected ${source.sha256.slice(0, 12)}…). Reload the page; if it persists the model files are being republished.`,
      );
    }
    const weightData = new Uint8Array(weightParts.reduce((n, p) => n + p.byteLength, 0));
    let offset = 0;
    for (const p of weightParts) {
      weightData.set(p, offset);
      offset += p.byteLength;
    }
    if (db) {
      try {
        const tx = db.transaction(STORE, 'readwrite');
        const store = tx.objectStore(STORE);
        const stale = (await idb(store.index('id').getAllKeys(source.url))) as string[];
        for (const key of stale) store.delete(key);
        store.put({
          sha256: source.sha256,
          id: source.url,
          modelJson: json,
          weightData: weightData.buffer,
          storedAt: new Date().toISOString(),
        } satisfies CachedArtifacts);
        await new Promise<void>((resolve, reject) => {
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error);
        });
      } catch {
        // Quota exceeded or similar: the model still runs, it will just be downloaded next time.
      }
    }
    return { artifacts: toArtifacts(json, weightData.buffer), fromCache: false };
  } finally {
    db?.close();
  }
}

/** Hashes cached now (for tests and the UI's "cached" badge). */
export async function cachedModelHashes(): Promise<string[]> {
  const db = await openDb();
  if (!db) return [];
  try {
    return (await idb(db.transaction(STORE).objectStore(STORE).getAllKeys())) as string[];
  } finally {
    db.close();
  }
}
