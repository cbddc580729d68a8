/**
 * Reference cost builders from ragged token embeddings (Float64 arithmetic).
 *   cosine:      C_ij = 1 − x_i·y_j / (max(‖x_i‖, 1e-8) · max(‖y_j‖, 1e-8))   (torch's clamp)
 *   sqeuclidean: C_ij = ‖x_i − y_j‖²
 *   dot:         C_ij = −x_i·y_j
 */
import type { CostKind, FloatArray } from '../types.js';

export const NORM_FLOOR = 1e-8;

/** Row norms of an (count × dim) block, clamped at NORM_FLOOR. */
export function clampedNorms(x: FloatArray, offset: number, count: number, dim: number): Float64Array {
  const out = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    let s = 0;
    const base = (offset + i) * dim;
    for (let d = 0; d < dim; d++) s += x[base + d] * x[base + d];
    out[i] = Math.max(Math.sqrt(s), NORM_FLOOR);
  }
  return out;
}

/** Cost block for one problem: x rows [xo, xo+n), y rows [yo, yo+m). Returns n×m Float64. */
export function costBlock(kind: CostKind, x: FloatArray, xo: number, n: number, y: FloatArray, yo: number, m: number, dim: number): Float64Array {
  const C = new Float64Array(n * m);
  const nx = kind === 'cosine' ? clampedNorms(x, xo, n, dim) : undefined;
  const ny = kind === 'cosine' ? clampedNorms(y, yo, m, dim) : undefined;
  for (let i = 0; i < n; i++) {
    const xb = (xo + i) * dim;
    for (let j = 0; j < m; j++) {
      const yb = (yo + j) * dim;
      let v = 0;
      if (kind === 'sqeuclidean') {
        for (let d = 0; d < dim; d++) { const t = x[xb + d] - y[yb + d]; v += t * t; }
      } else {
        for (let d = 0; d < dim; d++) v += x[xb + d] * y[yb + d];
        v = kind === 'cosine' ? 1 - v / (nx![i] * ny![j]) : -v;
      }
      C[i * m + j] = v;
    }
  }
  return C;
}

export function costMatricesReference(
  pairs: { rows: Int32Array; cols: Int32Array; dim: number; x: FloatArray; y: FloatArray },
  o: { kind?: CostKind },
): Float32Array {
  const kind = o.kind ?? 'cosine';
  let total = 0;
  for (let k = 0; k < pairs.rows.length; k++) total += pairs.rows[k] * pairs.cols[k];
  const out = new Float32Array(total);
  let xo = 0;
  let yo = 0;
  let bo = 0;
  for (let k = 0; k < pairs.rows.length; k++) {
    const n = pairs.rows[k];
    const m = pairs.cols[k];
    out.set(costBlock(kind, pairs.x, xo, n, pairs.y, yo, m, pairs.dim), bo);
    xo += n; yo += m; bo += n * m;
  }
  return out;
}
