/**
 * The tfjs-ops Sinkhorn peer: what a TypeScript user without optical would write — batched
 * log-domain Sinkhorn with tf.logSumExp on padded [B, nMax, mMax] tensors. Same conventions as
 * src/ot/types.ts (P_ij = a_i b_j exp((f_i + g_j − C_ij)/eps); one iteration = f update then g
 * update; exactly `iters` iterations, no convergence test), so its plan is directly comparable.
 *
 * The loop works with potentials scaled by 1/eps (fs = f/eps, gs = g/eps) and the precomputed
 * −C/eps, which is how one would write it to avoid two extra elementwise passes per update.
 */
import type { FloatArray, SinkhornProblem } from '../../src/ot/types.js';
import type { Tensor3D } from '@tensorflow/tfjs';
import type { Tf } from './tfjs-backend.js';

/**
 * Stand-in for log(0) on padded or zero-weight entries. −Infinity would make tf.logSumExp return
 * NaN for a slice whose entries are all −Infinity (its max-shift computes −inf − (−inf)); a large
 * finite negative number underflows exp() to exactly 0 instead and stays finite in fp32 when added.
 */
const LOG_ZERO = -1e30;

export interface TfjsSinkhornOptions {
  eps: number;
  iters: number;
}

export interface TfjsSinkhornResult {
  /** Ragged plan, concatenated row-major blocks like the input cost. */
  plan: Float32Array;
  f: Float32Array;
  g: Float32Array;
  iterations: Int32Array;
}

export async function tfjsSinkhorn(tf: Tf, problem: SinkhornProblem, options: TfjsSinkhornOptions): Promise<TfjsSinkhornResult> {
  const { rows, cols, cost } = problem;
  const { eps, iters } = options;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new RangeError(`eps must be a positive finite number, got ${eps}`);
  if (!Number.isInteger(iters) || iters < 1) throw new RangeError(`iters must be an integer ≥ 1, got ${iters}`);
  const B = rows.length;
  if (cols.length !== B) throw new RangeError(`rows and cols must have the same length (${B} vs ${cols.length})`);
  let nMax = 0;
  let mMax = 0;
  let cells = 0;
  let sumRows = 0;
  let sumCols = 0;
  for (let k = 0; k < B; k++) {
    if (!(rows[k] >= 1) || !(cols[k] >= 1)) throw new RangeError(`problem ${k}: rows and cols must be ≥ 1 (got ${rows[k]}×${cols[k]})`);
    nMax = Math.max(nMax, rows[k]);
    mMax = Math.max(mMax, cols[k]);
    cells += rows[k] * cols[k];
    sumRows += rows[k];
    sumCols += cols[k];
  }
  if (cost.length !== cells) throw new RangeError(`cost has ${cost.length} entries, rows·cols sum to ${cells}`);
  if (problem.a && problem.a.length !== sumRows) throw new RangeError(`a has ${problem.a.length} entries, rows sum to ${sumRows}`);
  if (problem.b && problem.b.length !== sumCols) throw new RangeError(`b has ${problem.b.length} entries, cols sum to ${sumCols}`);

  // Host-side padding: cost to [B, nMax, mMax] (pad value irrelevant, its weight is 0), log-marginals
  // with LOG_ZERO on the padding.
  const uniform = isUniformBatch(rows, cols);
  const paddedCost = uniform ? toFloat32(cost) : new Float32Array(B * nMax * mMax);
  const logA = new Float32Array(B * nMax).fill(LOG_ZERO);
  const logB = new Float32Array(B * mMax).fill(LOG_ZERO);
  {
    let off = 0;
    let offA = 0;
    let offB = 0;
    for (let k = 0; k < B; k++) {
      const n = rows[k];
      const m = cols[k];
      if (!uniform) {
        for (let i = 0; i < n; i++) {
          for (let j = 0; j < m; j++) paddedCost[(k * nMax + i) * mMax + j] = cost[off + i * m + j];
        }
      }
      fillLog(logA, k * nMax, problem.a, offA, n);
      fillLog(logB, k * mMax, problem.b, offB, m);
      off += n * m;
      offA += n;
      offB += m;
    }
  }

  const mC = tf.tidy(() => tf.mul(tf.tensor3d(paddedCost, [B, nMax, mMax]), -1 / eps));
  const la = tf.tensor3d(logA, [B, nMax, 1]);
  const lb = tf.tensor3d(logB, [B, 1, mMax]);
  let fs = tf.zeros([B, nMax, 1]) as Tensor3D;
  let gs = tf.zeros([B, 1, mMax]) as Tensor3D;
  try {
    for (let t = 0; t < iters; t++) {
      const nf = tf.tidy(() => tf.neg(tf.logSumExp(tf.add(mC, tf.add(lb, gs)), 2, true))) as Tensor3D;
      fs.dispose();
      fs = nf;
      const ng = tf.tidy(() => tf.neg(tf.logSumExp(tf.add(mC, tf.add(la, fs)), 1, true))) as Tensor3D;
      gs.dispose();
      gs = ng;
    }
    const planT = tf.tidy(() => tf.exp(tf.add(tf.add(mC, tf.add(la, fs)), tf.add(lb, gs))));
    const [planPadded, fPadded, gPadded] = await Promise.all([planT.data(), fs.data(), gs.data()]);
    planT.dispose();
    return unpad(planPadded as Float32Array, fPadded as Float32Array, gPadded as Float32Array, rows, cols, nMax, mMax, eps, iters, uniform);
  } finally {
    mC.dispose();
    la.dispose();
    lb.dispose();
    fs.dispose();
    gs.dispose();
  }
}

function isUniformBatch(rows: Int32Array, cols: Int32Array): boolean {
  for (let k = 1; k < rows.length; k++) if (rows[k] !== rows[0] || cols[k] !== cols[0]) return false;
  return true;
}

function toFloat32(x: FloatArray): Float32Array {
  return x instanceof Float32Array ? x : Float32Array.from(x);
}

function fillLog(dst: Float32Array, at: number, weights: FloatArray | undefined, from: number, count: number): void {
  for (let i = 0; i < count; i++) {
    const w = weights ? weights[from + i] : 1 / count;
    dst[at + i] = w > 0 ? Math.log(w) : LOG_ZERO;
  }
}

function unpad(plan: Float32Array, fs: Float32Array, gs: Float32Array, rows: Int32Array, cols: Int32Array,
  nMax: number, mMax: number, eps: number, iters: number, uniform: boolean): TfjsSinkhornResult {
  const B = rows.length;
  let cells = 0;
  let sumRows = 0;
  let sumCols = 0;
  for (let k = 0; k < B; k++) {
    cells += rows[k] * cols[k];
    sumRows += rows[k];
    sumCols += cols[k];
  }
  const outPlan = uniform ? plan : new Float32Array(cells);
  const f = new Float32Array(sumRows);
  const g = new Float32Array(sumCols);
  let off = 0;
  let offA = 0;
  let offB = 0;
  for (let k = 0; k < B; k++) {
    const n = rows[k];
    const m = cols[k];
    if (!uniform) {
      for (let i = 0; i < n; i++) outPlan.set(plan.subarray((k * nMax + i) * mMax, (k * nMax + i) * mMax + m), off + i * m);
    }
    for (let i = 0; i < n; i++) f[offA + i] = eps * fs[k * nMax + i];
    for (let j = 0; j < m; j++) g[offB + j] = eps * gs[k * mMax + j];
    off += n * m;
    offA += n;
    offB += m;
  }
  return { plan: outPlan, f, g, iterations: new Int32Array(B).fill(iters) };
}
