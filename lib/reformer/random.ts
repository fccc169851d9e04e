/**
 * Seeded random streams for sampling and training: xoshiro128** (Blackman & Vigna 2018,
 * "Scrambled linear pseudorandom number generators", prng.di.unimi.it) on four 32-bit words,
 * seeded and forked through the murmur3 32-bit finalizer so every stream can be saved and resumed.
 *
 * Pure 32-bit integer arithmetic (`Math.imul`, `>>>`), so a seed gives the same stream in every
 * JavaScript engine, independent of the TensorFlow.js backend.
 */

/** A deterministic random stream. Not thread-safe in spirit: give each consumer its own `fork`. */
export interface Rng {
  /** Uniform float in [0, 1) with 32 bits of resolution; consumes exactly one `nextUint32`. */
  nextFloat(): number;
  /** Uniform integer in [0, 2^32). */
  nextUint32(): number;
  /**
   * An independent child stream derived from this stream's current state and `label`.
   * Deterministic: the same state and label always give the same child. Does not advance this
   * stream, so fork labels (e.g. one per batch row) must differ to get different children.
   * `1` and `'1'` are different labels.
   */
  fork(label: number | string): Rng;
  /** A copy of the four state words; `rngFromState(rng.state())` continues exactly where `rng` is. */
  state(): number[];
}

const UINT32_RANGE = 4294967296; // 2^32
const GOLDEN = 0x9e3779b9; // 2^32 / φ, the splitmix increment

/** murmur3 fmix32: a bijection on 32-bit words with full avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** FNV-1a over a type tag and the label's UTF-16 code units, then fmix32. */
function hashLabel(label: number | string): number {
  const text = (typeof label === 'number' ? 'n:' : 's:') + String(label);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  }
  return fmix32(h >>> 0);
}

class Xoshiro128 implements Rng {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

  constructor(words: readonly number[]) {
    [this.s0, this.s1, this.s2, this.s3] = words as [number, number, number, number];
  }

  nextUint32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    this.s2 = (this.s2 ^ this.s0) >>> 0;
    this.s3 = (this.s3 ^ s1) >>> 0;
    this.s1 = (s1 ^ this.s2) >>> 0;
    this.s0 = (this.s0 ^ this.s3) >>> 0;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  nextFloat(): number {
    return this.nextUint32() / UINT32_RANGE;
  }

  fork(label: number | string): Rng {
    const parent = [this.s0, this.s1, this.s2, this.s3];
    const h = hashLabel(label);
    const child: number[] = [];
    for (let j = 0; j < 4; j++) {
      // Each child word absorbs the label and all four parent words, in a different order and
      // with a different starting constant, so children of nearby labels/states are unrelated.
      let a = fmix32((h + Math.imul(j + 1, GOLDEN)) >>> 0);
      for (let i = 0; i < 4; i++) {
        a = fmix32((a ^ parent[(i + j) & 3]!) >>> 0);
        a = (a + GOLDEN) >>> 0;
      }
      child.push(a);
    }
    return new Xoshiro128(nonZero(child));
  }

  state(): number[] {
    return [this.s0, this.s1, this.s2, this.s3];
  }
}

/** xoshiro's only forbidden state is all zeros; map it to a fixed nonzero one. */
function nonZero(words: number[]): number[] {
  return words.every((w) => w === 0) ? [GOLDEN, 0, 0, 0] : words;
}

function isUint32(x: unknown): x is number {
  return typeof x === 'number' && Number.isInteger(x) && x >= 0 && x < UINT32_RANGE;
}

/**
 * A stream for `seed`, an integer in [0, 2^32). The four state words are splitmix32 outputs of
 * the seed, never all zero.
 */
export function createRng(seed: number): Rng {
  if (!isUint32(seed)) {
    throw new Error(
      `seed ${seed} must be an integer in [0, 4294967295]; use randomSeed() for a fresh one ` +
        'or `Math.floor(x) >>> 0` to wrap an arbitrary number',
    );
  }
  const words: number[] = [];
  for (let k = 1; k <= 4; k++) words.push(fmix32((seed + Math.imul(k, GOLDEN)) >>> 0));
  return new Xoshiro128(nonZero(words));
}

/** Resume a stream from `rng.state()` (four 32-bit unsigned words, not all zero). */
export function rngFromState(state: readonly number[]): Rng {
  if (!Array.isArray(state) || state.length !== 4 || !state.every(isUint32)) {
    throw new Error(
      `rng state ${JSON.stringify(state)} must be four integers in [0, 4294967295] ` + 'as returned by rng.state()',
    );
  }
  if (state.every((w) => w === 0)) {
    throw new Error('rng state [0,0,0,0] is invalid (xoshiro128** never reaches it); use rng.state()');
  }
  return new Xoshiro128(state);
}

/** A fresh 32-bit unsigned seed: `crypto.getRandomValues` when available, `Math.random` otherwise. */
export function randomSeed(): number {
  const c = (globalThis as { crypto?: { getRandomValues?: <T extends Uint32Array>(a: T) => T } }).crypto;
  if (c?.getRandomValues) return c.getRandomValues(new Uint32Array(1))[0]!;
  return Math.floor(Math.random() * UINT32_RANGE) >>> 0;
}
