// The multi-block path for problems too large for shared memory when there are too few of them to
// fill the GPU with one block each (a single 4096×4096 problem would otherwise run on one SM).
// Log domain (for every method: the iterates are the same, only the parametrisation differs), one
// kernel launch per half-iteration phase, driven by the host loop in wide_driver.h:
//
//   wide_rows          one warp per row (8 rows per block): f_i from a shuffle LSE over the row;
//   wide_cols_partial  one thread per column over a chunk of 256 rows (coalesced reads of C), a
//                      partial LSE/sum per (chunk, column);
//   wide_cols_combine  one thread per column merges its chunks: g_j;
//   wide_finalize_*    one block per problem: error, convergence, the reported values.
//
// The same row/column kernels, with a WidePass parameter, also form the plan sums of the
// convergence check and of the final pass. All state lives in global memory, indexed like the
// batch (f by rowOffset, g by colOffset) or by the problem's slot in the wide list. No kernel here
// has a barrier except the finalize kernels (block-uniform early exits only before them), and a
// converged problem only copies its potentials forward so the host can swap buffers for everyone.
#pragma once

#include <cstdint>

#include "cuda/reduce.cuh"
#include "cuda/sinkhorn_kernel.cuh"

namespace optical::cuda {

constexpr int kWideThreads = 256;
constexpr int kWideRowsPerBlock = kWideThreads / kWarp;  // one warp per row
constexpr int kWideChunkRows = 256;                       // rows per column-partial block

enum class WidePass : int { Update = 0, Check = 1, Final = 2 };

/** One block's work: problem slot, first row (rows) or column (columns), row chunk (partials). */
struct WideTask {
  int32_t slot, start, chunk;
};

struct WideState {
  const WideTask* rowTasks;
  const WideTask* colTasks;      // partial kernel: (slot, j0, chunk)
  const WideTask* combineTasks;  // combine kernel: (slot, j0, 0)
  const int32_t* problems;       // slot → problem index
  const int64_t* partOffset;     // slot → offset into partMx / partSum
  float* partMx;
  double* partSum;
  float* f;
  float* fn;
  float* g;
  float* gn;
  float* la;  // log2 a, log2 b (batch layout)
  float* lb;
  float* rowVal;  // |Δf_i| after an update, the row's error term after a check
  float* colVal;
  double* rowMass;  // final pass: Σ_j P_ij, Σ_j P_ij C_ij, Σ_i P_ij
  double* rowCost;
  double* colMass;
  float* rowMaxC;   // max_j |C_ij| (batch layout, from the first row pass): the float32 floor's max |C|
  int32_t* active;  // per slot
  int32_t* lastIter;
  uint8_t* convergedFlag;
  float* err;
  float* bestErr;     // per slot: smallest error of a check at the target eps so far
  int32_t* sinceBest; // per slot: checks since it (native/core's float32 floor rule)
  // This launch's iteration.
  double ed;
  float e, s, phi;
  int32_t iteration;
  bool atTarget;
};

namespace wide_detail {

__device__ inline double eps_of(const SinkhornParams& p, int t) {
  if (p.epsDecay >= 1.0 || p.epsInit <= p.eps) return p.eps;
  const double e = p.epsInit * pow(p.epsDecay, static_cast<double>(t));
  return e > p.eps ? e : p.eps;
}

constexpr double kLog2eD = 1.4426950408889634;
constexpr int kFloorChecks = 3;                           // as native/core and sinkhorn_device.cuh
constexpr double kUnitRoundoff = 5.9604644775390625e-08;  // 2^-24

/** P_ij from its exponent formed in double (f + g − C cancels; see sinkhorn_device.cuh). */
__device__ __forceinline__ float plan_entry(float la, float lb, float f, float g, float c, double sd) {
  return exp2f(la + lb + static_cast<float>((static_cast<double>(f) + g - c) * sd));
}

}  // namespace wide_detail

__global__ void __launch_bounds__(kWideThreads) wide_init(SinkhornParams p, WideState w) {
  const int slot = blockIdx.x, k = w.problems[slot];
  const int n = p.rows[k], m = p.cols[k];
  const int64_t ro = p.rowOffset[k], co = p.colOffset[k];
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    w.f[ro + i] = 0.f;
    w.la[ro + i] = log2f(p.a[ro + i]);
  }
  for (int j = threadIdx.x; j < m; j += blockDim.x) {
    w.g[co + j] = 0.f;
    w.lb[co + j] = log2f(p.b[co + j]);
  }
  if (threadIdx.x == 0) {
    w.active[slot] = 1;
    w.lastIter[slot] = 0;
    w.convergedFlag[slot] = 0;
    w.err[slot] = INFINITY;
    w.bestErr[slot] = INFINITY;
    w.sinceBest[slot] = 0;
  }
}

