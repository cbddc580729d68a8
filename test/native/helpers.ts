/**
 * Shared pieces of the native addon tests: loading the addon (OPTICAL_NATIVE_PATH selects another
 * build, e.g. the ASan one) and plan checks; the data fixtures come from test/helpers/ot.ts.
 */
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from '../../src/ot/native-addon.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const addonPath = resolve(root, process.env.OPTICAL_NATIVE_PATH ?? 'build/Release/optical.node');

/** The CPU addon. A missing build fails the tests (it is built by `npm ci` / `npm run build:native`). */
export const addon: NativeAddon = createRequire(import.meta.url)(addonPath) as NativeAddon;

export { maxRelDiff, nativeOptions as opts, randomBatch as randomCosts, randomEmbeddings, randomMarginals, rng, type Shape } from '../helpers/ot.js';

/** Row and column sums of block k of a ragged plan. */
export function blockMarginals(plan: Float32Array, rows: Int32Array, cols: Int32Array, k: number) {
  let off = 0;
  for (let l = 0; l < k; l++) off += rows[l] * cols[l];
  const n = rows[k];
  const m = cols[k];
  const r = new Float64Array(n);
  const c = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) { r[i] += plan[off + i * m + j]; c[j] += plan[off + i * m + j]; }
  return { r, c, off };
}

/** The slice of a concatenated per-row (or per-col) array that belongs to problem k. */
export function slice(x: ArrayLike<number> | undefined, sizes: Int32Array, k: number): number[] {
  let off = 0;
  for (let l = 0; l < k; l++) off += sizes[l];
  if (!x) return Array.from({ length: sizes[k] }, () => 1 / sizes[k]);
  return Array.from({ length: sizes[k] }, (_, i) => x[off + i]);
}

/** True when two typed arrays hold exactly the same bytes (fast, and no giant diff on failure). */
export function sameBits(a: ArrayBufferView, b: ArrayBufferView): boolean {
  return Buffer.compare(
    Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    Buffer.from(b.buffer, b.byteOffset, b.byteLength),
  ) === 0;
}

/** Index of the first entry that fails `ok`, or −1 (one expect per array instead of one per entry). */
export function firstBad(x: ArrayLike<number>, ok: (v: number) => boolean): number {
  for (let i = 0; i < x.length; i++) if (!ok(x[i])) return i;
  return -1;
}
export const finite = (v: number) => Number.isFinite(v);
export const nonNegative = (v: number) => v >= 0;
