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

#include "cuda/reduce.cuh"
#include "cuda/sinkhorn_kernel.cuh"

namespace optical::cuda {

namespace sinkhorn_detail {

enum class Mode { Log, Scaling };
enum class Holds { Nothing, Cost, Gibbs };

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

}  // namespace sinkhorn_detail

template <bool kShared>
__global__ void __launch_bounds__(kMaxThreads, 1) sinkhorn_kernel(SinkhornParams p) {
  using namespace sinkhorn_detail;
  extern __shared__ __align__(16) float dyn[];
  __shared__ double scratch[kMaxThreads];
  __shared__ double redD[kMaxThreads / kWarp];
  __shared__ float redF[kMaxThreads / kWarp];

  const int tid = threadIdx.x, T = blockDim.x;
  const int lane = tid % kWarp, warp = tid / kWarp, warps = T / kWarp;
  const int k = p.problems[blockIdx.x];
  const int n = p.rows[k], m = p.cols[k];
  const int64_t nm = static_cast<int64_t>(n) * m;
  const int64_t ro = p.rowOffset[k], co = p.colOffset[k], bo = p.blockOffset[k];
  const float* Cg = p.cost + bo;
  const bool balanced = isinf(p.rho);
  const bool l2 = p.l2;

  // ---- storage: M (n·m) then f, f', log2 a, a, wa (n each) and g, g', log2 b, b, wb (m each).
  float* Mw;
  float* vec;
  if constexpr (kShared) {
    Mw = dyn;
    vec = dyn + nm;
  } else {
    float* ws = p.workspace + p.workspaceOffset[blockIdx.x];
    const bool hasK = sinkhorn_needs_k(p.method);
    Mw = hasK ? ws : nullptr;
    vec = ws + (hasK ? nm : 0);
  }
  float* f = vec;
  float* fn = f + n;
  float* la = fn + n;
  float* av = la + n;
  float* wa = av + n;
  float* g = wa + n;
  float* gn = g + m;
  float* lb = gn + m;
  float* bv = lb + m;
  float* wb = bv + m;

  double sa = 0, sb = 0;
  float cmin = INFINITY;
  for (int i = tid; i < n; i += T) {
    const float x = p.a[ro + i];
    av[i] = x;
    la[i] = log2f(x);  // −inf for a masked token: its terms drop out of every LSE
    f[i] = 0.f;
    sa += x;
  }
  for (int j = tid; j < m; j += T) {
    const float x = p.b[co + j];
    bv[j] = x;
    lb[j] = log2f(x);
    g[j] = 0.f;
    sb += x;
  }
  sa = block_sum(sa, redD);  // (barriers: the vectors above are visible from here on)
  sb = block_sum(sb, redD);

  Mode mode = Mode::Log;
  Holds holds = Holds::Nothing;
  bool fellBack = p.method == KernelMethod::Log;
  const float* M = Cg;  // what the passes read: C (log domain) or K' (scaling form)

  // Puts C into on-chip storage for the log domain (shared launches; streaming reads C in place).
  auto use_log_storage = [&]() {
    mode = Mode::Log;
    if constexpr (kShared) {
      if (holds != Holds::Cost) {
        for (int64_t x = tid; x < nm; x += T) Mw[x] = Cg[x];
        holds = Holds::Cost;
        __syncthreads();
      }
      M = Mw;
    } else {
      M = Cg;
    }
  };
  // Builds K' = exp(−(C − min C)/eps) at the target eps (once per problem).
  auto use_scaling_storage = [&](float s) {
    mode = Mode::Scaling;
    if (holds != Holds::Gibbs) {
      float lo = INFINITY;
      for (int64_t x = tid; x < nm; x += T) lo = fminf(lo, Cg[x]);
      cmin = block_max(-lo, redF);  // (barrier: nobody reads M any more when it is overwritten)
      cmin = -cmin;
      for (int64_t x = tid; x < nm; x += T) Mw[x] = exp2f(-(Cg[x] - cmin) * s);
      holds = Holds::Gibbs;
      __syncthreads();
    }
    M = Mw;
  };
  if (fellBack) use_log_storage();

  double ed = eps_at(p, 0);
  float err = INFINITY;
  bool converged = false;
  int iters = 0;

  for (int t = 0; t < p.maxIter; ++t) {
    ed = eps_at(p, t);
    const float e = static_cast<float>(ed);
    const float s = kLog2e / e;  // (x / e) in log2 units = x · s
    const float phi = balanced ? 1.f : static_cast<float>(p.rho / (p.rho + ed));
    const float minSum = p.method == KernelMethod::Auto ? kAutoMinSum : 0.f;
    if (!fellBack && ed == p.eps) use_scaling_storage(s);
    else if (mode == Mode::Scaling || holds == Holds::Nothing) use_log_storage();

    float dF = 0.f, dG = 0.f;  // max |Δf|, |Δg| over the rows/columns this thread finishes

    // ---- f update (rows). Reads g, lb, M, wb; writes fn. A failed scaling half is redone in the
    // log domain (the potentials are untouched until the swap).
    for (;;) {
      bool bad = false;
      if (mode == Mode::Scaling) {
        // Shift by max g so every weight b_j e^{(g_j − gTop)/e} is in [0, b_j]: no overflow.
        float v = -INFINITY;
        for (int j = tid; j < m; j += T) v = fmaxf(v, g[j]);
        const float gTop = block_max(v, redF);
        for (int j = tid; j < m; j += T) wb[j] = bv[j] * exp2f((g[j] - gTop) * s);
        __syncthreads();
        const float shift = gTop - cmin;
        rows_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wb[j]; },
                        [&](int i, float S) {
                          if (!(S > minSum) || !isfinite(S)) bad = true;
                          const float v = -phi * (e * logf(S) + shift);
                          fn[i] = v;
                          dF = fmaxf(dF, fabsf(v - f[i]));
                        });
      } else {
        rows_lse(n, m, [&](int i, int j) { return lb[j] + (g[j] - M[static_cast<int64_t>(i) * m + j]) * s; },
                 [&](int i, float L) {
                   const float v = -phi * e * kLn2 * L;
                   fn[i] = v;
                   dF = fmaxf(dF, fabsf(v - f[i]));
                 });
      }
      if (__syncthreads_or(bad)) {  // barrier: fn complete, M and wb no longer read
        fellBack = true;
        dF = 0.f;
        use_log_storage();
        continue;
      }
      float* tmp = f;
      f = fn;
      fn = tmp;
      break;
    }