template <WidePass kPass>
__global__ void __launch_bounds__(kWideThreads) wide_rows(SinkhornParams p, WideState w) {
  using namespace wide_detail;
  const WideTask task = w.rowTasks[blockIdx.x];
  const int k = w.problems[task.slot];
  const int n = p.rows[k], m = p.cols[k];
  const int lane = threadIdx.x % kWarp;
  const int i = task.start + static_cast<int>(threadIdx.x) / kWarp;
  if (i >= n) return;  // warp-uniform: the shuffles below run on whole warps
  const int64_t ro = p.rowOffset[k], co = p.colOffset[k];
  const float* C = p.cost + p.blockOffset[k] + static_cast<int64_t>(i) * m;
  const float* g = w.g + co;
  const float* lb = w.lb + co;
  const bool active = w.active[task.slot] != 0;
  if constexpr (kPass == WidePass::Update) {
    if (!active) {  // keep the potential in both buffers (the host swaps them for every problem)
      if (lane == 0) w.fn[ro + i] = w.f[ro + i];
      return;
    }
    const float eLn2 = w.e * kLn2;
    Lse s;
    for (int j = lane; j < m; j += kWarp) s.add(((g[j] + eLn2 * lb[j]) - C[j]) * w.s);
    warp_merge(s);
    if (lane == 0) {
      const float v = -w.phi * w.e * kLn2 * s.value();
      w.rowVal[ro + i] = fabsf(v - w.f[ro + i]);
      w.fn[ro + i] = v;
    }
    if (w.iteration == 0) {  // once: the row's largest |C| (the float32 floor needs max |C|)
      float mx = 0.f;
      for (int j = lane; j < m; j += kWarp) mx = fmaxf(mx, fabsf(C[j]));
      mx = warp_max(mx);
      if (lane == 0) w.rowMaxC[ro + i] = mx;
    }
  } else if constexpr (kPass == WidePass::Check) {
    if (!active) return;
    const double sd = kLog2eD / w.ed;
    const float fi = w.f[ro + i], lai = w.la[ro + i];
    float r = 0.f;
    for (int j = lane; j < m; j += kWarp) r += plan_entry(lai, lb[j], fi, g[j], C[j], sd);
    r = warp_sum(r);
    if (lane == 0) {
      const float d = r - p.a[ro + i];
      w.rowVal[ro + i] = p.l2 ? d * d : fabsf(d);
    }
  } else {
    // Final: every problem, with the eps of its own last iteration.
    const double sd = kLog2eD / eps_of(p, w.lastIter[task.slot] - 1);
    const float fi = w.f[ro + i], lai = w.la[ro + i];
    float* plan = p.plan + p.blockOffset[k] + static_cast<int64_t>(i) * m;
    double rs = 0, tr = 0;
    for (int j = lane; j < m; j += kWarp) {
      const float pij = plan_entry(lai, lb[j], fi, g[j], C[j], sd);
      plan[j] = pij;
      rs += pij;
      tr += static_cast<double>(pij) * C[j];
    }
    rs = warp_sum(rs);
    tr = warp_sum(tr);
    if (lane == 0) {
      w.rowMass[ro + i] = rs;
      w.rowCost[ro + i] = tr;
    }
  }
}

template <WidePass kPass>
__global__ void __launch_bounds__(kWideThreads) wide_cols_partial(SinkhornParams p, WideState w) {
  using namespace wide_detail;
  const WideTask task = w.colTasks[blockIdx.x];
  if (kPass != WidePass::Final && !w.active[task.slot]) return;
  const int k = w.problems[task.slot];
  const int n = p.rows[k], m = p.cols[k];
  const int j = task.start + static_cast<int>(threadIdx.x);
  if (j >= m) return;
  const int i0 = task.chunk * kWideChunkRows, i1 = min(n, i0 + kWideChunkRows);
  const int64_t ro = p.rowOffset[k], co = p.colOffset[k];
  const float* C = p.cost + p.blockOffset[k] + j;  // C[i·m] = C_ij
  const float* f = w.f + ro;
  const float* la = w.la + ro;
  const int64_t out = w.partOffset[task.slot] + static_cast<int64_t>(task.chunk) * m + j;
  if constexpr (kPass == WidePass::Update) {
    const float eLn2 = w.e * kLn2;
    Lse s;
    for (int i = i0; i < i1; ++i) s.add(((f[i] + eLn2 * la[i]) - C[static_cast<int64_t>(i) * m]) * w.s);
    w.partMx[out] = s.mx;
    w.partSum[out] = s.sum;
  } else {
    const double sd = kLog2eD / (kPass == WidePass::Check ? w.ed : eps_of(p, w.lastIter[task.slot] - 1));
    const float gj = w.g[co + j], lbj = w.lb[co + j];
    double sum = 0;  // Check sums in float below; Final in double
    float sumF = 0.f;
    for (int i = i0; i < i1; ++i) {
      const float pij = plan_entry(la[i], lbj, f[i], gj, C[static_cast<int64_t>(i) * m], sd);
      if constexpr (kPass == WidePass::Check) sumF += pij; else sum += pij;
    }
    w.partSum[out] = kPass == WidePass::Check ? static_cast<double>(sumF) : sum;
  }
}

