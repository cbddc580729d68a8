// Device code of the batched Sinkhorn kernel (see sinkhorn_kernel.cuh for the design). Included by
// sinkhorn_launch.cu only: without relocatable device code a __global__ template must be defined in
// the translation unit that launches it.
//
// Synchronisation rules this file keeps (every __syncthreads must be reached by all threads):
// - every branch that contains a barrier depends only on block-uniform values: the options, n, m,
//   the iteration counter, `mode`/`holds` (changed by all threads together) and the results of
//   __syncthreads_or / block_sum / block_max, which every thread receives identically;
// - a buffer written in one phase is read in the next only after a barrier, and overwritten only
//   after a barrier that follows its last read (noted at each phase).
#pragma once

#include <cfloat>

#include "cuda/reduce.cuh"
#include "cuda/sinkhorn_kernel.cuh"

namespace optical::cuda {

namespace sinkhorn_detail {

enum class Mode { Log, Scaling };
enum class Holds { Nothing, Cost, Gibbs };

/** 'auto' keeps the scaling iterates inside (0, 1e15] (native/core kAutoBound): then the Gibbs
 *  entries that underflow change a plan entry by < ~1e-8·a_i·b_j; 'scaling' gives up only at a
 *  genuine float overflow/underflow (FLT_MAX). */
constexpr float kAutoBound = 1e15f;

/** The float32 error floor (native/core's Solver::at_float_floor): a check whose error is no new
 *  minimum for this many checks in a row, and within twice the floor, stops the problem. */
constexpr int kFloorChecks = 3;
constexpr double kUnitRoundoff = 5.9604644775390625e-08;  // 2^-24

/** eps at iteration t, computed exactly as ot::eps_at / epsAt (double). */
__device__ double eps_at(const SinkhornParams& p, int t) {
  if (p.epsDecay >= 1.0 || p.epsInit <= p.eps) return p.eps;
  const double e = p.epsInit * pow(p.epsDecay, static_cast<double>(t));
  return e > p.eps ? e : p.eps;
}

// ---- passes over the rows / columns of M ------------------------------------------------------
// Row passes: warp w owns rows w, w+W, …; lanes stride over j (contiguous in row-major M), the
// warp merges with shuffles and lane 0 calls finish(i, total). The row loop bound depends on the
// warp only, so the full-mask shuffles are safe.

template <class Term, class Finish>
__device__ __forceinline__ void rows_lse(int n, int m, Term term, Finish finish) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  for (int i = warp; i < n; i += warps) {
    Lse s;
    for (int j = lane; j < m; j += kWarp) s.add(term(i, j));
    warp_merge(s);
    if (lane == 0) finish(i, s.value());
  }
}

template <class Acc, class Term, class Finish>
__device__ __forceinline__ void rows_sum(int n, int m, Term term, Finish finish) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  for (int i = warp; i < n; i += warps) {
    Acc s = 0;
    for (int j = lane; j < m; j += kWarp) s += term(i, j);
    s = warp_sum(s);
    if (lane == 0) finish(i, s);
  }
}

// Column passes: thread t takes column t % m; with m < T the rows are cut into S = T/m slices
// (slice t / m takes rows s, s+S, …) and the partials merge through `scratch` (≥ T doubles).
// finish(j, total) runs on one thread per column. Ends with a barrier in the sliced case only;
// callers put a barrier before reading what finish wrote.

template <class Term, class Finish>
__device__ __forceinline__ void cols_lse(int n, int m, Term term, Finish finish, double* scratch) {
  const int T = blockDim.x, tid = threadIdx.x;
  if (m >= T) {
    for (int j = tid; j < m; j += T) {
      Lse s;
      for (int i = 0; i < n; ++i) s.add(term(i, j));
      finish(j, s.value());
    }
    return;
  }
  float* mx = reinterpret_cast<float*>(scratch);
  float* sum = mx + kMaxThreads;
  const int slices = T / m;
  Lse s;
  if (tid < slices * m) {
    const int j = tid % m;
    for (int i = tid / m; i < n; i += slices) s.add(term(i, j));
  }
  mx[tid] = s.mx;
  sum[tid] = s.sum;
  __syncthreads();
  if (tid < m) {
    Lse t;
    for (int q = 0; q < slices; ++q) t.merge(mx[q * m + tid], sum[q * m + tid]);
    finish(tid, t.value());
  }
  __syncthreads();  // scratch is free again
}

