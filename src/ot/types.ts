/**
 * Shared types of the OT API. Every backend (cuda, cpu, js) takes and returns exactly these shapes.
 *
 * Conventions (identical in native/core, native/cuda and the pure-TS reference in src/ot/reference):
 *
 * Ragged batch. B problems; problem k is rows[k] × cols[k]. `cost` holds the B blocks row-major,
 * concatenated (block k starts at Σ_{l<k} rows[l]·cols[l]). Marginals `a` (Σ rows) and `b` (Σ cols)
 * are concatenated the same way; when absent they are uniform (1/n, 1/m). Entries may be zero (a
 * masked token) but every problem's marginal must have a positive sum. Marginals are used as given
 * (not renormalised), so balanced problems need Σa = Σb per problem.
 *
 * Potentials (ott-jax convention): P_ij = a_i · b_j · exp((f_i + g_j − C_ij) / eps).
 * Balanced updates:   f_i = −eps · log Σ_j b_j exp((g_j − C_ij)/eps)    (then the same for g).
 * Unbalanced (KL-relaxed marginals with weight rho, tau = rho/(rho+eps)): f_i = tau · (the balanced f_i).
 * One iteration = one f update followed by one g update.
 * The scaling form (Sinkhorn–Knopp) keeps u_i = exp(f_i/eps), v_j = exp(g_j/eps) and K = exp(−C/eps);
 * the potentials it returns are converted to the convention above.
 *
 * Reported values, per problem:
 *   cost  = <P, C>                                   (the transport cost of the entropic plan)
 *   value = <P, C> + eps·KL(P ‖ a⊗b) [+ rho·KL(P1 ‖ a) + rho·KL(Pᵀ1 ‖ b) when unbalanced]
 *           with the generalised KL(p‖q) = Σ p log(p/q) − p + q (0 log 0 = 0).
 *   The gradient of `value` w.r.t. C is P at convergence (envelope theorem); `cost` has a different
 *   gradient. The fused OT-loss step returns d<P,C>/dS with P held fixed, which is therefore the
 *   gradient of `value` at convergence — see docs in src/ot/loss.ts.
 *   error = ‖P1 − a‖ + ‖Pᵀ1 − b‖ (L1 by default, or L2) for the returned plan (balanced); for
 *           unbalanced problems, max_i |Δf_i| + max_j |Δg_j| over the last iteration.
 *   converged = error ≤ tol. Checked every `checkEvery` iterations and after the last one; a converged
 *   problem stops while the others go on. tol = 0 runs exactly maxIter iterations.
 *   The native backends compute in float32, whose rounding puts a floor under the error (about
 *   2^-24·(Σa|f| + Σb|g| + Σa·max|C|)/eps for the marginal error): a tol below it can never be met.
 *   When the error has stopped decreasing within that floor they stop and report converged = 1
 *   with error > tol (the js backend computes in float64 and has no such floor).
 *
 * Float32 limits (native backends): the plan is a·b·exp((f + g − C)/eps) rebuilt from float32
 * potentials, so its relative accuracy is about 1e-7·max|C|/eps; an eps below 2^-20·max|C| of a
 * problem cannot be represented and is rejected (RangeError naming options.eps and the problem).
 */

export type FloatArray = Float32Array | Float64Array;

export type SinkhornMethod = 'auto' | 'log' | 'scaling';
export type BackendName = 'cuda' | 'cpu' | 'js';
export type BackendChoice = 'auto' | BackendName;
export type CostKind = 'cosine' | 'sqeuclidean' | 'dot';

export interface SinkhornProblem {
  rows: Int32Array;
  cols: Int32Array;
  cost: FloatArray;
  a?: FloatArray;
  b?: FloatArray;
}

export interface EpsSchedule {
  /** Starting epsilon (≥ eps). eps_t = max(eps, init · decay^t). */
  init: number;
  /** Decay per iteration, in (0, 1). */
  decay: number;
}

export interface SinkhornOptions {
  /** Entropic regularisation (POT `reg`). > 0. Default 0.05. */
  eps?: number;
  /** Iteration limit (POT `numItermax`). ≥ 1. Default 1000. */
  maxIter?: number;
  /** Marginal-error tolerance (POT `stopThr`). ≥ 0; 0 runs exactly maxIter iterations. Default 1e-6. */
  tol?: number;
  /** Check convergence every this many iterations. ≥ 1. Default 10. */
  checkEvery?: number;
  method?: SinkhornMethod;
  /** Norm of the marginal error. Default 'l1'. */
  errorNorm?: 'l1' | 'l2';
  /** Unbalanced OT: KL marginal weight (POT `reg_m`). Infinity (default) = balanced. */
  rho?: number;
  /** Unbalanced OT, ott-jax style: tau = rho/(rho+eps) in (0, 1]; 1 = balanced. Give rho or tau. */
  tau?: number;
  /** Optional eps-scaling schedule. */
  epsSchedule?: EpsSchedule;
  backend?: BackendChoice;
  /** Cap on native worker threads (0 = all cores). */
  threads?: number;
  /** Print a warning when some problem did not converge (or stopped at the float32 error floor). Default false. */
  warn?: boolean;
  /** Return the plan (Σ rows·cols floats). false: only potentials, costs and the convergence report,
   * and the native backends never write the plan. Default true (false for the OT-loss step). */
  returnPlan?: boolean;
}

/** What `sinkhorn(..., { returnPlan: false })` returns. */
export type SinkhornResultWithoutPlan = Omit<SinkhornResult, 'plan'>;

export interface SinkhornResult {
  plan: Float32Array;
  f: Float32Array;
  g: Float32Array;
  cost: Float64Array;
  value: Float64Array;
  iterations: Int32Array;
  error: Float64Array;
  converged: Uint8Array;
}

/** Ragged token embeddings: problem k has rows[k] vectors in x and cols[k] in y, each of length dim. */
export interface EmbeddingPairs {
  rows: Int32Array;
  cols: Int32Array;
  dim: number;
  x: FloatArray;
  y: FloatArray;
}

export interface CostOptions {
  kind?: CostKind;
  backend?: BackendChoice;
  threads?: number;
}

/** Fused distillation step input: teacher tokens T (rows) and student tokens S (cols) per pair. */
export interface OtLossInput {
  rows: Int32Array;
  cols: Int32Array;
  dim: number;
  teacher: FloatArray;
  student: FloatArray;
  /** Token weights (masks); default uniform. Same layout as marginals. */
  a?: FloatArray;
  b?: FloatArray;
}

export interface OtLossOptions extends SinkhornOptions {
  kind?: CostKind;
  /** Also return the plan (costs memory). Default false here. */
  returnPlan?: boolean;
}

export interface OtLossResult {
  /** <P, C> per pair. */
  cost: Float64Array;
  /** Entropic value per pair. */
  value: Float64Array;
  /** d<P,C>/dS with P held fixed (= d value/dS at convergence), same layout as `student`. */
  grad: Float32Array;
  iterations: Int32Array;
  error: Float64Array;
  converged: Uint8Array;
  plan?: Float32Array;
}