template <WidePass kPass>
__global__ void __launch_bounds__(kWideThreads) wide_cols_combine(SinkhornParams p, WideState w) {
  const WideTask task = w.combineTasks[blockIdx.x];
  const int k = w.problems[task.slot];
  const int n = p.rows[k], m = p.cols[k];
  const int j = task.start + static_cast<int>(threadIdx.x);
  if (j >= m) return;
  const int64_t co = p.colOffset[k];
  const int chunks = (n + kWideChunkRows - 1) / kWideChunkRows;
  const int64_t base = w.partOffset[task.slot] + j;
  const bool active = w.active[task.slot] != 0;
  if constexpr (kPass == WidePass::Update) {
    if (!active) {
      w.gn[co + j] = w.g[co + j];
      return;
    }
    Lse t;
    for (int c = 0; c < chunks; ++c) t.merge(w.partMx[base + static_cast<int64_t>(c) * m], static_cast<float>(w.partSum[base + static_cast<int64_t>(c) * m]));
    const float v = -w.phi * w.e * kLn2 * t.value();
    w.colVal[co + j] = fabsf(v - w.g[co + j]);
    w.gn[co + j] = v;
  } else {
    if (kPass == WidePass::Check && !active) return;
    double c = 0;
    for (int q = 0; q < chunks; ++q) c += w.partSum[base + static_cast<int64_t>(q) * m];
    if constexpr (kPass == WidePass::Check) {
      const float d = static_cast<float>(c) - p.b[co + j];
      w.colVal[co + j] = p.l2 ? d * d : fabsf(d);
    } else {
      w.colMass[co + j] = c;
    }
  }
}

/** After a check: the problem's error and whether it stops (one block per slot): within tol, or at
 *  the float32 floor (native/core's rule: no new smallest error for kFloorChecks checks in a row,
 *  and within twice the floor 2^-24·(Σ a|f| + Σ b|g| + Σa·max|C|)/eps, unbalanced 2·2^-24·(max|f| +
 *  max|g| + max|C|)). Every decision is block-uniform: it depends on block reductions and on the
 *  slot's state read before the first barrier. */
