/**
 * Reference fused OT-loss step: C(T, S), Sinkhorn plan P, <P, C>, the entropic value, and
 * grad = ∂<P, C(T, S)>/∂S with P held fixed. By the envelope theorem this is the gradient of the
 * entropic value w.r.t. S at convergence (the plan is optimal for it); it is NOT the full gradient
 * of <P, C>, which would also differentiate through P.
 *   cosine:      ∂C_ij/∂s_j = −(t̂_i − cos_ij · ŝ_j) / ‖s_j‖       (ŝ = s/‖s‖ with the clamped norm)
 *   sqeuclidean: ∂C_ij/∂s_j = 2 (s_j − t_i)
 *   dot:         ∂C_ij/∂s_j = −t_i
 */
import type { NativeOptions } from '../native-addon.js';
import type { FloatArray, OtLossResult } from '../types.js';
import { clampedNorms, costBlock } from './cost.js';
import { marginalOf, matchMass, solveDense } from './sinkhorn.js';

export function otLossReference(
  input: { rows: Int32Array; cols: Int32Array; dim: number; teacher: FloatArray; student: FloatArray; a?: FloatArray; b?: FloatArray },
  o: NativeOptions,
): OtLossResult {
  const { rows, cols, dim, teacher: T, student: S } = input;
  const kind = o.kind ?? 'cosine';
  const B = rows.length;
  let totalBlocks = 0;
  for (let k = 0; k < B; k++) totalBlocks += rows[k] * cols[k];
  const out: OtLossResult = {
    cost: new Float64Array(B),
    value: new Float64Array(B),
    grad: new Float32Array(S.length),
    iterations: new Int32Array(B),
    error: new Float64Array(B),
    converged: new Uint8Array(B),
  };
  if (o.returnPlan) out.plan = new Float32Array(totalBlocks);
  let to = 0;
  let so = 0;
  let bo = 0;
  const g = new Float64Array(dim);
  for (let k = 0; k < B; k++) {
    const n = rows[k];
    const m = cols[k];
    const C = costBlock(kind, T, to, n, S, so, m, dim);
    const a = marginalOf(input.a, to, n);
    const b = marginalOf(input.b, so, m);
    if (o.rho === Infinity) matchMass(a, b);
    const sol = solveDense({ n, m, cost: C, a, b }, o);
    out.cost[k] = sol.cost;
    out.value[k] = sol.value;
    out.iterations[k] = sol.iterations;
    out.error[k] = sol.error;
    out.converged[k] = sol.converged ? 1 : 0;
    if (out.plan) out.plan.set(sol.plan, bo);
    const nt = kind === 'cosine' ? clampedNorms(T, to, n, dim) : undefined;
    const ns = kind === 'cosine' ? clampedNorms(S, so, m, dim) : undefined;
    for (let j = 0; j < m; j++) {
      g.fill(0);
      const sb = (so + j) * dim;
      for (let i = 0; i < n; i++) {
        const p = sol.plan[i * m + j];
        if (p === 0) continue;
        const tb = (to + i) * dim;
        if (kind === 'cosine') {
          const cos = 1 - C[i * m + j];
          for (let d = 0; d < dim; d++) g[d] -= p * (T[tb + d] / nt![i] - cos * S[sb + d] / ns![j]) / ns![j];
        } else if (kind === 'sqeuclidean') {
          for (let d = 0; d < dim; d++) g[d] += 2 * p * (S[sb + d] - T[tb + d]);
        } else {
          for (let d = 0; d < dim; d++) g[d] -= p * T[tb + d];
        }
      }
      for (let d = 0; d < dim; d++) out.grad[sb + d] = g[d];
    }
    to += n; so += m; bo += n * m;
  }
  return out;
}
