/**
 * The one seeded pseudo-random generator of optical: xoshiro128** seeded through splitmix32, with a
 * serialisable state.
 *
 * Why our own PRNG: Math.random cannot be seeded, and every step that samples (code-switching,
 * splits, inverse-cloze query choice, weight initialisation, batch order, dropout seeds, bootstrap
 * resamples) must give byte-identical output for the same seed on any machine so experiments can be
 * reproduced and compared. 32-bit arithmetic keeps it exact in JS. `getState()`/`setState()` (plain
 * JSON) let a resumed training run draw exactly the numbers the uninterrupted run would have drawn.
 */

/** Everything the generator's future output depends on: the four state words and the cached second normal deviate. */
export interface RngState {
  words: [number, number, number, number];
  spareNormal: number | null;
}

/** splitmix32: turns an arbitrary 32-bit seed into well-mixed state words (avoids all-zero state). */
function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Hashes a string seed (e.g. "udhr:sw:fold") to 32 bits (FNV-1a), so sub-streams can be named. */
export function hashSeed(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** @param seed any finite number or string (numbers are truncated to 32 bits), or a saved state. */
  constructor(seed: number | string | RngState) {
    if (typeof seed === 'object') {
      this.a = this.b = this.c = this.d = 0;
      this.setState(seed);
      return;
    }
    let s: number;
    if (typeof seed === 'string') s = hashSeed(seed);
    else {
      if (!Number.isFinite(seed)) throw new RangeError(`Rng: seed must be a finite number, got ${seed}`);
      // Fold the high bits in so seeds above 2^32 still differ.
      s = (Math.trunc(seed) ^ Math.trunc(seed / 4294967296)) >>> 0;
    }
    const st = { s };
    this.a = splitmix32(st);
    this.b = splitmix32(st);
    this.c = splitmix32(st);
    this.d = splitmix32(st);
  }

  /** Next uniform 32-bit unsigned integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return result;
  }

  /** Uniform float in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform float in [0, 1) with 53 bits of resolution (two draws). */
  nextFloat(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  private spareNormal: number | null = null;

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spareNormal !== null) {
      const v = this.spareNormal;
      this.spareNormal = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Uniform integer in [0, n). Rejection sampling removes modulo bias. */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > 4294967296) throw new RangeError(`Rng.int: n must be an integer in [1, 2^32], got ${n}`);
    const limit = 4294967296 - (4294967296 % n);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return x % n;
  }

  /** True with probability p. */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Index drawn proportionally to non-negative weights (at least one must be positive). */
  weighted(weights: readonly number[]): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || !Number.isFinite(w)) throw new RangeError(`Rng.weighted: weight ${i} must be finite and >= 0, got ${w}`);
      total += w;
    }
    if (total <= 0) throw new RangeError('Rng.weighted: weights must not all be zero');
    let r = this.next() * total;
    for (let i = 0; i < weights.length; i++) {
      r -= weights[i];
      if (r < 0) return i;
    }
    return weights.length - 1;
  }

  /** The state as plain JSON (restore it with `new Rng(state)` or `setState`). */
  getState(): RngState {
    return { words: [this.a >>> 0, this.b >>> 0, this.c >>> 0, this.d >>> 0], spareNormal: this.spareNormal };
  }

  setState(state: RngState): void {
    const words: unknown = (state as Partial<RngState> | null)?.words;
    if (!Array.isArray(words) || words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
      throw new TypeError(`Rng state must be {words: [4 unsigned 32-bit integers], spareNormal: number | null}, got ${JSON.stringify(state)}`);
    }
    if (words.every((w) => w === 0)) throw new RangeError('Rng state must not be all zero (xoshiro128** would only return zeros)');
    const spare = state.spareNormal;
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) throw new TypeError(`Rng state spareNormal must be a finite number or null, got ${JSON.stringify(spare)}`);
    [this.a, this.b, this.c, this.d] = (words as number[]).map((w) => w | 0);
    this.spareNormal = spare;
  }

  /** In-place Fisher–Yates shuffle; returns the same array. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i];
      items[i] = items[j];
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