__global__ void __launch_bounds__(kWideThreads) wide_finalize_check(SinkhornParams p, WideState w) {
  __shared__ float red[kWideThreads / kWarp];
  __shared__ double redD[kWideThreads / kWarp];
  const int slot = blockIdx.x;
  if (!w.active[slot]) return;  // block-uniform, before any barrier
  const int k = w.problems[slot];
  const int n = p.rows[k], m = p.cols[k];
  const int64_t ro = p.rowOffset[k], co = p.colOffset[k];
  const bool balanced = isinf(p.rho);
  const float best = w.bestErr[slot];
  const int since = w.sinceBest[slot];
  float r = 0.f, c = 0.f;  // sums (balanced) or maxima (unbalanced) of the per-row/column terms
  for (int i = threadIdx.x; i < n; i += blockDim.x) r = balanced ? r + w.rowVal[ro + i] : fmaxf(r, w.rowVal[ro + i]);
  for (int j = threadIdx.x; j < m; j += blockDim.x) c = balanced ? c + w.colVal[co + j] : fmaxf(c, w.colVal[co + j]);
  float err;
  if (balanced) {
    r = block_sum(r, red);
    c = block_sum(c, red);
    err = p.l2 ? sqrtf(r) + sqrtf(c) : r + c;
  } else {
    err = block_max(r, red) + block_max(c, red);  // max |Δf| + max |Δg| of this iteration
  }
  bool stop = false, floorStop = false;
  int sinceNext = since;
  float bestNext = best;
  if (p.tol > 0 && w.atTarget) {
    if (err <= p.tol) {
      stop = true;
    } else if (err < best) {
      bestNext = err;
      sinceNext = 0;
    } else if (++sinceNext >= wide_detail::kFloorChecks) {
      float mc = 0.f;
      for (int i = threadIdx.x; i < n; i += blockDim.x) mc = fmaxf(mc, w.rowMaxC[ro + i]);
      mc = block_max(mc, red);
      double bound;
      if (balanced) {
        double s = 0, mass = 0;
        for (int i = threadIdx.x; i < n; i += blockDim.x) {
          s += static_cast<double>(p.a[ro + i]) * fabs(static_cast<double>(w.f[ro + i]));
          mass += p.a[ro + i];
        }
        for (int j = threadIdx.x; j < m; j += blockDim.x) s += static_cast<double>(p.b[co + j]) * fabs(static_cast<double>(w.g[co + j]));
        s = block_sum(s, redD);
        mass = block_sum(mass, redD);
        bound = wide_detail::kUnitRoundoff * (s + mass * mc) / p.eps;
      } else {
        float mf = 0.f, mg = 0.f;
        for (int i = threadIdx.x; i < n; i += blockDim.x) mf = fmaxf(mf, fabsf(w.f[ro + i]));
        for (int j = threadIdx.x; j < m; j += blockDim.x) mg = fmaxf(mg, fabsf(w.g[co + j]));
        mf = block_max(mf, red);
        mg = block_max(mg, red);
        bound = 2 * wide_detail::kUnitRoundoff * (static_cast<double>(mf) + mg + mc);
      }
      floorStop = err <= 2 * bound;
    }
  }
  if (threadIdx.x == 0) {
    w.err[slot] = err;
    w.lastIter[slot] = w.iteration + 1;
    w.bestErr[slot] = bestNext;
    w.sinceBest[slot] = sinceNext;
    if (stop || floorStop) {
      w.active[slot] = 0;
      w.convergedFlag[slot] = 1;
    }
  }
}

/** The reported values from the final pass's sums (one block per slot), like the on-chip kernel. */
__global__ void __launch_bounds__(kWideThreads) wide_finalize(SinkhornParams p, WideState w) {
  using namespace wide_detail;
  __shared__ double red[kWideThreads / kWarp];
  const int slot = blockIdx.x, k = w.problems[slot];
  const int n = p.rows[k], m = p.cols[k];
  const int64_t ro = p.rowOffset[k], co = p.colOffset[k];
  const bool balanced = isinf(p.rho);
  const double ed = eps_of(p, w.lastIter[slot] - 1);
  double TR = 0, FR = 0, MS = 0, KL = 0, ER = 0, GC = 0, EC = 0, SA = 0, SB = 0;
  for (int i = threadIdx.x; i < n; i += blockDim.x) {
    const double rs = w.rowMass[ro + i], ai = p.a[ro + i];
    TR += w.rowCost[ro + i];
    FR += static_cast<double>(w.f[ro + i]) * rs;
    MS += rs;
    SA += ai;
    if (!balanced) KL += (rs > 0 ? rs * log(rs / ai) - rs : 0.0) + ai;
    ER += p.l2 ? (rs - ai) * (rs - ai) : fabs(rs - ai);
    p.f[ro + i] = w.f[ro + i];
  }
  for (int j = threadIdx.x; j < m; j += blockDim.x) {
    const double cs = w.colMass[co + j], bj = p.b[co + j];
    GC += static_cast<double>(w.g[co + j]) * cs;
    SB += bj;
    if (!balanced) KL += (cs > 0 ? cs * log(cs / bj) - cs : 0.0) + bj;
    EC += p.l2 ? (cs - bj) * (cs - bj) : fabs(cs - bj);
    p.g[co + j] = w.g[co + j];
  }
  TR = block_sum(TR, red);
  FR = block_sum(FR, red);
  MS = block_sum(MS, red);
  KL = block_sum(KL, red);
  ER = block_sum(ER, red);
  GC = block_sum(GC, red);
  EC = block_sum(EC, red);
  SA = block_sum(SA, red);
  SB = block_sum(SB, red);
  if (threadIdx.x == 0) {
    const double error = balanced ? (p.l2 ? sqrt(ER) + sqrt(EC) : ER + EC) : static_cast<double>(w.err[slot]);
    double value = FR + GC - ed * (MS - SA * SB);
    if (!balanced) value += p.rho * KL;
    p.cost_out[k] = TR;
    p.value[k] = value;
    p.iterations[k] = w.lastIter[slot];
    p.error[k] = error;
    p.converged[k] = w.convergedFlag[slot];  // a check passed (tol > 0), like native/core
  }
}

}  // namespace optical::cuda