template <class Acc, class Term, class Finish>
__device__ __forceinline__ void cols_sum(int n, int m, Term term, Finish finish, double* scratch) {
  const int T = blockDim.x, tid = threadIdx.x;
  if (m >= T) {
    for (int j = tid; j < m; j += T) {
      Acc s = 0;
      for (int i = 0; i < n; ++i) s += term(i, j);
      finish(j, s);
    }
    return;
  }
  Acc* part = reinterpret_cast<Acc*>(scratch);
  const int slices = T / m;
  Acc s = 0;
  if (tid < slices * m) {
    const int j = tid % m;
    for (int i = tid / m; i < n; i += slices) s += term(i, j);
  }
  part[tid] = s;
  __syncthreads();
  if (tid < m) {
    Acc t = 0;
    for (int q = 0; q < slices; ++q) t += part[q * m + tid];
    finish(tid, t);
  }
  __syncthreads();
}

// ---- the block's state and the phases of one problem ------------------------------------------
// Every thread of the block holds the same BlockState except the thread/warp indices and the
// thread-local partials; the phases below are called by all threads together (they contain
// barriers) and change the block-uniform fields identically on every thread.

struct BlockState {
  // Thread layout.
  int tid, T, lane, warp, warps;
  // The problem.
  int k, n, m;
  int64_t nm, ro, co, bo;
  const float* Cg;
  bool balanced, l2;
  // Storage: M (n·m) then f, f', log2 a, a, wa (n each) and g, g', log2 b, b, wb (m each). f/g and
  // f'/g' swap roles after each half-iteration.
  float* Mw;
  float *f, *fn, *la, *av, *wa;
  float *g, *gn, *lb, *bv, *wb;
  // Static shared scratch of the kernel (column passes, block reductions).
  double* scratch;
  double* redD;
  float* redF;
  double sa, sb;  // Σa, Σb
  // Log domain: f/g hold the potentials. Scaling form: f/g hold x/y with
  //   P_ij = a_i x_i K'_ij b_j y_j,  K' = exp(−(C − cmin)/eps),
  //   f_i = eps·ln x_i + cmin + delta,  g_j = eps·ln y_j − delta   (native/core's ScalingState),
  // delta centring y in float range; the iterates must stay in (0, bound].
  Mode mode;
  Holds holds;
  bool wantScaling;
  float bound;
  const float* M;  // the matrix the iterations read: C (log) or K' (scaling)
  float cmin, kx, ky;
  double delta;
  bool xValid;  // x is only formed by the first scaling row update
  // Convergence.
  float err;
  bool converged;
  int iters;
  float bestErr;    // smallest error of a check at the target eps so far
  int sinceBest;    // checks since it
  float maxAbsC;    // max |C| (−1 until the floor first needs it)
};

