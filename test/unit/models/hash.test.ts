import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShippedIndexSchema } from '@/lib/models/card';
import { modelHash } from '@/lib/models/hash';

/** The computation modelHash replaced: node:crypto over model.json's text, then each weight file. */
function nodeHash(json: string, weights: Uint8Array[]): string {
  const hash = createHash('sha256').update(json);
  for (const w of weights) hash.update(w);
  return hash.digest('hex');
}

const json = JSON.stringify({ modelTopology: { name: 'reformer' }, note: 'ünïcödé ✓' });
const bytes = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

describe('modelHash', () => {
  it("equals node:crypto's sha256 of model.json's text followed by the weights", async () => {
    const weights = bytes(70_001, 7);
    expect(await modelHash(json, weights)).toBe(nodeHash(json, [weights]));
  });

  it('hashes the text and its UTF-8 bytes alike, and weight files in order as one stream', async () => {
    const parts = [bytes(10, 1), bytes(0, 2), bytes(4097, 3)];
    const expected = nodeHash(json, parts);
    expect(await modelHash(new TextEncoder().encode(json), parts)).toBe(expected);
    expect(await modelHash(json, parts)).toBe(expected);
    expect(await modelHash(json, [...parts].reverse())).not.toBe(expected);
  });

  it('is 64 lowercase hex digits', async () => {
    expect(await modelHash('', new Uint8Array())).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
  });
});

describe('the shipped models', () => {
  const { models } = ShippedIndexSchema.parse(JSON.parse(readFileSync('public/models/index.json', 'utf8')));

  it.each(models.map((m) => [m.card.id, m] as const))('%s still hashes to its listed sha256', async (_, model) => {
    const dir = path.join('public', path.dirname(model.url));
    const json = readFileSync(path.join(dir, 'model.json'));
    const manifest = JSON.parse(json.toString('utf8')) as { weightsManifest: { paths: string[] }[] };
    const weights = manifest.weightsManifest.flatMap((g) => g.paths).map((f) => readFileSync(path.join(dir, f)));
    expect(await modelHash(json, weights)).toBe(model.sha256);
  });
});
