/**
 * Pure-TypeScript reference Sinkhorn: the test oracle for the native backends and the `js` fallback.
 * Float64 throughout, log-domain always. The scaling form (Sinkhorn–Knopp) performs the same updates
 * in another parametrisation (u = e^{f/eps}, v = e^{g/eps}), so with the same iteration count it
 * reaches the same iterate; the oracle therefore runs the stable log form for every `method`.
 *
 * Exact algorithm (the native kernels follow it step by step):
 *   for t = 0 .. maxIter−1:
 *     e   = max(eps, epsInit · epsDecay^t)          (eps schedule; e = eps without one)
 *     phi = rho / (rho + e)                         (1 when balanced, rho = ∞)
 *     f_i = phi · (−e · log Σ_j b_j exp((g_j − C_ij)/e))
 *     g_j = phi · (−e · log Σ_i a_i exp((f_i − C_ij)/e))
 *     it = t + 1
 *     if it % checkEvery == 0 or it == maxIter:
 *        error = ‖P1 − a‖ + ‖Pᵀ1 − b‖ with P from (f, g, e)        (balanced)
 *              = max_i |f_i − f_i'| + max_j |g_j − g_j'|  (f', g' = before iteration t; unbalanced)
 *        if e == eps and tol > 0 and error ≤ tol: converged, stop.
 *   plan, cost and value use the e of the last iteration.
 * Problems are independent: each stops on its own.
 */
import type { NativeOptions } from '../native-addon.js';
import type { FloatArray, SinkhornResult } from '../types.js';
import { epsAt } from '../options.js';

export interface DenseProblem {
  n: number;
  m: number;
  /** n×m row-major. */
  cost: ArrayLike<number>;
  a: Float64Array;
  b: Float64Array;
}

export interface DenseSolution {
  plan: Float64Array;
  f: Float64Array;
  g: Float64Array;
  cost: number;
  value: number;
  iterations: number;
  error: number;
  converged: boolean;
}

/** Generalised KL divergence Σ p log(p/q) − p + q, with 0·log 0 = 0. */
function kl(p: Float64Array, q: Float64Array): number {
  let s = 0;
  for (let i = 0; i < p.length; i++) {
    if (p[i] > 0) s += p[i] * Math.log(p[i] / q[i]);
    s += q[i] - p[i];
  }
  return s;
}

/** Solves one dense problem. */
export function solveDense(p: DenseProblem, o: NativeOptions): DenseSolution {
  const { n, m, cost: C, a, b } = p;
  const f = new Float64Array(n);
  const g = new Float64Array(m);
  const fPrev = new Float64Array(n);
  const gPrev = new Float64Array(m);
  const logA = a.map(Math.log); // −∞ for a zero weight: exp(−∞) = 0 drops that term
  const logB = b.map(Math.log);
  const balanced = o.rho === Infinity;
  const row = new Float64Array(Math.max(n, m));
  let e = o.eps;
  let iterations = 0;
  let error = Infinity;
  let converged = false;

  const planAt = (eNow: number, out: Float64Array) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        out[i * m + j] = Math.exp(logA[i] + logB[j] + (f[i] + g[j] - C[i * m + j]) / eNow);
      }
    }
  };
  const plan = new Float64Array(n * m);

  for (let t = 0; t < o.maxIter; t++) {
    e = epsAt(o, t);
    const phi = balanced ? 1 : o.rho / (o.rho + e);
    if (!balanced) { fPrev.set(f); gPrev.set(g); }
    // f update: log-sum-exp over j, shifted by its max for stability.
    for (let i = 0; i < n; i++) {
      let mx = -Infinity;
      for (let j = 0; j < m; j++) {
        const z = logB[j] + (g[j] - C[i * m + j]) / e;
        row[j] = z;
        if (z > mx) mx = z;
      }
      let s = 0;
      for (let j = 0; j < m; j++) s += Math.exp(row[j] - mx);
      f[i] = phi * (-e * (mx + Math.log(s)));
    }
    for (let j = 0; j < m; j++) {
      let mx = -Infinity;
      for (let i = 0; i < n; i++) {
        const z = logA[i] + (f[i] - C[i * m + j]) / e;
        row[i] = z;
        if (z > mx) mx = z;
      }
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.exp(row[i] - mx);
      g[j] = phi * (-e * (mx + Math.log(s)));
    }
    iterations = t + 1;
    if (iterations % o.checkEvery === 0 || iterations === o.maxIter) {
      if (balanced) {
        planAt(e, plan);
        error = marginalError(plan, n, m, a, b, o.errorNorm);
      } else {
        let df = 0;
        let dg = 0;
        for (let i = 0; i < n; i++) df = Math.max(df, Math.abs(f[i] - fPrev[i]));
        for (let j = 0; j < m; j++) dg = Math.max(dg, Math.abs(g[j] - gPrev[j]));
        error = df + dg;
      }
      if (e === o.eps && o.tol > 0 && error <= o.tol) { converged = true; break; }
    }
  }

  planAt(e, plan);
  let transport = 0;
  let entropic = 0; // Σ P (f_i + g_j − C_ij)  = eps · Σ P log(P / ab)
  let mass = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const pij = plan[i * m + j];
      if (pij > 0) {
        transport += pij * C[i * m + j];
        entropic += pij * (f[i] + g[j] - C[i * m + j]);
      }
      mass += pij;
    }
  }
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) sa += a[i];
  for (let j = 0; j < m; j++) sb += b[j];
  let value = transport + entropic - e * mass + e * sa * sb;
  if (!balanced) {
    const r = new Float64Array(n);
    const c = new Float64Array(m);
    for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) { r[i] += plan[i * m + j]; c[j] += plan[i * m + j]; }
    value += o.rho * (kl(r, a) + kl(c, b));
  }
  return { plan, f, g, cost: transport, value, iterations, error, converged };
}