/** Storage, marginals and the initial (zero) potentials of problem `problems[blockIdx.x]`. */
template <bool kShared>
__device__ __forceinline__ void setup(const SinkhornParams& p, BlockState& st, double* scratch, double* redD,
                                      float* redF) {
  st.tid = threadIdx.x;
  st.T = blockDim.x;
  st.lane = st.tid % kWarp;
  st.warp = st.tid / kWarp;
  st.warps = st.T / kWarp;
  st.scratch = scratch;
  st.redD = redD;
  st.redF = redF;
  st.k = p.problems[blockIdx.x];
  st.n = p.rows[st.k];
  st.m = p.cols[st.k];
  st.nm = static_cast<int64_t>(st.n) * st.m;
  st.ro = p.rowOffset[st.k];
  st.co = p.colOffset[st.k];
  st.bo = p.blockOffset[st.k];
  st.Cg = p.cost + st.bo;
  st.balanced = isinf(p.rho);
  st.l2 = p.l2;
  const int n = st.n, m = st.m, tid = st.tid, T = st.T;

  float* vec;
  if constexpr (kShared) {
    st.Mw = dynamic_shared_floats();
    vec = st.Mw + st.nm;
  } else {
    float* ws = p.workspace + p.workspaceOffset[blockIdx.x];
    const bool hasK = sinkhorn_needs_k(p.method);
    st.Mw = hasK ? ws : nullptr;
    vec = ws + (hasK ? st.nm : 0);
  }
  st.f = vec;
  st.fn = st.f + n;
  st.la = st.fn + n;
  st.av = st.la + n;
  st.wa = st.av + n;
  st.g = st.wa + n;
  st.gn = st.g + m;
  st.lb = st.gn + m;
  st.bv = st.lb + m;
  st.wb = st.bv + m;

  double sa = 0, sb = 0;
  for (int i = tid; i < n; i += T) {
    const float x = p.a[st.ro + i];
    st.av[i] = x;
    st.la[i] = log2f(x);  // −inf for a masked token: its terms drop out of every LSE
    st.f[i] = 0.f;
    sa += x;
  }
  for (int j = tid; j < m; j += T) {
    const float x = p.b[st.co + j];
    st.bv[j] = x;
    st.lb[j] = log2f(x);
    st.g[j] = 0.f;
    sb += x;
  }
  st.sa = block_sum(sa, redD);  // (barriers: the vectors above are visible from here on)
  st.sb = block_sum(sb, redD);

  st.mode = Mode::Log;
  st.holds = Holds::Nothing;
  st.wantScaling = p.method != KernelMethod::Log;
  st.bound = p.method == KernelMethod::Auto ? kAutoBound : FLT_MAX;
  st.M = st.Cg;
  st.cmin = 0.f;
  st.kx = 1.f;
  st.ky = 1.f;
  st.delta = 0.0;
  st.xValid = false;
  st.err = INFINITY;
  st.converged = false;
  st.iters = 0;
  st.bestErr = INFINITY;
  st.sinceBest = 0;
  st.maxAbsC = -1.f;
}

/** The log domain reads C: on chip for shared launches (copied once), in place when streaming. */
template <bool kShared>
__device__ __forceinline__ void use_log_storage(BlockState& st) {
  st.mode = Mode::Log;
  if constexpr (kShared) {
    if (st.holds != Holds::Cost) {
      for (int64_t x = st.tid; x < st.nm; x += st.T) st.Mw[x] = st.Cg[x];
      st.holds = Holds::Cost;
      __syncthreads();
    }
    st.M = st.Mw;
  } else {
    st.M = st.Cg;
  }
}

/** Switches to the scaling form at the target eps from the current g (native/core enter_scaling).
 *  False, with the log-domain state intact, when the start is not representable. */
