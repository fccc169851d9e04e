import { describe, expect, it } from 'vitest';
import { LIMITS } from '@/lib/server/datasets/limits';
import { isZip, readZip, unsafeEntryName } from '@/lib/server/datasets/zip';
import { deflated, zeroBomb, zip } from './fixtures';

const MiB = 1 << 20;

describe('readZip', () => {
  it('counts inflated bytes across entries and stops at the uncompressed budget', async () => {
    const limits = { ...LIMITS, bytesPerFile: 2 * MiB, zipUncompressedBytes: 3 * MiB };
    const entries = await Promise.all([1, 2, 3, 4].map((i) => zeroBomb(`z${i}.bin`, 1)));
    const items = await readZip('many.zip', zip(entries), limits, 100);
    expect(items.map((i) => i.name)).toEqual([
      'many.zip/z1.bin',
      'many.zip/z2.bin',
      'many.zip/z3.bin',
      'many.zip/z4.bin',
      'many.zip',
    ]);
    expect('bytes' in items[0] && items[0].bytes.length).toBe(MiB);
    expect(items[3]).toMatchObject({ reason: expect.stringMatching(/zip too large/) });
    expect(items[4]).toMatchObject({ reason: expect.stringMatching(/the rest was not read/) });
  });

  it('rejects an entry whose header claims less than it inflates to, while inflating', async () => {
    // Header says 1 MiB (under the limit) but the data inflates to 5 MiB: the header check passes, counting catches it.
    const liar = await zeroBomb('liar.png', 5, MiB);
    const items = await readZip(
      'liar.zip',
      zip([liar, deflated('next.png', new Uint8Array([7]))]),
      { ...LIMITS, bytesPerFile: 2 * MiB },
      100,
    );
    expect(items).toEqual([
      { name: 'liar.zip/liar.png', reason: expect.stringMatching(/zip bomb/) },
      { name: 'liar.zip/next.png', bytes: new Uint8Array([7]) },
    ]);
  });

  it('rejects by header an entry that declares more than the per-file limit, without inflating it', async () => {
    const honest = await zeroBomb('big.png', 3);
    const items = await readZip('big.zip', zip([honest]), { ...LIMITS, bytesPerFile: 2 * MiB }, 100);
    expect(items).toEqual([
      { name: 'big.zip/big.png', reason: 'too large: 3.0 MiB exceeds the 2.0 MiB limit per file' },
    ]);
  });

  it('stops at the entry limit, skips noise, and reports unsafe names', async () => {
    const one = new Uint8Array([1]);
    const items = await readZip(
      'x.zip',
      zip([
        deflated('a', one),
        deflated('__MACOSX/._a', one),
        deflated('.hidden', one),
        deflated('dir/../../b', one),
        deflated('c', one),
        deflated('d', one),
      ]),
      LIMITS,
      2,
    );
    expect(items.map((i) => [i.name, 'reason' in i ? i.reason.split(':')[0] : 'ok'])).toEqual([
      ['x.zip/a', 'ok'],
      ['x.zip/dir/../../b', 'unsafe path in zip'], // counts as an entry: refused names cannot flood the report
      ['x.zip', 'too many files'],
    ]);
    const unsafe = Array.from({ length: 50 }, (_, i) => deflated(`../e${i}`, one));
    expect(await readZip('flood.zip', zip(unsafe), LIMITS, 3)).toHaveLength(4);
  });

  it('shares one uncompressed budget across the zips of an upload', async () => {
    const limits = { ...LIMITS, bytesPerFile: 2 * MiB, zipUncompressedBytes: 3 * MiB };
    const budget = { inflated: 0 };
    const results = [];
    for (const n of [1, 2, 3])
      results.push(
        await readZip(
          `z${n}.zip`,
          zip([await zeroBomb(`a${n}.bin`, 1), await zeroBomb(`b${n}.bin`, 1)]),
          limits,
          100,
          budget,
        ),
      );
    const read = results.flat().filter((i) => 'bytes' in i).length;
    expect(read).toBe(3); // 3 MiB in all, not 3 MiB per zip
    expect(results[2].at(-1)).toMatchObject({
      name: 'z3.zip',
      reason: expect.stringMatching(/the upload's zips inflate to more than 3.0 MiB/),
    });
  });

  it('tells onEntry of each entry read, noise too, with the count the directory declares', async () => {
    const one = new Uint8Array([1]);
    const heard: [number, number][] = [];
    await readZip(
      'x.zip',
      zip([deflated('a', one), deflated('.hidden', one), deflated('b', one)]),
      LIMITS,
      100,
      undefined,
      (read, declared) => heard.push([read, declared]),
    );
    expect(heard).toEqual([
      [1, 3],
      [2, 3],
      [3, 3],
    ]);
  });

  it('reports a zip holding only noise as empty', async () => {
    const items = await readZip(
      'mac.zip',
      zip([deflated('__MACOSX/._a.png', new Uint8Array([1])), deflated('folder/', new Uint8Array(0))]),
      LIMITS,
      10,
    );
    expect(items).toEqual([{ name: 'mac.zip', reason: expect.stringMatching(/^empty zip/) }]);
  });

  it('labels each file with its class folder, and reports a class folder with no file as a skipped item', async () => {
    const one = new Uint8Array([1]);
    const items = await readZip(
      'pets.zip',
      zip([
        deflated('pets/', new Uint8Array(0)),
        deflated('pets/cats/a.png', one),
        deflated('pets/dogs/', new Uint8Array(0)),
        deflated('pets/birds/b.png', one),
        deflated('pets/top.png', one),
      ]),
      LIMITS,
      10,
    );
    expect(items).toEqual([
      { name: 'pets.zip/pets/cats/a.png', bytes: one, label: 'cats' },
      { name: 'pets.zip/pets/birds/b.png', bytes: one, label: 'birds' },
      { name: 'pets.zip/pets/top.png', bytes: one },
      { name: 'pets.zip/pets/dogs/', reason: 'empty folder: no image inside', label: 'dogs' },
    ]);
    expect('label' in items[2]).toBe(false);
  });

  it('reports a corrupt archive instead of throwing', async () => {
    const items = await readZip('bad.zip', new Uint8Array([0x50, 0x4b, 3, 4, 1, 2, 3]), LIMITS, 10);
    expect(items).toEqual([{ name: 'bad.zip', reason: expect.stringMatching(/^corrupt zip/) }]);
  });

  it('recognises zips and unsafe names', () => {
    expect(isZip(zip([]))).toBe(true);
    expect(isZip(new Uint8Array([0x89, 0x50]))).toBe(false);
    expect(unsafeEntryName('C:\\evil.png')).toMatch(/absolute/);
    expect(unsafeEntryName('a\\..\\..\\evil.png')).toMatch(/\.\./);
    expect(unsafeEntryName('a/b..c.png')).toBeUndefined();
  });
});