/** ‖P1 − a‖ + ‖Pᵀ1 − b‖ in the chosen norm. */
export function marginalError(plan: ArrayLike<number>, n: number, m: number, a: ArrayLike<number>, b: ArrayLike<number>, norm: 'l1' | 'l2'): number {
  const c = new Float64Array(m);
  let er = 0;
  for (let i = 0; i < n; i++) {
    let r = 0;
    for (let j = 0; j < m; j++) { r += plan[i * m + j]; c[j] += plan[i * m + j]; }
    const d = r - a[i];
    er += norm === 'l1' ? Math.abs(d) : d * d;
  }
  let ec = 0;
  for (let j = 0; j < m; j++) {
    const d = c[j] - b[j];
    ec += norm === 'l1' ? Math.abs(d) : d * d;
  }
  return norm === 'l1' ? er + ec : Math.sqrt(er) + Math.sqrt(ec);
}

/** Marginal k of a concatenated array, or uniform when absent. */
export function marginalOf(x: FloatArray | undefined, offset: number, len: number): Float64Array {
  const out = new Float64Array(len);
  if (x) for (let i = 0; i < len; i++) out[i] = x[offset + i];
  else out.fill(1 / len);
  return out;
}

/**
 * Balanced OT needs Σa = Σb. Float32 marginals normalised by a user rarely sum to exactly the same
 * mass (≈1e-7 apart), which would put a floor under the marginal error; b is therefore rescaled to
 * the mass of a (in double). A real mismatch is rejected earlier (validate.ts checkBalancedMass).
 */
export function matchMass(a: Float64Array, b: Float64Array): void {
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < a.length; i++) sa += a[i];
  for (let j = 0; j < b.length; j++) sb += b[j];
  if (sa !== sb) { const r = sa / sb; for (let j = 0; j < b.length; j++) b[j] *= r; }
}

/** Ragged batch, reference semantics. Inputs are assumed checked (see validate.ts). */
export function sinkhornReference(
  problem: { rows: Int32Array; cols: Int32Array; cost: FloatArray; a?: FloatArray; b?: FloatArray },
  o: NativeOptions,
): SinkhornResult {
  const B = problem.rows.length;
  let totalRows = 0;
  let totalCols = 0;
  for (let k = 0; k < B; k++) { totalRows += problem.rows[k]; totalCols += problem.cols[k]; }
  const out: SinkhornResult = {
    plan: new Float32Array(problem.cost.length),
    f: new Float32Array(totalRows),
    g: new Float32Array(totalCols),
    cost: new Float64Array(B),
    value: new Float64Array(B),
    iterations: new Int32Array(B),
    error: new Float64Array(B),
    converged: new Uint8Array(B),
  };
  let ro = 0;
  let co = 0;
  let bo = 0;
  for (let k = 0; k < B; k++) {
    const n = problem.rows[k];
    const m = problem.cols[k];
    const a = marginalOf(problem.a, ro, n);
    const b = marginalOf(problem.b, co, m);
    if (o.rho === Infinity) matchMass(a, b);
    const sol = solveDense({ n, m, cost: problem.cost.subarray(bo, bo + n * m), a, b }, o);
    out.plan.set(sol.plan, bo);
    out.f.set(sol.f, ro);
    out.g.set(sol.g, co);
    out.cost[k] = sol.cost;
    out.value[k] = sol.value;
    out.iterations[k] = sol.iterations;
    out.error[k] = sol.error;
    out.converged[k] = sol.converged ? 1 : 0;
    ro += n; co += m; bo += n * m;
  }
  return out;
}
