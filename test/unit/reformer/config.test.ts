import { describe, expect, test } from 'vitest';
import { resolveConfig, ConfigError, unresolveConfig } from '@/lib/reformer/config';

describe('config', () => {
  test('fills defaults and resolves auto buckets to about 2·L/C', () => {
    const c = resolveConfig({ seqLength: 3072, chunkLength: 64, axialShape: [32, 32, 3] });
    expect(c.nBuckets).toBe(96);
    expect(c.bucketFactors).toEqual([96]);
    expect(c.dHead).toBe(64);
  });
  test('factorises auto buckets for long sequences, and resolving a resolved config changes nothing', () => {
    const long = resolveConfig({ seqLength: 65536, chunkLength: 64, axialShape: [256, 256] });
    expect(long.bucketFactors).toEqual([32, 64]);
    expect(long.nBuckets).toBe(2048);
    expect(resolveConfig(long)).toEqual(long);
    expect(unresolveConfig(long).nBuckets).toEqual([32, 64]);
    const explicit = resolveConfig({ nBuckets: [4, 6] });
    expect([explicit.nBuckets, explicit.bucketFactors]).toEqual([24, [4, 6]]);
    const one = resolveConfig({ nBuckets: 1 });
    expect([one.nBuckets, one.bucketFactors, unresolveConfig(one).nBuckets]).toEqual([1, [1], 1]);
  });
  test.each([
    [{ dModel: 30, nHeads: 4 }, /divisible by nHeads 4; try dModel 32/],
    [{ nBuckets: 5 }, /must be 1 or an even integer.*try 6/],
    [{ nBuckets: [4, 1] }, /factor 1 must be an even integer.*try 2/],
    [{ nBuckets: [] }, /at least one factor/],
    [{ seqLength: 4096, axialShape: [32, 32, 3] }, /covers 3072 positions but seqLength is 4096/],
    [{ layers: [] }, /at least one attention kind/],
    [{ layers: ['dense' as never] }, /one of lsh, local, full/],
    [{ neighbours: [[0, 1, 0]] }, /neighbour offset \[0,1,0\].*earlier position, e.g. \[-1, 0, 0\]/],
    [{ neighbours: [[-1, 0]] }, /one integer per axis/],
    [{ neighbours: [[-32, 0, 0]] }, /earlier position/],
  ])('rejects %j with a fix', (bad, message) => {
    expect(() => resolveConfig(bad)).toThrow(ConfigError);
    expect(() => resolveConfig(bad)).toThrow(message);
  });
});