template <bool kShared>
__device__ __forceinline__ bool enter_scaling(const SinkhornParams& p, BlockState& st, double e, float s) {
  const int m = st.m, tid = st.tid, T = st.T;
  if (st.holds != Holds::Gibbs) {
    float lo = INFINITY;
    for (int64_t x = tid; x < st.nm; x += T) lo = fminf(lo, st.Cg[x]);
    st.cmin = -block_max(-lo, st.redF);  // (barriers: nobody reads M when it is overwritten below)
    for (int64_t x = tid; x < st.nm; x += T) st.Mw[x] = exp2f(-(st.Cg[x] - st.cmin) * s);
    st.holds = Holds::Gibbs;
  }
  float lo = INFINITY, hi = -INFINITY;
  for (int j = tid; j < m; j += T) {
    lo = fminf(lo, st.g[j]);
    hi = fmaxf(hi, st.g[j]);
  }
  const float gmin = -block_max(-lo, st.redF), gmax = block_max(hi, st.redF);
  st.delta = -0.5 * (static_cast<double>(gmin) + static_cast<double>(gmax));
  bool bad = false;
  for (int j = tid; j < m; j += T) {
    const float y = static_cast<float>(exp((static_cast<double>(st.g[j]) + st.delta) / e));
    bad |= !(y > 0.f && y <= st.bound);
    st.gn[j] = y;
  }
  const double tau = st.balanced ? 1.0 : p.rho / (p.rho + e);
  const double kxd = exp((tau - 1.0) * (static_cast<double>(st.cmin) + st.delta) / e);
  const double kyd = exp((1.0 - tau) * st.delta / e);
  st.kx = static_cast<float>(kxd);
  st.ky = static_cast<float>(kyd);
  const bool kOk = st.kx > 0.f && st.kx <= st.bound && st.ky > 0.f && st.ky <= st.bound;
  if (__syncthreads_or(bad) || !kOk) {  // (barrier: K' and gn complete)
    st.wantScaling = false;
    use_log_storage<kShared>(st);
    return false;
  }
  float* tmp = st.g;  // g now holds y; the potentials stay behind in gn until overwritten
  st.g = st.gn;
  st.gn = tmp;
  st.xValid = false;
  st.mode = Mode::Scaling;
  st.M = st.Mw;
  return true;
}

/** Back to the log domain from the scaling iterate at the start of the failed iteration
 *  (native/core leave_scaling): xs/ys are x/y then (xs holds potentials while x was not formed).
 *  The conversion is in place; f/g end up pointing at the potentials. */
template <bool kShared>
__device__ __forceinline__ void leave_scaling(BlockState& st, float* xs, bool xsValid, float* ys, double e) {
  for (int i = st.tid; i < st.n; i += st.T)
    if (xsValid) xs[i] = static_cast<float>(e * log(static_cast<double>(xs[i])) + st.cmin + st.delta);
  for (int j = st.tid; j < st.m; j += st.T) ys[j] = static_cast<float>(e * log(static_cast<double>(ys[j])) - st.delta);
  if (xs != st.f) {
    st.fn = st.f;
    st.f = xs;
  }
  st.wantScaling = false;
  st.xValid = false;
  __syncthreads();
  use_log_storage<kShared>(st);
}

/** One scaling-form iteration at eps `ed` (e = float(ed)); dF/dG collect max |Δf|, |Δg| of the
 *  rows/columns this thread finishes. False when an iterate left (0, bound]: the problem is then
 *  back in the log domain at the start of this iteration, which the caller redoes. */
template <bool kShared>
__device__ __forceinline__ bool scaling_iteration(BlockState& st, double ed, float e, double tau, float& dF, float& dG) {
  const int n = st.n, m = st.m, tid = st.tid, T = st.T;
  const float* M = st.M;
  const bool balanced = st.balanced;
  const float bound = st.bound;
  // ---- x update: x_i = 1/Σ_j K'_ij b_j y_j (balanced) or kx·S^−tau. Reads y, M, wb; writes fn.
  for (int j = tid; j < m; j += T) st.wb[j] = st.bv[j] * st.g[j];
  __syncthreads();
  bool bad = false;
  const float ftau = static_cast<float>(tau);
  const float* wb = st.wb;
  float* fn = st.fn;
  const float* f = st.f;
  const bool xValid = st.xValid;
  const float kx = st.kx, cmin = st.cmin;
  const double delta = st.delta;
  rows_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wb[j]; },
                  [&](int i, float S) {
                    const float x = balanced ? 1.f / S : kx * powf(S, -ftau);
                    bad |= !(x > 0.f && x <= bound);
                    fn[i] = x;
                    // Δf = e·Δln x; before the first x the f buffer still holds the potential.
                    const float d = xValid ? e * (logf(x) - logf(f[i]))
                                           : static_cast<float>(ed * log(static_cast<double>(x)) + cmin + delta) - f[i];
                    dF = fmaxf(dF, fabsf(d));
                  });
  if (__syncthreads_or(bad)) {  // barrier: fn complete, M and wb no longer read
    leave_scaling<kShared>(st, st.f, st.xValid, st.g, ed);
    return false;
  }
  const bool xWasValid = st.xValid;
  float* tmp = st.f;
  st.f = st.fn;
  st.fn = tmp;
  st.xValid = true;
  // ---- y update: y_j = 1/Σ_i K'_ij a_i x_i (balanced) or ky·T^−tau. Reads x, M, wa; writes gn.
  for (int i = tid; i < n; i += T) st.wa[i] = st.av[i] * st.f[i];
  __syncthreads();
  bad = false;
  const float* wa = st.wa;
  float* gn = st.gn;
  const float* g = st.g;
  const float ky = st.ky;
  cols_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wa[i]; },
                  [&](int j, float S) {
                    const float y = balanced ? 1.f / S : ky * powf(S, -ftau);
                    bad |= !(y > 0.f && y <= bound);
                    gn[j] = y;
                    dG = fmaxf(dG, fabsf(e * (logf(y) - logf(g[j]))));
                  },
                  st.scratch);
  if (__syncthreads_or(bad)) {
    leave_scaling<kShared>(st, st.fn, xWasValid, st.g, ed);
    return false;
  }
  tmp = st.g;
  st.g = st.gn;
  st.gn = tmp;
  return true;
}

