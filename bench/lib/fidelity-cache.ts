/**
 * What the fidelity benchmark keeps between runs, under `.data/fidelity-cache/` (gitignored with
 * .data/): the trained classifier per dataset and settings, and a model's samples per model
 * weights, seed and options, so that rerunning it only measures what changed.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const CACHE_DIR = path.join(process.env.DATA_DIR ?? '.data', 'fidelity-cache');

/** The first 12 hex digits of the sha256 of a JSON-serialisable key. */
export function keyHash(key: unknown): string {
  return createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 12);
}

/** The sha256 of every file of a model folder (model.json and its weights), as one hex digest. */
export function modelDirHash(dir: string): string {
  const hash = createHash('sha256');
  for (const name of readdirSync(dir).sort()) {
    if (name !== 'model.json' && !/^weights.*\.bin$/.test(name)) continue;
    hash.update(name).update(readFileSync(path.join(dir, name)));
  }
  return hash.digest('hex');
}

/** Bytes stored under `name`, or undefined. */
export function readCached(name: string): Uint8Array | undefined {
  const file = path.join(CACHE_DIR, name);
  return existsSync(file) ? new Uint8Array(readFileSync(file)) : undefined;
}

/** Stores bytes under `name` (written to a temp file, then renamed: a cut-short run leaves nothing half-written). */
export function writeCached(name: string, bytes: Uint8Array | string): void {
  const file = path.join(CACHE_DIR, name);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, bytes);
  renameSync(`${file}.tmp`, file);
}