    // ---- g update (columns). Reads f, la, M, wa; writes gn.
    for (;;) {
      bool bad = false;
      if (mode == Mode::Scaling) {
        float v = -INFINITY;
        for (int i = tid; i < n; i += T) v = fmaxf(v, f[i]);
        const float fTop = block_max(v, redF);
        for (int i = tid; i < n; i += T) wa[i] = av[i] * exp2f((f[i] - fTop) * s);
        __syncthreads();
        const float shift = fTop - cmin;
        cols_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wa[i]; },
                        [&](int j, float S) {
                          if (!(S > minSum) || !isfinite(S)) bad = true;
                          const float v = -phi * (e * logf(S) + shift);
                          gn[j] = v;
                          dG = fmaxf(dG, fabsf(v - g[j]));
                        },
                        scratch);
      } else {
        cols_lse(n, m, [&](int i, int j) { return la[i] + (f[i] - M[static_cast<int64_t>(i) * m + j]) * s; },
                 [&](int j, float L) {
                   const float v = -phi * e * kLn2 * L;
                   gn[j] = v;
                   dG = fmaxf(dG, fabsf(v - g[j]));
                 },
                 scratch);
      }
      if (__syncthreads_or(bad)) {
        fellBack = true;
        dG = 0.f;
        use_log_storage();
        continue;
      }
      float* tmp = g;
      g = gn;
      gn = tmp;
      break;
    }

    iters = t + 1;
    if (iters % p.checkEvery != 0 && iters != p.maxIter) continue;

    // ---- convergence check (block-uniform decision).
    if (balanced) {
      // ‖P1 − a‖ + ‖Pᵀ1 − b‖ of the plan at (f, g, e).
      float eR = 0.f, eC = 0.f;
      if (mode == Mode::Scaling) {
        // r_i = a_i e^{(f_i + gTop − cmin)/e} Σ_j K'_ij b_j e^{(g_j − gTop)/e}; same for c_j.
        float vg = -INFINITY, vf = -INFINITY;
        for (int j = tid; j < m; j += T) vg = fmaxf(vg, g[j]);
        for (int i = tid; i < n; i += T) vf = fmaxf(vf, f[i]);
        const float gTop = block_max(vg, redF);
        const float fTop = block_max(vf, redF);
        for (int j = tid; j < m; j += T) wb[j] = bv[j] * exp2f((g[j] - gTop) * s);
        for (int i = tid; i < n; i += T) wa[i] = av[i] * exp2f((f[i] - fTop) * s);
        __syncthreads();
        rows_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wb[j]; },
                        [&](int i, float S) {
                          const float r = exp2f(la[i] + (f[i] + gTop - cmin) * s + log2f(S));
                          const float d = r - av[i];
                          eR += l2 ? d * d : fabsf(d);
                        });
        cols_sum<float>(n, m, [&](int i, int j) { return M[static_cast<int64_t>(i) * m + j] * wa[i]; },
                        [&](int j, float S) {
                          const float c = exp2f(lb[j] + (g[j] + fTop - cmin) * s + log2f(S));
                          const float d = c - bv[j];
                          eC += l2 ? d * d : fabsf(d);
                        },
                        scratch);
      } else {
        rows_lse(n, m, [&](int i, int j) { return lb[j] + (g[j] - M[static_cast<int64_t>(i) * m + j]) * s; },
                 [&](int i, float L) {
                   const float d = exp2f(la[i] + f[i] * s + L) - av[i];
                   eR += l2 ? d * d : fabsf(d);
                 });
        cols_lse(n, m, [&](int i, int j) { return la[i] + (f[i] - M[static_cast<int64_t>(i) * m + j]) * s; },
                 [&](int j, float L) {
                   const float d = exp2f(lb[j] + g[j] * s + L) - bv[j];
                   eC += l2 ? d * d : fabsf(d);
                 },
                 scratch);
      }
      eR = block_sum(eR, redF);  // (barriers: wa/wb/M reads of this check are over)
      eC = block_sum(eC, redF);
      err = l2 ? sqrtf(eR) + sqrtf(eC) : eR + eC;
    } else {
      err = block_max(dF, redF) + block_max(dG, redF);
    }
    if (p.tol > 0 && ed == p.eps && err <= p.tol) {
      converged = true;
      break;
    }
  }

  // ---- final plan, reported values (double), potentials. Reads C from global memory (exact
  // inputs even when M holds K'); the plan uses the e of the last iteration.
  const float e = static_cast<float>(ed);
  const float s = kLog2e / e;
  float* plan = p.plan + bo;
  double TR = 0, EN = 0, MS = 0, KL = 0, ER = 0;  // lane 0 of each warp accumulates its rows
  for (int i = warp; i < n; i += warps) {
    double tr = 0, en = 0, rs = 0;
    const float fi = f[i], lai = la[i];
    for (int j = lane; j < m; j += kWarp) {
      const int64_t x = static_cast<int64_t>(i) * m + j;
      const float c = Cg[x];
      const float z = fi + g[j] - c;
      const float pij = exp2f(lai + lb[j] + z * s);
      plan[x] = pij;
      if (pij > 0.f) {
        tr += static_cast<double>(pij) * c;
        en += static_cast<double>(pij) * z;
      }
      rs += pij;
    }
    tr = warp_sum(tr);
    en = warp_sum(en);
    rs = warp_sum(rs);
    if (lane == 0) {
      const double ai = av[i];
      TR += tr;
      EN += en;
      MS += rs;
      if (!balanced) KL += (rs > 0 ? rs * log(rs / ai) - rs : 0.0) + ai;
      const double d = rs - ai;
      ER += l2 ? d * d : fabs(d);
    }
  }
  double KLc = 0, EC = 0;
  cols_sum<double>(n, m,
                   [&](int i, int j) {
                     const float z = f[i] + g[j] - Cg[static_cast<int64_t>(i) * m + j];
                     return static_cast<double>(exp2f(la[i] + lb[j] + z * s));
                   },
                   [&](int j, double cs) {
                     const double bj = bv[j];
                     if (!balanced) KLc += (cs > 0 ? cs * log(cs / bj) - cs : 0.0) + bj;
                     const double d = cs - bj;
                     EC += l2 ? d * d : fabs(d);
                   },
                   scratch);
  TR = block_sum(TR, redD);
  EN = block_sum(EN, redD);
  MS = block_sum(MS, redD);
  KL = block_sum(KL + KLc, redD);
  ER = block_sum(ER, redD);
  EC = block_sum(EC, redD);

  for (int i = tid; i < n; i += T) p.f[ro + i] = f[i];
  for (int j = tid; j < m; j += T) p.g[co + j] = g[j];
  if (tid == 0) {
    double error = err;
    if (balanced) error = l2 ? sqrt(ER) + sqrt(EC) : ER + EC;  // of the returned plan, like native/core
    double value = TR + EN - ed * MS + ed * sa * sb;
    if (!balanced) value += p.rho * KL;
    p.cost_out[k] = TR;
    p.value[k] = value;
    p.iterations[k] = iters;
    p.error[k] = error;
    p.converged[k] = (converged || (ed == p.eps && error <= p.tol)) ? 1 : 0;
  }
}

}  // namespace optical::cuda