/** One log-domain iteration: the f update by rows, then the g update by columns. */
__device__ __forceinline__ void log_iteration(BlockState& st, float e, float s, float phi, float& dF, float& dG) {
  const int n = st.n, m = st.m, tid = st.tid, T = st.T;
  const float* M = st.M;
  // ---- f update (rows): f_i = −phi·e·ln Σ_j b_j e^{(g_j − C_ij)/e}, with h_j = g_j + e·ln b_j
  // formed once (native/core's h_), so an entry costs a shared load of h and of M, a subtract,
  // a multiply and an exp2. h − C is formed before scaling by 1/e: at small eps, scaling
  // first would round away the digits that decide convergence. Reads wb (= h), M; writes fn.
  const float eLn2 = e * kLn2;
  for (int j = tid; j < m; j += T) st.wb[j] = st.g[j] + eLn2 * st.lb[j];
  __syncthreads();
  {
    const float* wb = st.wb;
    float* fn = st.fn;
    const float* f = st.f;
    rows_lse(n, m, [&](int i, int j) { return (wb[j] - M[static_cast<int64_t>(i) * m + j]) * s; },
             [&](int i, float L) {
               const float v = -phi * e * kLn2 * L;
               fn[i] = v;
               dF = fmaxf(dF, fabsf(v - f[i]));
             });
  }
  __syncthreads();  // fn complete; f, wb no longer read
  float* tmp = st.f;
  st.f = st.fn;
  st.fn = tmp;
  // ---- g update (columns), with h_i = f_i + e·ln a_i. Reads wa (= h), M; writes gn.
  for (int i = tid; i < n; i += T) st.wa[i] = st.f[i] + eLn2 * st.la[i];
  __syncthreads();
  {
    const float* wa = st.wa;
    float* gn = st.gn;
    const float* g = st.g;
    cols_lse(n, m, [&](int i, int j) { return (wa[i] - M[static_cast<int64_t>(i) * m + j]) * s; },
             [&](int j, float L) {
               const float v = -phi * e * kLn2 * L;
               gn[j] = v;
               dG = fmaxf(dG, fabsf(v - g[j]));
             },
             st.scratch);
  }
  __syncthreads();
  tmp = st.g;
  st.g = st.gn;
  st.gn = tmp;
}

/** The error of a convergence check after an iteration at eps `ed` (block-uniform): balanced, the
 *  marginal error ‖P1 − a‖ + ‖Pᵀ1 − b‖ of the plan at (f, g, e) with fp32 sums; unbalanced, the
 *  largest potential changes dF + dG of the iteration. */
