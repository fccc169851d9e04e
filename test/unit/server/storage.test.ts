import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStorage } from '@/lib/server/storage';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function temp() {
  const d = await mkdtemp(path.join(tmpdir(), 'storage-'));
  dirs.push(d);
  return d;
}

describe('storage', () => {
  it('stores records durably across instances, newest first, and refuses duplicate ids', async () => {
    const dataDir = await temp();
    const a = createStorage({ dataDir });
    await a.insertRecord('datasets', 'old', '2026-01-01T00:00:00.000Z', { n: 1 });
    await a.insertRecord('datasets', 'new', '2026-02-01T00:00:00.000Z', { n: 2 });
    await expect(a.insertRecord('datasets', 'old', '2026-03-01T00:00:00.000Z', {})).rejects.toThrow(/UNIQUE/);
    a.close();
    const b = createStorage({ dataDir });
    expect(await b.listRecords('datasets')).toEqual([{ n: 2 }, { n: 1 }]);
    expect(await b.getRecord('datasets', 'old')).toEqual({ n: 1 });
    expect(await b.deleteRecord('datasets', 'old')).toBe(true);
    expect(await b.deleteRecord('datasets', 'old')).toBe(false);
    expect(await b.getRecord('datasets', 'old')).toBeUndefined();
    b.close();
  });

  it('writes blobs atomically, streams them, deletes by prefix and refuses escaping keys', async () => {
    const dataDir = await temp();
    const s = createStorage({ dataDir });
    await s.putBlob('datasets/x/a.bin', new Uint8Array([1, 2, 3]));
    await s.putBlob('datasets/x/sub/b.bin', new Uint8Array([4]));
    await s.putBlob('datasets/y/a.bin', new Uint8Array([5]));
    await s.putBlob('datasets/x/a.bin', new Uint8Array([9, 9])); // replace
    expect(Array.from((await s.getBlob('datasets/x/a.bin'))!)).toEqual([9, 9]);
    const streamed = await s.blobStream('datasets/x/a.bin');
    expect(streamed!.size).toBe(2);
    expect(Array.from(new Uint8Array(await new Response(streamed!.stream).arrayBuffer()))).toEqual([9, 9]);
    expect(await s.listBlobs('datasets/x/')).toEqual(['datasets/x/a.bin', 'datasets/x/sub/b.bin']);
    expect((await readdir(path.join(dataDir, 'blobs/datasets/x'))).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    await s.deleteBlobs('datasets/x/');
    expect(await s.listBlobs('datasets/')).toEqual(['datasets/y/a.bin']);
    expect(await s.getBlob('datasets/x/a.bin')).toBeUndefined();
    expect(await s.blobStream('nope/a.bin')).toBeUndefined();
    for (const bad of ['../a.bin', 'datasets/../../a', '/etc/passwd', 'a//b', '']) {
      await expect(s.putBlob(bad, new Uint8Array(1))).rejects.toThrow(/invalid blob key/);
    }
    await expect(s.deleteBlobs('datasets')).rejects.toThrow(/must end with/);
    s.close();
  });

  it('deletes one blob, leaving the folders beside it', async () => {
    const s = createStorage({ dataDir: await temp() });
    await s.putBlob('models/m/model.json', new Uint8Array([1]));
    await s.putBlob('models/m/abc/model.json', new Uint8Array([2]));
    await s.deleteBlob('models/m/model.json');
    await s.deleteBlob('models/m/model.json'); // already gone: nothing to do
    expect(await s.listBlobs('models/')).toEqual(['models/m/abc/model.json']);
    await expect(s.deleteBlob('models/m/abc')).rejects.toThrow(); // a folder is not a blob
    await expect(s.deleteBlob('../x')).rejects.toThrow(/invalid blob key/);
    s.close();
  });

  it('lets a test inject a failure on the N-th blob write, leaving no partial file', async () => {
    const dataDir = await temp();
    const s = createStorage({
      dataDir,
      beforeBlobWrite: (_key, n) => {
        if (n === 2) throw new Error('injected');
      },
    });
    await s.putBlob('k/1.bin', new Uint8Array(10));
    await expect(s.putBlob('k/2.bin', new Uint8Array(10))).rejects.toThrow('injected');
    expect(await s.listBlobs('k/')).toEqual(['k/1.bin']);
    s.close();
  });
});
