import { describe, expect, it } from 'vitest';
import { DatasetIdSchema, ModelIdSchema, SampleIdSchema } from '@/lib/ids';

describe('dataset and model ids', () => {
  it.each([DatasetIdSchema, ModelIdSchema])('take lowercase letters, digits and hyphens up to 64', (schema) => {
    for (const id of ['a', '0', 'emoji-16', 'a-', `a${'b'.repeat(63)}`])
      expect(schema.safeParse(id).success).toBe(true);
    for (const id of ['', '-a', 'Emoji', 'a_b', 'a/b', '../a', 'a.b', `a${'b'.repeat(64)}`])
      expect(schema.safeParse(id).success).toBe(false);
  });

  it('say which kind of id was wrong', () => {
    expect(DatasetIdSchema.safeParse('A').error?.issues[0].message).toBe('not a dataset id');
    expect(ModelIdSchema.safeParse('A').error?.issues[0].message).toBe('not a model id');
  });
});

describe('sample ids', () => {
  it('are 22 base64url characters', () => {
    expect(SampleIdSchema.safeParse('AbC-_0123456789abcdefg').success).toBe(true);
    for (const id of ['AbC-_0123456789abcdef', 'AbC-_0123456789abcdefgh', 'AbC+/0123456789abcdefg'])
      expect(SampleIdSchema.safeParse(id).success).toBe(false);
    expect(SampleIdSchema.safeParse('x').error?.issues[0].message).toBe('not a sample id');
  });
});