__device__ __forceinline__ float check_error(BlockState& st, double ed, float dF, float dG) {
  if (!st.balanced) return block_max(dF, st.redF) + block_max(dG, st.redF);
  const int n = st.n, m = st.m, tid = st.tid, T = st.T;
  const float* M = st.M;
  const bool l2 = st.l2;
  const float* av = st.av;
  const float* bv = st.bv;
  float eR = 0.f, eC = 0.f;
  if (st.mode == Mode::Scaling) {
    for (int j = tid; j < m; j += T) st.wb[j] = st.bv[j] * st.g[j];
    for (int i = tid; i < n; i += T) st.wa[i] = st.av[i] * st.f[i];
    __syncthreads();
    const float* wa = st.wa;
    const float* wb = st.wb;
    rows_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wb[j]; },
                    [&](int i, float S) {
                      const float d = wa[i] * S - av[i];
                      eR += l2 ? d * d : fabsf(d);
                    });
    cols_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wa[i]; },
                    [&](int j, float S) {
                      const float d = wb[j] * S - bv[j];
                      eC += l2 ? d * d : fabsf(d);
                    },
                    st.scratch);
  } else {
    // P_ij from its exponent in double (f + g − C cancels; float would lose the digits that
    // decide convergence at small eps), like native/core's plan pass.
    const double sd = 1.4426950408889634 / ed;
    const float* f = st.f;
    const float* g = st.g;
    const float* la = st.la;
    const float* lb = st.lb;
    auto pij = [&](int i, int j) {
      const double z = (static_cast<double>(f[i]) + g[j] - M[static_cast<int64_t>(i) * m + j]) * sd;
      return exp2f(la[i] + lb[j] + static_cast<float>(z));
    };
    rows_sum<float>(n, m, pij, [&](int i, float r) {
      const float d = r - av[i];
      eR += l2 ? d * d : fabsf(d);
    });
    cols_sum<float>(n, m, pij,
                    [&](int j, float c) {
                      const float d = c - bv[j];
                      eC += l2 ? d * d : fabsf(d);
                    },
                    st.scratch);
  }
  eR = block_sum(eR, st.redF);  // (barriers: wa/wb/M reads of this check are over)
  eC = block_sum(eC, st.redF);
  return l2 ? sqrtf(eR) + sqrtf(eC) : eR + eC;
}

/** The float32 error floor of the current iterate (native/core's Solver::error_floor): balanced,
 *  2^-24·(Σ a|f| + Σ b|g| + Σa·max|C|)/eps for the marginal error; unbalanced, 2·2^-24·(max|f| +
 *  max|g| + max|C|) for the potential change. f and g are the potentials (converted from x, y in
 *  the scaling form). Block-uniform; max |C| is measured the first time it is needed. */
__device__ __forceinline__ double error_floor(const SinkhornParams& p, BlockState& st, double ed) {
  const int n = st.n, m = st.m, tid = st.tid, T = st.T;
  if (st.maxAbsC < 0.f) {
    float mx = 0.f;
    for (int64_t x = tid; x < st.nm; x += T) mx = fmaxf(mx, fabsf(st.Cg[x]));
    st.maxAbsC = block_max(mx, st.redF);
  }
  const bool scaling = st.mode == Mode::Scaling;
  auto potentialF = [&](int i) -> double {
    return scaling ? ed * log(static_cast<double>(st.f[i])) + st.cmin + st.delta : static_cast<double>(st.f[i]);
  };
  auto potentialG = [&](int j) -> double {
    return scaling ? ed * log(static_cast<double>(st.g[j])) - st.delta : static_cast<double>(st.g[j]);
  };
  if (!st.balanced) {
    float mf = 0.f, mg = 0.f;
    for (int i = tid; i < n; i += T) mf = fmaxf(mf, static_cast<float>(fabs(potentialF(i))));
    for (int j = tid; j < m; j += T) mg = fmaxf(mg, static_cast<float>(fabs(potentialG(j))));
    mf = block_max(mf, st.redF);
    mg = block_max(mg, st.redF);
    return 2 * kUnitRoundoff * (static_cast<double>(mf) + mg + st.maxAbsC);
  }
  double s = 0;
  for (int i = tid; i < n; i += T) s += st.av[i] * fabs(potentialF(i));
  for (int j = tid; j < m; j += T) s += st.bv[j] * fabs(potentialG(j));
  s = block_sum(s, st.redD);
  return kUnitRoundoff * (s + st.sa * st.maxAbsC) / p.eps;
}

