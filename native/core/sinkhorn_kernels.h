// The O(n·m) inner loops of Sinkhorn, each over a row range or a column range of one row-major
// n × m block so that a caller can split one large problem across threads. Internal to native/core.
//
// Each function is compiled once per ISA level (sinkhorn_kernels.inl, isa_dispatch.h) and calls the
// level that ot::isa_choice() picked.
#ifndef OPTICAL_NATIVE_CORE_SINKHORN_KERNELS_H
#define OPTICAL_NATIVE_CORE_SINKHORN_KERNELS_H

#include <cstdint>
#include <vector>

namespace ot {
namespace kernels {

// Log domain, row reductions: lse[i] = log Σ_j exp((h[j] − C[i,j]) · invEps) for i in [r0, r1).
// h[j] may be −inf (zero marginal). When haveShift, lse[i] holds the previous value and is used as
// the shift in a single pass; if the shifted sum leaves a safe range the row is redone with the
// exact max shift (always so when !haveShift).
// `acc` is scratch of length ≥ r1 (only [r0, r1) is touched).
// `scan` (only with !haveShift; the first pass over a cost block): also raises *scan to the largest
// |C[i,j]| read, as its bit pattern (uint32 order = |value| order, and NaN/±Inf ≥ kNonFiniteBits
// above every finite value), and returns at the first row holding a non-finite entry (the lse of
// that row and of the rows after it are then garbage).
constexpr uint32_t kNonFiniteBits = 0x7f800000u;
void log_rows(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h, float invEps, float* lse,
              bool haveShift, float* acc, uint32_t* scan = nullptr);

// Log domain, column reductions: lse[j] = log Σ_i exp((h[i] − C[i,j]) · invEps) for j in [c0, c1).
// Rows with h[i] = −inf are skipped. `acc` is scratch of length ≥ m (only [c0, c1) is touched).
void log_cols(const float* C, int64_t n, int64_t m, int64_t c0, int64_t c1, const float* h, float invEps,
              float* lse, bool haveShift, float* acc);

// Log domain, the column terms of rows [r0, r1) added to one chunk's column sums (the g update
// fused into the pass of the f update, while those rows are still in cache):
//   sum[j] += Σ_i exp((h[i] − C[i,j]) · invEps − shift[j])     for all j in [0, m).
// Fixed shift (`online` false): shift[j] is the previous iteration's column lse, read only.
// Online shift: shift[j] is this chunk's running column max, raised (and sum[j] rescaled) when a
// row block brings a larger term, so that every sum lies in [1, rows]; start with shift = −inf,
// sum = 0. `blk` is scratch of length ≥ m.
void log_col_terms(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h, float invEps, float* shift,
                   float* sum, bool online, float* blk);

// Merges the per-chunk (shift, sum) pairs of log_col_terms, in chunk order, into
// lse[j] = log Σ_chunks sum·exp(shift − max shift) + max shift for j in [c0, c1). With a fixed
// shift (every chunk's shift is `shift0`), returns false when some merged sum leaves the range in
// which the fixed shift is trusted (the caller then recomputes those columns with log_cols).
bool log_merge_cols(const float* shifts, const float* sums, int64_t chunks, int64_t m, int64_t c0, int64_t c1,
                    const float* shift0, float* lse);

// CT[j, i] = C[i, j] for rows i in [r0, r1) of the n × m block C (CT is m × n).
void transpose(const float* C, int64_t n, int64_t m, int64_t r0, int64_t r1, float* CT);

// Scaling form: S[i] = Σ_j K[i,j] · w[j] for i in [r0, r1).
void scale_rows(const float* K, int64_t m, int64_t r0, int64_t r1, const float* w, float* S);

// Scaling form: T[j] = Σ_i z[i] · K[i,j] for j in [c0, c1).
void scale_cols(const float* K, int64_t n, int64_t m, int64_t c0, int64_t c1, const float* z, float* T);

// The scaling-form vector update after a kernel product R (= K·(b∘y) or Kᵀ·(a∘x)):
//   x[i] = 1/R[i] (balanced) or k[i]·R[i]^−tau (unbalanced),  u[i] = wgt[i]·x[i].
// True when every R is a positive normal float and every x lies in (0, bound].
bool scaling_update(const float* R, const float* k, const float* wgt, int64_t len, bool balanced, float tau, float bound,
                    float* x, float* u);

// Scaling form, one pass over rows [r0, r1) of K for a whole iteration's worth of reads: the x
// update of those rows (S = K·w, then scaling_update into x, z) and their terms of Kᵀ·z added to
// one chunk's column sums: colSum[j] += Σ_i z[i] · K[i,j]. `blk` is scratch of length ≥ m.
// Returns scaling_update's verdict for these rows.
bool scaling_rows_cols(const float* K, int64_t m, int64_t r0, int64_t r1, const float* w, const float* k,
                       const float* wgt, bool balanced, float tau, float bound, float* S, float* x, float* z,
                       float* colSum, float* blk);

// The exponent x_ij = (F_i + G_j − C_ij) · invEps of a plan or kernel entry, computed in float as
// accurately as in double. The terms cancel (x is small where it matters, F_i/eps and C_ij/eps
// are not), so F·invEps and G·invEps are each split into a part on a coarse power-of-two grid (hi:
// the sum of any two is exact in float) and a small remainder (lo), and invEps into its float value
// and the remainder:
//   x = fma(−C, ih, Fh_i + Gh_j) + (Fl_i + Gl_j − C·il)
// rounds once, at the magnitude of x. Levels with FMA (x86-64-v3, v4) use this; the baseline, and
// any call whose terms exceed the float range (`useDouble`), computes x in double from F, G.
// F_i = −inf (a zero-mass row) gives x = −inf.
struct ExpTerms {
  const double* F = nullptr;
  const double* G = nullptr;
  double invEps = 0;
  std::vector<float> fh, fl, gh, gl;
  float ih = 0, il = 0;
  bool useDouble = true;
};
void make_exp_terms(const double* F, int64_t n, const double* G, int64_t m, double invEps, ExpTerms& t);

// K[i,j] = exp(x_ij) for rows [r0, r1) (fast_exp; exact 0 below e^−87).
void gibbs_kernel(const float* C, int64_t m, int64_t r0, int64_t r1, const ExpTerms& t, float* K);

// Plan statistics over rows [r0, r1) of one problem. The plan entry is
//   log form:     P[i,j] = exp(x_ij) (ExpTerms of F = f + eps·log a, G = g + eps·log b)
//   scaling form: P[i,j] = u[i] · K[i,j] · v[j]                       (u = a∘x, v = b∘y, float;
//                 multiplied in double: u·v alone may exceed the float range where K is 0)
// rowSum[i] (i in [r0,r1)) and colSum[j] (all j; the caller passes a per-chunk buffer, zeroed here)
// are accumulated in double (over float sums of short stretches), *pc += Σ P∘C. When `plan` is
// non-null the entries are stored there (for the scaling form `plan` may alias K: each entry is
// read before it is overwritten). `blk` is scratch of length ≥ m.
void plan_log(const float* C, int64_t m, int64_t r0, int64_t r1, const ExpTerms& t, float* plan, double* rowSum,
              double* colSum, double* pc, float* blk);
void plan_scaling(const float* C, const float* K, int64_t m, int64_t r0, int64_t r1, const float* u, const float* v,
                  float* plan, double* rowSum, double* colSum, double* pc, float* blk);

// The work floor of one Sinkhorn call (ot::work_floor): for cells [c0, c1) of C, one read of C, one
// write of P = exp(−C·invEps) and a second exp per cell, summed into *sum.
void floor_pass(const float* C, int64_t c0, int64_t c1, float invEps, float* P, double* sum);

}  // namespace kernels
}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_SINKHORN_KERNELS_H
