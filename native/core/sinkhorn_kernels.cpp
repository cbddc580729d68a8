// sinkhorn_kernels.h: the loops of sinkhorn_kernels.inl compiled once per ISA level, and the entry
// points that call the level ot::isa_choice() picked (see isa_dispatch.h).
#include "sinkhorn_kernels.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>

#include "fast_math.h"

#define OT_ISA_KERNELS "sinkhorn_kernels.inl"
#include "isa_instantiate.h"

namespace ot {
namespace kernels {

// Each entry point resolves its level once (a function-local static) and forwards.
#define OT_FORWARD(fn, ...)                                \
  static const auto impl = OT_ISA_SELECT(fn);              \
  return impl(__VA_ARGS__)

void log_rows(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h, float invEps, float* lse,
              bool haveShift, float* acc, uint32_t* scan) {
  OT_FORWARD(log_rows, C, m, r0, r1, h, invEps, lse, haveShift, acc, scan);
}

void log_cols(const float* C, int64_t n, int64_t m, int64_t c0, int64_t c1, const float* h, float invEps,
              float* lse, bool haveShift, float* acc) {
  OT_FORWARD(log_cols, C, n, m, c0, c1, h, invEps, lse, haveShift, acc);
}

void log_col_terms(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h, float invEps, float* shift,
                   float* sum, bool online, float* blk) {
  OT_FORWARD(log_col_terms, C, m, r0, r1, h, invEps, shift, sum, online, blk);
}

bool log_merge_cols(const float* shifts, const float* sums, int64_t chunks, int64_t m, int64_t c0, int64_t c1,
                    const float* shift0, float* lse) {
  OT_FORWARD(log_merge_cols, shifts, sums, chunks, m, c0, c1, shift0, lse);
}

void transpose(const float* C, int64_t n, int64_t m, int64_t r0, int64_t r1, float* CT) {
  OT_FORWARD(transpose, C, n, m, r0, r1, CT);
}

void scale_rows(const float* K, int64_t m, int64_t r0, int64_t r1, const float* w, float* S) {
  OT_FORWARD(scale_rows, K, m, r0, r1, w, S);
}

void scale_cols(const float* K, int64_t n, int64_t m, int64_t c0, int64_t c1, const float* z, float* T) {
  OT_FORWARD(scale_cols, K, n, m, c0, c1, z, T);
}

bool scaling_update(const float* R, const float* k, const float* wgt, int64_t len, bool balanced, float tau, float bound,
                    float* x, float* u) {
  OT_FORWARD(scaling_update, R, k, wgt, len, balanced, tau, bound, x, u);
}

bool scaling_rows_cols(const float* K, int64_t m, int64_t r0, int64_t r1, const float* w, const float* k,
                       const float* wgt, bool balanced, float tau, float bound, float* S, float* x, float* z,
                       float* colSum, float* blk) {
  OT_FORWARD(scaling_rows_cols, K, m, r0, r1, w, k, wgt, balanced, tau, bound, S, x, z, colSum, blk);
}

void gibbs_kernel(const float* C, int64_t m, int64_t r0, int64_t r1, const ExpTerms& t, float* K) {
  OT_FORWARD(gibbs_kernel, C, m, r0, r1, t, K);
}

void plan_log(const float* C, int64_t m, int64_t r0, int64_t r1, const ExpTerms& t, float* plan, double* rowSum,
              double* colSum, double* pc, float* blk) {
  OT_FORWARD(plan_log, C, m, r0, r1, t, plan, rowSum, colSum, pc, blk);
}

void make_exp_terms(const double* F, int64_t n, const double* G, int64_t m, double invEps, ExpTerms& t) {
  t.F = F;
  t.G = G;
  t.invEps = invEps;
  // The grid: a power of two q with (max|F·invEps| + max|G·invEps|)/q ≤ 2^22, so that every
  // hi part is an integer multiple of q below 2^22·q and any sum of two is exact in float.
  double maxF = 0, maxG = 0;
  for (int64_t i = 0; i < n; ++i)
    if (std::isfinite(F[i])) maxF = std::max(maxF, std::fabs(F[i] * invEps));
  for (int64_t j = 0; j < m; ++j)
    if (std::isfinite(G[j])) maxG = std::max(maxG, std::fabs(G[j] * invEps));
  const double total = maxF + maxG;
  t.useDouble = !(total < 1e30 && invEps < 1e30);
  if (t.useDouble) return;
  const double q = std::ldexp(1.0, std::max(-100, static_cast<int>(std::ceil(std::log2(std::max(total, 1e-300)))) - 22));
  auto split = [q](double v, float& hi, float& lo) {
    if (!std::isfinite(v)) {  // −inf: a zero-mass row or column, whose entries are exactly 0
      hi = static_cast<float>(v);
      lo = 0.0f;
      return;
    }
    const double h = std::nearbyint(v / q) * q;
    hi = static_cast<float>(h);
    lo = static_cast<float>(v - h);
  };
  t.fh.resize(n);
  t.fl.resize(n);
  t.gh.resize(m);
  t.gl.resize(m);
  for (int64_t i = 0; i < n; ++i) split(F[i] * invEps, t.fh[i], t.fl[i]);
  for (int64_t j = 0; j < m; ++j) split(G[j] * invEps, t.gh[j], t.gl[j]);
  t.ih = static_cast<float>(invEps);
  t.il = static_cast<float>(invEps - static_cast<double>(t.ih));
}

void plan_scaling(const float* C, const float* K, int64_t m, int64_t r0, int64_t r1, const float* u, const float* v,
                  float* plan, double* rowSum, double* colSum, double* pc, float* blk) {
  OT_FORWARD(plan_scaling, C, K, m, r0, r1, u, v, plan, rowSum, colSum, pc, blk);
}

void floor_pass(const float* C, int64_t c0, int64_t c1, float invEps, float* P, double* sum) {
  OT_FORWARD(floor_pass, C, c0, c1, invEps, P, sum);
}

#undef OT_FORWARD

}  // namespace kernels
}  // namespace ot