/** Whether a check at the target eps whose error did not meet tol stops at the float32 floor: the
 *  error has not reached a new minimum for kFloorChecks checks in a row and lies within twice the
 *  floor (a problem that still improves, however slowly, keeps iterating). Block-uniform. */
__device__ __forceinline__ bool at_float_floor(const SinkhornParams& p, BlockState& st, double ed) {
  if (st.err < st.bestErr) {
    st.bestErr = st.err;
    st.sinceBest = 0;
    return false;
  }
  return ++st.sinceBest >= kFloorChecks && st.err <= 2 * error_floor(p, st, ed);
}

/** The final plan, potentials and reported values (double sums), like native/core:
 *    value = Σ f_i r_i + Σ g_j c_j − e·(ΣP − Σa·Σb) [+ rho·(KL(r‖a) + KL(c‖b))]
 *  which equals <P,C> + e·KL(P‖a⊗b) [+ …] because ln(P_ij/(a_i b_j)) = (f_i + g_j − C_ij)/e.
 *  The plan uses the e of the last iteration, `ed`. */
__device__ __forceinline__ void finish(const SinkhornParams& p, BlockState& st, double ed) {
  const int n = st.n, m = st.m, tid = st.tid, T = st.T;
  const int lane = st.lane, warp = st.warp, warps = st.warps;
  const bool balanced = st.balanced, l2 = st.l2;
  const bool scaling = st.mode == Mode::Scaling;
  if (scaling) {
    for (int j = tid; j < m; j += T) st.wb[j] = st.bv[j] * st.g[j];
    for (int i = tid; i < n; i += T) st.wa[i] = st.av[i] * st.f[i];
    __syncthreads();
  }
  const float* M = st.M;
  const float* Cg = st.Cg;
  const float* f = st.f;
  const float* g = st.g;
  const float* la = st.la;
  const float* lb = st.lb;
  const float* wa = st.wa;
  const float* wb = st.wb;
  const float* av = st.av;
  const float* bv = st.bv;
  const float cmin = st.cmin;
  const double delta = st.delta;
  const double sd = 1.4426950408889634 / ed;
  auto planEntry = [&](int i, int j, float c) -> float {
    if (scaling) return wa[i] * M[static_cast<int64_t>(i) * m + j] * wb[j];
    const double z = (static_cast<double>(f[i]) + g[j] - c) * sd;
    return exp2f(la[i] + lb[j] + static_cast<float>(z));
  };
  auto potentialF = [&](int i) -> double {
    return scaling ? ed * log(static_cast<double>(f[i])) + cmin + delta : static_cast<double>(f[i]);
  };
  auto potentialG = [&](int j) -> double {
    return scaling ? ed * log(static_cast<double>(g[j])) - delta : static_cast<double>(g[j]);
  };
  float* plan = p.plan + st.bo;
  double TR = 0, FR = 0, MS = 0, KL = 0, ER = 0;  // lane 0 of each warp accumulates its rows
  for (int i = warp; i < n; i += warps) {
    double tr = 0, rs = 0;
    for (int j = lane; j < m; j += kWarp) {
      const int64_t x = static_cast<int64_t>(i) * m + j;
      const float c = Cg[x];
      const float pij = planEntry(i, j, c);
      plan[x] = pij;
      tr += static_cast<double>(pij) * c;
      rs += pij;
    }
    tr = warp_sum(tr);
    rs = warp_sum(rs);
    if (lane == 0) {
      const double ai = av[i];
      TR += tr;
      FR += potentialF(i) * rs;
      MS += rs;
      if (!balanced) KL += (rs > 0 ? rs * log(rs / ai) - rs : 0.0) + ai;
      const double d = rs - ai;
      ER += l2 ? d * d : fabs(d);
    }
  }
  double GC = 0, KLc = 0, EC = 0;
  cols_sum<double>(n, m,
                   [&](int i, int j) {
                     const int64_t x = static_cast<int64_t>(i) * m + j;
                     return static_cast<double>(planEntry(i, j, Cg[x]));
                   },
                   [&](int j, double cs) {
                     const double bj = bv[j];
                     GC += potentialG(j) * cs;
                     if (!balanced) KLc += (cs > 0 ? cs * log(cs / bj) - cs : 0.0) + bj;
                     const double d = cs - bj;
                     EC += l2 ? d * d : fabs(d);
                   },
                   st.scratch);
  TR = block_sum(TR, st.redD);
  FR = block_sum(FR, st.redD);
  MS = block_sum(MS, st.redD);
  KL = block_sum(KL + KLc, st.redD);
  ER = block_sum(ER, st.redD);
  EC = block_sum(EC, st.redD);
  GC = block_sum(GC, st.redD);

  for (int i = tid; i < n; i += T) p.f[st.ro + i] = static_cast<float>(potentialF(i));
  for (int j = tid; j < m; j += T) p.g[st.co + j] = static_cast<float>(potentialG(j));
  if (tid == 0) {
    double error = st.err;  // unbalanced: the last check (the last iteration is always one)
    if (balanced) error = l2 ? sqrt(ER) + sqrt(EC) : ER + EC;  // of the returned plan
    double value = FR + GC - ed * (MS - st.sa * st.sb);
    if (!balanced) value += p.rho * KL;
    p.cost_out[st.k] = TR;
    p.value[st.k] = value;
    p.iterations[st.k] = st.iters;
    p.error[st.k] = error;
    // Converged means a check passed (at eps, with tol > 0), like native/core and the oracle: with
    // tol = 0 every problem runs maxIter iterations and reports 0.
    p.converged[st.k] = st.converged ? 1 : 0;
  }
}

}  // namespace sinkhorn_detail

