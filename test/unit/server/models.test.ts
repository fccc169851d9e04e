import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import * as file from '@/app/api/models/[id]/[file]/route';
import * as item from '@/app/api/models/[id]/route';
import * as collection from '@/app/api/models/route';
import { publishFiles, publishForm } from '@/lib/api/models';
import { type ModelCard, ShippedModelSchema } from '@/lib/models/card';
import { ReformerLM } from '@/lib/reformer/model';
import { loadModel, modelArtifacts, modelFromArtifacts } from '@/lib/reformer/serialize';
import * as tf from '@/lib/reformer/tf';
import { deleteModel, type ModelRecord, publishModel } from '@/lib/server/models/store';
import { createStorage, setStorage, type Storage } from '@/lib/server/storage';
import { tinyConfig } from '../reformer/helpers';

const dirs: string[] = [];
let storage: Storage;
let failWrites: ((key: string) => void) | undefined;

beforeEach(async () => {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'models-routes-'));
  dirs.push(dataDir);
  failWrites = undefined;
  storage = createStorage({ dataDir, beforeBlobWrite: (key) => failWrites?.(key) });
  setStorage(storage);
});
afterAll(async () => {
  setStorage(undefined);
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

const ctx = (params: Record<string, string>) => ({ params: Promise.resolve(params) }) as never;

function card(over: Partial<ModelCard> = {}): ModelCard {
  return {
    id: 'tiny-test',
    name: 'Tiny · test',
    dataset: { id: 'emoji-16', name: 'Emoji 16', tokenization: 'rgb', width: 4, height: 4 },
    preset: 'tiny',
    parameters: 1234,
    steps: 3,
    validationBitsPerDim: 5.5,
    trainedAt: '2026-01-01T00:00:00.000Z',
    ...over,
  };
}

async function files(metadata: Record<string, unknown> = { card: card() }) {
  const model = new ReformerLM(tinyConfig());
  try {
    return await publishFiles(await modelArtifacts(model, metadata));
  } finally {
    model.dispose();
  }
}

const post = (form: FormData) => collection.POST(new Request('http://test/api/models', { method: 'POST', body: form }));

async function errorOf(res: Response) {
  return ((await res.json()) as { error: { code: string; message: string } }).error;
}

describe('POST /api/models', () => {
  it('stores a valid model that then loads back through the file routes', async () => {
    const f = await files();
    const res = await post(publishForm(f));
    expect(res.status).toBe(201);
    const entry = ShippedModelSchema.parse(await res.json());
    expect(entry).toMatchObject({
      url: '/api/models/tiny-test/model.json',
      sha256: f.sha256,
      bytes: f.modelJson.byteLength + f.weights.byteLength,
    });
    expect(entry.card.id).toBe('tiny-test');

    const json = await file.GET(
      new Request('http://test/api/models/tiny-test/model.json'),
      ctx({ id: 'tiny-test', file: 'model.json' }),
    );
    expect(json.status).toBe(200);
    const modelJson = (await json.json()) as {
      weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
      modelTopology: object;
      userDefinedMetadata: Record<string, object>;
    };
    const weights = await file.GET(
      new Request('http://test/api/models/tiny-test/weights.bin'),
      ctx({ id: 'tiny-test', file: 'weights.bin' }),
    );
    const weightBytes = new Uint8Array(await weights.arrayBuffer());
    expect(weightBytes).toEqual(f.weights);
    const { model, metadata } = modelFromArtifacts({
      modelTopology: modelJson.modelTopology,
      weightSpecs: modelJson.weightsManifest[0].weights,
      weightData: weightBytes.buffer,
      userDefinedMetadata: modelJson.userDefinedMetadata,
    });
    expect((metadata.card as ModelCard).steps).toBe(3);

    // What the studio does: tf.io.http on the model.json URL, weights fetched relative to it.
    const routed = ((input: RequestInfo | URL) => {
      const name = String(input instanceof Request ? input.url : input)
        .split('/')
        .at(-1)!;
      return file.GET(new Request(`http://test/api/models/tiny-test/${name}`), ctx({ id: 'tiny-test', file: name }));
    }) as typeof fetch;
    const loaded = await loadModel(tf.io.http(`http://test${entry.url}`, { fetchFunc: routed }));
    expect(loaded.model.parameterCount).toBe(model.parameterCount);
    loaded.model.dispose();

    const again = await post(publishForm(f));
    expect(again.status).toBe(409);
    expect((await errorOf(again)).code).toBe('model_exists');
    model.dispose();
  });

  it('refuses files whose sha256 is not the manifest’s, storing nothing', async () => {
    const f = await files();
    const res = await post(publishForm({ ...f, sha256: '0'.repeat(64) }));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('hash_mismatch');
    expect(error.message).toContain(f.sha256);
    expect(await storage.listBlobs('models/')).toEqual([]);
    expect(await storage.listRecords('models')).toEqual([]);
  });

  it('refuses truncated weights with the byte counts, even when the hash matches what was sent', async () => {
    const f = await files();
    const weights = f.weights.subarray(0, f.weights.byteLength - 4);
    const { sha256 } = await publishFiles({
      ...JSON.parse(new TextDecoder().decode(f.modelJson)),
      weightData: weights.slice().buffer,
    });
    const res = await post(publishForm({ modelJson: f.modelJson, weights, sha256 }));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe('weights_size_mismatch');
    expect(error.message).toContain(`${weights.byteLength} bytes`);
    expect(error.message).toContain(`${f.weights.byteLength} bytes`);
    expect(await storage.listBlobs('models/')).toEqual([]);
  });

  it('refuses a model whose card is missing or invalid', async () => {
    const bad = await post(publishForm(await files({ card: { ...card(), id: 'Not An Id!' } })));
    expect(bad.status).toBe(400);
    expect(await errorOf(bad)).toMatchObject({ code: 'invalid_card' });
    const none = await post(publishForm(await files({})));
    expect(await errorOf(none)).toMatchObject({ code: 'invalid_card' });
    expect(await storage.listRecords('models')).toEqual([]);
  });

  it('refuses a malformed manifest, a missing file and an oversized body', async () => {
    const f = await files();
    const form = publishForm(f);
    form.set('manifest', '{"sha256": 1}');
    expect(await errorOf(await post(form))).toMatchObject({ code: 'invalid_manifest' });
    const noWeights = publishForm(f);
    noWeights.delete('weights.bin');
    expect(await errorOf(await post(noWeights))).toMatchObject({ code: 'missing_file' });
    const huge = new Request('http://test/api/models', {
      method: 'POST',
      body: publishForm(f),
      headers: { 'content-length': String(65 * 1024 * 1024) },
    });
    const res = await collection.POST(huge);
    expect(res.status).toBe(413);
  });

  it('two publishes of one id at once: one wins, and the files served are the winner’s', async () => {
    const [a, b] = [await files({ card: card({ name: 'A' }) }), await files({ card: card({ name: 'B' }) })];
    const results = await Promise.all([post(publishForm(a)), post(publishForm(b))]);
    expect(results.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = ShippedModelSchema.parse(await results.find((r) => r.status === 201)!.json());
    const served = async (name: string) =>
      new Uint8Array(
        await (
          await file.GET(new Request(`http://test/x/${name}`), ctx({ id: 'tiny-test', file: name }))
        ).arrayBuffer(),
      );
    const [json, weights] = [await served('model.json'), await served('weights.bin')];
    expect(createHash('sha256').update(json).update(weights).digest('hex')).toBe(winner.sha256);
    const blobs = await storage.listBlobs('models/');
    expect(blobs).toHaveLength(2);
    for (const [i, name] of ['model.json', 'weights.bin'].entries())
      expect(blobs[i]).toMatch(new RegExp(`^models/tiny-test/${winner.sha256.slice(0, 16)}-[0-9a-f]{8}/${name}$`));
  });

  it('refuses the id of a shipped model, which lookups by id would find instead', async () => {
    const index = path.join(dirs.at(-1)!, 'index.json');
    const f = await files();
    await writeFile(
      index,
      JSON.stringify({ models: [{ card: card(), url: '/models/tiny-test/model.json', sha256: f.sha256, bytes: 1 }] }),
    );
    process.env.MODELS_INDEX = index;
    try {
      const res = await post(publishForm(f));
      expect(res.status).toBe(409);
      const error = await errorOf(res);
      expect(error.code).toBe('model_id_shipped');
      expect(error.message).toContain('"tiny-test"');
      expect(await storage.listBlobs('models/')).toEqual([]);
      expect(await storage.listRecords('models')).toEqual([]);
    } finally {
      delete process.env.MODELS_INDEX;
    }
  });

  it('leaves no blobs behind when storing fails half-way', async () => {
    failWrites = (key) => {
      if (key.endsWith('model.json')) throw new Error('disk full');
    };
    const res = await post(publishForm(await files()));
    expect(res.status).toBe(500);
    expect(await storage.listBlobs('models/')).toEqual([]);
    expect(await storage.listRecords('models')).toEqual([]);
  });
});

describe('GET and DELETE', () => {
  it('lists published models newest first, serves their files, and deletes them', async () => {
    expect(await (await collection.GET()).json()).toEqual({ models: [] });
    await post(publishForm(await files({ card: card({ id: 'first' }) })));
    await new Promise((r) => setTimeout(r, 5));
    await post(publishForm(await files({ card: card({ id: 'second' }) })));
    const { models } = (await (await collection.GET()).json()) as { models: unknown[] };
    expect(models.map((m) => ShippedModelSchema.parse(m).card.id)).toEqual(['second', 'first']);

    const missing = await file.GET(new Request('http://test/x'), ctx({ id: 'first', file: 'other.bin' }));
    expect(missing.status).toBe(404);
    const traversal = await file.GET(new Request('http://test/x'), ctx({ id: 'first', file: '..' }));
    expect(traversal.status).toBe(404);

    const del = await item.DELETE(
      new Request('http://test/api/models/first', { method: 'DELETE' }),
      ctx({ id: 'first' }),
    );
    expect(del.status).toBe(200);
    expect(await storage.listBlobs('models/first/')).toEqual([]);
    const gone = await file.GET(new Request('http://test/x'), ctx({ id: 'first', file: 'model.json' }));
    expect(gone.status).toBe(404);
    const { models: left } = (await (await collection.GET()).json()) as { models: { card: ModelCard }[] };
    expect(left.map((m) => m.card.id)).toEqual(['second']);
    const twice = await item.DELETE(
      new Request('http://test/api/models/first', { method: 'DELETE' }),
      ctx({ id: 'first' }),
    );
    expect(twice.status).toBe(404);
  });
});

describe('delete racing a publish of the same model', () => {
  const served = (id: string, name: string) => file.GET(new Request(`http://test/x/${name}`), ctx({ id, file: name }));

  /** `storage`, but the first blob deletion waits for `meanwhile` first: a publish landing between a delete's two steps. */
  function deletingLate(meanwhile: () => Promise<unknown>): Storage {
    let first: Promise<unknown> | undefined;
    const late = () => (first ??= meanwhile());
    return {
      ...storage,
      deleteBlob: async (key) => (await late(), storage.deleteBlob(key)),
      deleteBlobs: async (prefix) => (await late(), storage.deleteBlobs(prefix)),
    };
  }

  it('the same bytes published again while the delete runs keep their files', async () => {
    const f = await files();
    await publishModel(storage, f);
    await deleteModel(
      deletingLate(() => publishModel(storage, f)),
      'tiny-test',
    );
    for (const name of ['model.json', 'weights.bin']) expect((await served('tiny-test', name)).status).toBe(200);
  });

  it('deleting a record from before per-publish folders removes its files only, not a newer publish', async () => {
    const f = await files();
    // A record of the old layout: files directly in models/<id>/, no blobPrefix.
    await storage.putBlob('models/tiny-test/model.json', f.modelJson);
    await storage.putBlob('models/tiny-test/weights.bin', f.weights);
    const legacy: ModelRecord = {
      card: card(),
      url: '/api/models/tiny-test/model.json',
      sha256: f.sha256,
      bytes: 1,
      weightFiles: ['weights.bin'],
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    await storage.insertRecord('models', 'tiny-test', legacy.createdAt, legacy);
    expect((await served('tiny-test', 'weights.bin')).status).toBe(200);

    await deleteModel(
      deletingLate(() => publishModel(storage, f)),
      'tiny-test',
    );
    for (const name of ['model.json', 'weights.bin']) expect((await served('tiny-test', name)).status).toBe(200);
    const blobs = await storage.listBlobs('models/tiny-test/');
    expect(blobs).toHaveLength(2);
    expect(blobs.every((b) => /^models\/tiny-test\/[0-9a-f]{16}-[0-9a-f]{8}\//.test(b))).toBe(true);
  });
});
