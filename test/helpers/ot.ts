/**
 * Shared fixtures of the OT tests (test/native, test/ot, test/cuda, test/bench): a seeded PRNG,
 * random ragged batches, marginals and embeddings, fully specified native options, and the
 * agreement measure the suites compare backends with.
 */
import type { NativeOptions } from '../../src/ot/native-addon.js';

export type Shape = [number, number];

/** mulberry32: small, deterministic, good enough for test data. Uniform in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A ragged batch of cost blocks with entries uniform in [0, scale). */
export function randomBatch(seed: number, shapes: Shape[], scale = 1) {
  const r = rng(seed);
  const rows = Int32Array.from(shapes.map((s) => s[0]));
  const cols = Int32Array.from(shapes.map((s) => s[1]));
  const total = shapes.reduce((acc, [n, m]) => acc + n * m, 0);
  const cost = new Float32Array(total);
  for (let i = 0; i < total; i++) cost[i] = r() * scale;
  return { rows, cols, cost };
}

/** Concatenated marginals, each problem's entries in [0.2, 1.2) normalised to mass 1. */
export function randomMarginals(seed: number, sizes: ArrayLike<number>): Float32Array {
  const r = rng(seed);
  let total = 0;
  for (let k = 0; k < sizes.length; k++) total += sizes[k];
  const out = new Float32Array(total);
  let o = 0;
  for (let k = 0; k < sizes.length; k++) {
    let s = 0;
    for (let i = 0; i < sizes[k]; i++) { out[o + i] = 0.2 + r(); s += out[o + i]; }
    for (let i = 0; i < sizes[k]; i++) out[o + i] /= s;
    o += sizes[k];
  }
  return out;
}

/** Ragged token embeddings x (Σ rows × dim) and y (Σ cols × dim), entries uniform in [lo, hi). */
export function randomEmbeddings(seed: number, shapes: Shape[], dim: number, lo = -1, hi = 1) {
  const r = rng(seed);
  const rows = Int32Array.from(shapes.map((s) => s[0]));
  const cols = Int32Array.from(shapes.map((s) => s[1]));
  const nx = shapes.reduce((a, s) => a + s[0], 0) * dim;
  const ny = shapes.reduce((a, s) => a + s[1], 0) * dim;
  const x = new Float32Array(nx);
  const y = new Float32Array(ny);
  for (let i = 0; i < nx; i++) x[i] = lo + r() * (hi - lo);
  for (let i = 0; i < ny; i++) y[i] = lo + r() * (hi - lo);
  return { rows, cols, dim, x, y };
}

/** Every native option filled in (the defaults of src/ot/options.ts, eps 0.1), overridden by `o`. */
export function nativeOptions(o: Partial<NativeOptions> = {}): NativeOptions {
  const eps = o.eps ?? 0.1;
  return { eps, maxIter: 1000, tol: 1e-6, checkEvery: 10, method: 'auto', errorNorm: 'l1', rho: Infinity, epsInit: eps, epsDecay: 1, threads: 0, ...o };
}

/** max |actual − reference| / max |reference|: agreement relative to the reference's largest magnitude. */
export function maxRelDiff(actual: ArrayLike<number>, reference: ArrayLike<number>): number {
  if (actual.length !== reference.length) return Infinity;
  let scale = 0;
  for (let i = 0; i < reference.length; i++) scale = Math.max(scale, Math.abs(reference[i]));
  scale = Math.max(scale, 1e-30);
  let d = 0;
  for (let i = 0; i < actual.length; i++) d = Math.max(d, Math.abs(actual[i] - reference[i]));
  return d / scale;
}