template <bool kShared>
__global__ void __launch_bounds__(kShared ? kMaxOnChipThreads : kMaxThreads, kShared ? 3 : 1) sinkhorn_kernel(SinkhornParams p) {
  using namespace sinkhorn_detail;
  __shared__ double scratch[kMaxThreads];
  __shared__ double redD[kMaxThreads / kWarp];
  __shared__ float redF[kMaxThreads / kWarp];

  BlockState st;
  setup<kShared>(p, st, scratch, redD, redF);
  use_log_storage<kShared>(st);

  double ed = eps_at(p, 0);
  for (int t = 0; t < p.maxIter; ++t) {
    ed = eps_at(p, t);
    const bool atTarget = ed == p.eps;
    const float e = static_cast<float>(ed);
    const float s = kLog2e / e;  // (x / e) in log2 units = x · s
    const double tau = st.balanced ? 1.0 : p.rho / (p.rho + ed);
    const float phi = static_cast<float>(tau);
    if (st.mode == Mode::Log && st.wantScaling && atTarget) enter_scaling<kShared>(p, st, ed, s);

    float dF = 0.f, dG = 0.f;  // max |Δf|, |Δg| over the rows/columns this thread finishes
    if (st.mode == Mode::Scaling) {
      if (!scaling_iteration<kShared>(st, ed, e, tau, dF, dG)) {
        --t;  // redo this iteration in the log domain
        continue;
      }
    } else {
      log_iteration(st, e, s, phi, dF, dG);
    }

    st.iters = t + 1;
    if (st.iters % p.checkEvery != 0 && st.iters != p.maxIter) continue;
    // ---- convergence check (block-uniform decision).
    st.err = check_error(st, ed, dF, dG);
    // Converged: within tol, or stopped at the float32 floor (then error > tol), like native/core.
    if (p.tol > 0 && atTarget && (st.err <= p.tol || at_float_floor(p, st, ed))) {
      st.converged = true;
      break;
    }
  }
  finish(p, st, ed);
}

}  // namespace optical::cuda
