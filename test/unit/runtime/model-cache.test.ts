import { createHash } from 'node:crypto';
import { afterEach, expect, test, vi } from 'vitest';
import { ModelDownloadError } from '@/lib/runtime/errors';
import { fetchModelArtifacts } from '@/lib/runtime/model-cache';

const modelJson = JSON.stringify({
  modelTopology: { format: 'reformer-studio/v1', config: {} },
  weightsManifest: [{ paths: ['weights.bin'], weights: [{ name: 'w', shape: [2], dtype: 'float32' }] }],
  userDefinedMetadata: { card: { id: 'm' } },
});
const weights = new Uint8Array(new Float32Array([1, 2]).buffer);
const sha256 = createHash('sha256').update(modelJson).update(weights).digest('hex');

function serve() {
  const urls: string[] = [];
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url);
    return new Response(url.includes('weights.bin') ? weights : modelJson);
  });
  return urls;
}

afterEach(() => vi.unstubAllGlobals());

test('downloads model.json and weights with byte progress, verified against the published hash', async () => {
  const urls = serve();
  const progress: number[] = [];
  const { artifacts, fromCache } = await fetchModelArtifacts(
    { id: 'm', url: '/models/m/model.json', sha256, bytes: modelJson.length + 8 },
    (p) => progress.push(p.loaded ?? 0),
  );
  expect(fromCache).toBe(false);
  expect(urls).toEqual([
    `/models/m/model.json?v=${sha256.slice(0, 16)}`,
    `/models/m/weights.bin?v=${sha256.slice(0, 16)}`,
  ]);
  expect(progress.at(-1)).toBe(modelJson.length + 8);
  expect(artifacts.weightSpecs).toEqual([{ name: 'w', shape: [2], dtype: 'float32' }]);
  expect(new Float32Array(artifacts.weightData as ArrayBuffer)).toEqual(new Float32Array([1, 2]));
});

test('a download that does not match its hash is refused with ModelDownloadError', async () => {
  serve();
  const wrong = sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
  await expect(fetchModelArtifacts({ id: 'm', url: '/models/m/model.json', sha256: wrong, bytes: 1 })).rejects.toThrow(
    ModelDownloadError,
  );
});

test('a republished model replaces its older copy in the IndexedDB cache, and the cache serves it', async () => {
  const { IDBFactory } = await import('fake-indexeddb');
  vi.stubGlobal('indexedDB', new IDBFactory());
  const version = (step: number) => {
    const json = modelJson.replace('"config":{}', `"config":{"steps":${step}}`);
    return { json, sha256: createHash('sha256').update(json).update(weights).digest('hex') };
  };
  const [v1, v2] = [version(1), version(2)];
  let serving = v1;
  vi.stubGlobal('fetch', async (url: string) => new Response(url.includes('weights.bin') ? weights : serving.json));
  // The studio's source ids carry the version; the URL stays.
  const source = (v: typeof v1) => ({
    id: `m@${v.sha256.slice(0, 12)}`,
    url: '/models/m/model.json',
    sha256: v.sha256,
    bytes: v.json.length + 8,
  });
  expect((await fetchModelArtifacts(source(v1))).fromCache).toBe(false);
  expect((await fetchModelArtifacts(source(v1))).fromCache).toBe(true);
  serving = v2;
  expect((await fetchModelArtifacts(source(v2))).fromCache).toBe(false);
  const cached = await new Promise<string[]>((resolve) => {
    const open = indexedDB.open('reformer-studio-models', 1);
    open.onsuccess = () => {
      const keys = open.result.transaction('artifacts').objectStore('artifacts').getAllKeys();
      keys.onsuccess = () => resolve(keys.result as string[]);
    };
  });
  expect(cached).toEqual([v2.sha256]);
  expect((await fetchModelArtifacts(source(v2))).fromCache).toBe(true);
});
