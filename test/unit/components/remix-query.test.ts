import { describe, expect, it } from 'vitest';
import { linkSampling, PLAIN_SAMPLING, readRemixQuery, readRowLimit } from '@/components/studio/remix-query';

describe('readRemixQuery', () => {
  it('reads every field of a full Remix link', () => {
    const q = readRemixQuery(
      '?model=mnist-tiny&seed=42&temperature=0.9&topK=8&topP=0.95&epsilon=0.001&image=3&complete=abc_DEF-1&keepRows=12&class=6&guidance=2.5&backend=wasm',
    );
    expect(q).toEqual({
      model: 'mnist-tiny',
      seed: 42,
      temperature: 0.9,
      topK: 8,
      topP: 0.95,
      epsilon: 0.001,
      image: 3,
      complete: 'abc_DEF-1',
      keepRows: 12,
      classId: 6,
      guidance: 2.5,
      backend: 'wasm',
    });
  });

  it('drops values out of range or malformed', () => {
    const q = readRemixQuery(
      '?seed=-1&temperature=11&topK=1.5&topP=0&epsilon=1&image=1024&complete=a/b&keepRows=0&class=255&guidance=1.3&backend=cuda',
    );
    expect(q).toEqual({
      model: undefined,
      seed: undefined,
      temperature: undefined,
      topK: undefined,
      topP: undefined,
      epsilon: undefined,
      image: undefined,
      complete: undefined,
      keepRows: undefined,
      classId: undefined,
      guidance: undefined,
      backend: undefined,
    });
    expect(readRemixQuery('?seed=&image=x').seed).toBeUndefined();
    expect(readRemixQuery('?seed=4294967296').seed).toBeUndefined();
    expect(readRemixQuery('?seed=4294967295').seed).toBe(4294967295);
    expect(readRemixQuery('?backend=auto').backend).toBe('auto');
    expect(readRemixQuery('?class=1.5&guidance=11').classId).toBeUndefined();
    expect(readRemixQuery('?guidance=11').guidance).toBeUndefined();
    expect(readRemixQuery('?class=0&guidance=0')).toMatchObject({ classId: 0, guidance: 0 });
  });
});

describe('linkSampling', () => {
  it('is null when the link sets no sampling', () => {
    expect(linkSampling(readRemixQuery('?seed=3&model=m'))).toBeNull();
  });

  it('fills what the link leaves out with plain sampling', () => {
    expect(linkSampling(readRemixQuery('?topK=5'))).toEqual({ ...PLAIN_SAMPLING, topK: 5 });
    expect(linkSampling(readRemixQuery('?temperature=0&epsilon=0.002'))).toEqual({
      temperature: 0,
      topK: 0,
      topP: 1,
      epsilon: 0.002,
    });
  });
});

describe('readRowLimit', () => {
  it('reads a positive whole number of rows, or none', () => {
    expect(readRowLimit('?rows=4')).toBe(4);
    expect(readRowLimit('')).toBeUndefined();
    expect(readRowLimit('?rows=0')).toBeUndefined();
    expect(readRowLimit('?rows=2.5')).toBeUndefined();
  });
});
