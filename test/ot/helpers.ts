/** Shared fixtures for OT tests: a seeded PRNG and random ragged batches. */
export function rng(seed: number): () => number {
  // mulberry32: small, deterministic, good enough for test data.
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomBatch(seed: number, shapes: [number, number][], scale = 1) {
  const r = rng(seed);
  const rows = Int32Array.from(shapes.map((s) => s[0]));
  const cols = Int32Array.from(shapes.map((s) => s[1]));
  const total = shapes.reduce((acc, [n, m]) => acc + n * m, 0);
  const cost = new Float32Array(total);
  for (let i = 0; i < total; i++) cost[i] = r() * scale;
  return { rows, cols, cost };
}

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

export function randomEmbeddings(seed: number, rows: number[], cols: number[], dim: number) {
  const r = rng(seed);
  const nx = rows.reduce((a, b) => a + b, 0) * dim;
  const ny = cols.reduce((a, b) => a + b, 0) * dim;
  const x = new Float32Array(nx);
  const y = new Float32Array(ny);
  for (let i = 0; i < nx; i++) x[i] = r() * 2 - 1;
  for (let i = 0; i < ny; i++) y[i] = r() * 2 - 1;
  return { rows: Int32Array.from(rows), cols: Int32Array.from(cols), dim, x, y };
}

/** max |a − b| / max(|b|, floor): relative agreement scaled by the reference's largest magnitude. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 0;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]));
  scale = Math.max(scale, 1e-30);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d / scale;
}
