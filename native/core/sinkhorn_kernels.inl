// The bodies of sinkhorn_kernels.h, included once per ISA level by sinkhorn_kernels.cpp with
// OT_ISA_NS (the level's namespace) and OT_ISA_TARGET (its target attribute) defined; see
// isa_dispatch.h for why every function here carries the attribute. No include guard on purpose.

namespace ot {
namespace kernels {
namespace OT_ISA_NS {

namespace {

// A shifted sum of exponentials is trusted when it lies in this range: its largest term is then
// ≤ e^60 (no overflow) and ≥ e^−60 / m, so the terms that matter stay far above the flush-to-zero
// threshold of fast_exp and keep full float precision.
constexpr float kSumLo = 8.75e-27f;   // e^-60
constexpr float kSumHi = 1.14e26f;    // e^60
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

// Column sums run over row blocks of this size into a small tile of partial sums that is then
// added to the total: float rounding grows with ~(block + n/block) additions instead of n, which
// matters for tall problems (tens of thousands of rows).
constexpr int64_t kRowBlock = 256;
constexpr int64_t kColTile = 512;

OT_ISA_TARGET OT_INLINE bool sum_ok(float s) { return s >= kSumLo && s <= kSumHi; }

OT_ISA_TARGET OT_INLINE float row_sum_exp(const float* __restrict c, const float* __restrict h, float invEps,
                                          float shift, int64_t m) {
  float s = 0.0f;
  for (int64_t j = 0; j < m; ++j) s += exp_term((h[j] - c[j]) * invEps - shift);
  return s;
}

// Max of (h[j] − c[j])·invEps. gcc does not vectorise float max reductions without
// -ffinite-math-only (which would break the NaN/Inf checks elsewhere), so the lanes are explicit
// GCC vector-extension values (8 floats: one AVX register, two SSE ones on the baseline).
// kScan: also raises *scan to the largest |c[j]| bit pattern (see log_rows); an integer max, so
// NaN/±Inf cannot slip through a float comparison.
typedef float v8sf __attribute__((vector_size(32)));
typedef int32_t v8si __attribute__((vector_size(32)));

template <bool kScan>
OT_ISA_TARGET OT_INLINE float row_max(const float* __restrict c, const float* __restrict h, float invEps, int64_t m,
                                      uint32_t* scan) {
  v8sf lane = {kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf, kNegInf};
  const v8sf inv = {invEps, invEps, invEps, invEps, invEps, invEps, invEps, invEps};
  v8si absMax = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t j = 0;
  for (; j + 8 <= m; j += 8) {
    v8sf hv, cv;
    std::memcpy(&hv, h + j, sizeof hv);
    std::memcpy(&cv, c + j, sizeof cv);
    if (kScan) {
      v8si bits;
      std::memcpy(&bits, c + j, sizeof bits);
      bits &= 0x7fffffff;  // |c| as a non-negative int32: same order as the floats
      absMax = bits > absMax ? bits : absMax;
    }
    const v8sf v = (hv - cv) * inv;
    lane = v > lane ? v : lane;
  }
  float mx = kNegInf;
  int32_t absTail = 0;
  for (; j < m; ++j) {
    if (kScan) {
      int32_t bits;
      std::memcpy(&bits, c + j, sizeof bits);
      bits &= 0x7fffffff;
      absTail = bits > absTail ? bits : absTail;
    }
    const float v = (h[j] - c[j]) * invEps;
    mx = v > mx ? v : mx;
  }
  for (int q = 0; q < 8; ++q) mx = lane[q] > mx ? lane[q] : mx;
  if (kScan) {
    for (int q = 0; q < 8; ++q) absTail = absMax[q] > absTail ? absMax[q] : absTail;
    if (static_cast<uint32_t>(absTail) > *scan) *scan = static_cast<uint32_t>(absTail);
  }
  return mx;
}

template <bool kScan>
OT_ISA_TARGET OT_INLINE void log_rows_impl(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h,
                                           float invEps, float* lse, bool haveShift, float* acc, uint32_t* scan) {
  float* __restrict s = acc;
  for (int64_t i = r0; i < r1; ++i) {
    const float* __restrict c = C + i * m;
    float shift = haveShift ? lse[i] : 0.0f;
    float si = haveShift && std::isfinite(shift) ? row_sum_exp(c, h, invEps, shift, m) : 0.0f;
    if (!sum_ok(si)) {
      shift = row_max<kScan>(c, h, invEps, m, scan);
      if (kScan && *scan >= kNonFiniteBits) return;  // no exp of a non-finite argument; the caller throws
      si = row_sum_exp(c, h, invEps, shift, m);
    }
    lse[i] = shift;
    s[i] = si;
  }
  // The logs in one vectorised pass (one libm call per row would cost as much as the row itself).
  for (int64_t i = r0; i < r1; ++i) lse[i] += fast_log(s[i]);
}

// out[j − j0] += Σ_{i in [i0, i1)} exp((h[i] − C[i,j])·invEps − sh[j]) for j in [j0, j1), four rows
// per sweep so that the partial sums are loaded and stored once per four rows. Rows with h = −inf
// (zero weight) inside a block of four contribute ≈1.6e-38 each (exp_term), nothing visible.
OT_ISA_TARGET OT_INLINE void exp_rows_into(const float* C, int64_t m, int64_t i0, int64_t i1, int64_t j0, int64_t j1,
                                           const float* h, float invEps, const float* __restrict sh,
                                           float* __restrict out) {
  int64_t i = i0;
  for (; i + 4 <= i1; i += 4) {
    const float h0 = h[i], h1 = h[i + 1], h2 = h[i + 2], h3 = h[i + 3];
    if (h0 == kNegInf && h1 == kNegInf && h2 == kNegInf && h3 == kNegInf) continue;
    const float* __restrict a0 = C + i * m;
    const float* __restrict a1 = a0 + m;
    const float* __restrict a2 = a1 + m;
    const float* __restrict a3 = a2 + m;
    for (int64_t j = j0; j < j1; ++j) {
      const float t = sh[j];
      out[j - j0] += (exp_term((h0 - a0[j]) * invEps - t) + exp_term((h1 - a1[j]) * invEps - t)) +
                     (exp_term((h2 - a2[j]) * invEps - t) + exp_term((h3 - a3[j]) * invEps - t));
    }
  }
  for (; i < i1; ++i) {
    const float hi = h[i];
    if (hi == kNegInf) continue;
    const float* __restrict c = C + i * m;
    for (int64_t j = j0; j < j1; ++j) out[j - j0] += exp_term((hi - c[j]) * invEps - sh[j]);
  }
}

// s[j] += Σ_i exp((h[i] − C[i,j])·invEps − sh[j]) over columns [c0, c1), blocked (see kRowBlock).
OT_ISA_TARGET OT_INLINE void accumulate_cols(const float* C, int64_t n, int64_t m, int64_t c0, int64_t c1,
                                             const float* h, float invEps, const float* __restrict sh,
                                             float* __restrict s) {
  float blk[kColTile];
  for (int64_t j0 = c0; j0 < c1; j0 += kColTile) {
    const int64_t j1 = std::min(c1, j0 + kColTile);
    for (int64_t i0 = 0; i0 < n; i0 += kRowBlock) {
      for (int64_t j = j0; j < j1; ++j) blk[j - j0] = 0.0f;
      exp_rows_into(C, m, i0, std::min(n, i0 + kRowBlock), j0, j1, h, invEps, sh, blk);
      for (int64_t j = j0; j < j1; ++j) s[j] += blk[j - j0];
    }
  }
}

// Column maxima of (h[i] − C[i,j])·invEps over rows [i0, i1), raised into mx[j] for j in [0, m).
OT_ISA_TARGET OT_INLINE void col_max_into(const float* C, int64_t m, int64_t i0, int64_t i1, const float* h,
                                          float invEps, float* __restrict mx) {
  for (int64_t i = i0; i < i1; ++i) {
    const float hi = h[i];
    if (hi == kNegInf) continue;
    const float* __restrict c = C + i * m;
    for (int64_t j = 0; j < m; ++j) {
      const float v = (hi - c[j]) * invEps;
      mx[j] = v > mx[j] ? v : mx[j];
    }
  }
}

// x = (F + G − C)·invEps from the split terms of ExpTerms (FMA levels only: the exact product inside
// the fma is what makes it as accurate as double).
OT_ISA_TARGET OT_INLINE float exponent(float c, float fh, float fl, float gh, float gl, float ih, float il) {
  return std::fma(-c, ih, fh + gh) + ((fl + gl) - c * il);
}

// The scaling-form update rule of scaling_update for one entry; returns 1 when it fails.
OT_ISA_TARGET OT_INLINE int scaling_rule(float r, float k, float wgt, bool balanced, float tau, float bound, float& x,
                                         float& u) {
  if (balanced) {
    x = 1.0f / r;
    u = wgt * x;
    // Non-short-circuit tests keep callers' loops branch-free (vectorised); NaN fails every test.
    return static_cast<int>(!(r >= FLT_MIN)) | static_cast<int>(!(x > 0.0f)) | static_cast<int>(!(x <= bound));
  }
  x = k * std::pow(r, -tau);
  u = wgt * x;
  return static_cast<int>(!(r >= FLT_MIN && r <= FLT_MAX)) | static_cast<int>(!(x > 0.0f && x <= bound));
}

}  // namespace

OT_ISA_TARGET
void log_rows(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h, float invEps, float* lse,
              bool haveShift, float* acc, uint32_t* scan) {
  if (scan && !haveShift) log_rows_impl<true>(C, m, r0, r1, h, invEps, lse, haveShift, acc, scan);
  else log_rows_impl<false>(C, m, r0, r1, h, invEps, lse, haveShift, acc, nullptr);
}

OT_ISA_TARGET
void log_cols(const float* C, int64_t n, int64_t m, int64_t c0, int64_t c1, const float* h, float invEps,
              float* lse, bool haveShift, float* acc) {
  float* __restrict s = acc;
  float* __restrict sh = lse;
  bool redo = !haveShift;
  if (haveShift) {
    for (int64_t j = c0; j < c1; ++j) {
      s[j] = 0.0f;
      if (!std::isfinite(sh[j])) redo = true;
    }
    if (!redo) {
      accumulate_cols(C, n, m, c0, c1, h, invEps, sh, s);
      for (int64_t j = c0; j < c1; ++j) redo |= !sum_ok(s[j]);
    }
  }
  if (redo) {
    // Exact shift: the column maxima (an element-wise max, which vectorises), then the sums again.
    for (int64_t j = c0; j < c1; ++j) {
      sh[j] = kNegInf;
      s[j] = 0.0f;
    }
    for (int64_t i = 0; i < n; ++i) {
      const float hi = h[i];
      if (hi == kNegInf) continue;
      const float* __restrict c = C + i * m;
      for (int64_t j = c0; j < c1; ++j) {
        const float v = (hi - c[j]) * invEps;
        sh[j] = v > sh[j] ? v : sh[j];
      }
    }
    accumulate_cols(C, n, m, c0, c1, h, invEps, sh, s);
  }
  for (int64_t j = c0; j < c1; ++j) lse[j] = sh[j] + fast_log(s[j]);
}

OT_ISA_TARGET
void log_col_terms(const float* C, int64_t m, int64_t r0, int64_t r1, const float* h, float invEps, float* shift,
                   float* sum, bool online, float* blk) {
  float* __restrict s = sum;
  float* __restrict b = blk;
  float* __restrict sh = shift;
  for (int64_t i0 = r0; i0 < r1; i0 += kRowBlock) {
    const int64_t i1 = std::min(r1, i0 + kRowBlock);
    if (online) {
      // The block's column maxima (the rows are in cache: the f update just read them); where one
      // exceeds the running shift, the sum so far is rescaled to the new shift.
      for (int64_t j = 0; j < m; ++j) b[j] = kNegInf;
      col_max_into(C, m, i0, i1, h, invEps, b);
      for (int64_t j = 0; j < m; ++j) {
        const bool raise = b[j] > sh[j];
        // exp_term(−inf − x) would be ≈1e-38, not 0: a first raise (sh = −inf, s = 0) needs no factor.
        const float factor = raise && s[j] != 0.0f ? exp_term(sh[j] - b[j]) : 1.0f;
        s[j] = raise ? s[j] * factor : s[j];
        sh[j] = raise ? b[j] : sh[j];
      }
    }
    for (int64_t j = 0; j < m; ++j) b[j] = 0.0f;
    exp_rows_into(C, m, i0, i1, 0, m, h, invEps, sh, b);
    for (int64_t j = 0; j < m; ++j) s[j] += b[j];
  }
}

OT_ISA_TARGET
bool log_merge_cols(const float* shifts, const float* sums, int64_t chunks, int64_t m, int64_t c0, int64_t c1,
                    const float* shift0, float* lse) {
  bool ok = true;
  for (int64_t j = c0; j < c1; ++j) {
    float s = 0.0f, sh;
    if (shift0) {
      sh = shift0[j];
      for (int64_t q = 0; q < chunks; ++q) s += sums[q * m + j];
      ok &= sum_ok(s) && std::isfinite(sh);
    } else {
      sh = kNegInf;
      for (int64_t q = 0; q < chunks; ++q) sh = shifts[q * m + j] > sh ? shifts[q * m + j] : sh;
      for (int64_t q = 0; q < chunks; ++q) {
        const float t = sums[q * m + j];
        if (t != 0.0f) s += t * exp_term(shifts[q * m + j] - sh);
      }
    }
    lse[j] = sh + fast_log(s);
  }
  return ok;
}

OT_ISA_TARGET
void transpose(const float* C, int64_t n, int64_t m, int64_t r0, int64_t r1, float* CT) {
  // Tiles keep both the reads and the writes within a few cache lines.
  constexpr int64_t kTile = 32;
  for (int64_t i0 = r0; i0 < r1; i0 += kTile) {
    const int64_t i1 = std::min(i0 + kTile, r1);
    for (int64_t j0 = 0; j0 < m; j0 += kTile) {
      const int64_t j1 = std::min(j0 + kTile, m);
      for (int64_t i = i0; i < i1; ++i)
        for (int64_t j = j0; j < j1; ++j) CT[j * n + i] = C[i * m + j];
    }
  }
}

OT_ISA_TARGET
void scale_rows(const float* K, int64_t m, int64_t r0, int64_t r1, const float* w, float* S) {
  const float* __restrict wv = w;
  for (int64_t i = r0; i < r1; ++i) {
    const float* __restrict k = K + i * m;
    float s = 0.0f;
    for (int64_t j = 0; j < m; ++j) s += k[j] * wv[j];
    S[i] = s;
  }
}

OT_ISA_TARGET
void scale_cols(const float* K, int64_t n, int64_t m, int64_t c0, int64_t c1, const float* z, float* T) {
  float* __restrict t = T;
  float blk[kColTile];
  for (int64_t j = c0; j < c1; ++j) t[j] = 0.0f;
  // Blocked like accumulate_cols, for the same rounding reason.
  for (int64_t j0 = c0; j0 < c1; j0 += kColTile) {
    const int64_t j1 = std::min(c1, j0 + kColTile);
    for (int64_t i0 = 0; i0 < n; i0 += kRowBlock) {
      const int64_t i1 = std::min(n, i0 + kRowBlock);
      for (int64_t j = j0; j < j1; ++j) blk[j - j0] = 0.0f;
      int64_t i = i0;
      // Four rows per sweep: the partial sums are loaded and stored once per four rows.
      for (; i + 4 <= i1; i += 4) {
        const float z0 = z[i], z1 = z[i + 1], z2 = z[i + 2], z3 = z[i + 3];
        const float* __restrict k0 = K + i * m;
        const float* __restrict k1 = k0 + m;
        const float* __restrict k2 = k1 + m;
        const float* __restrict k3 = k2 + m;
        for (int64_t j = j0; j < j1; ++j) blk[j - j0] += (z0 * k0[j] + z1 * k1[j]) + (z2 * k2[j] + z3 * k3[j]);
      }
      for (; i < i1; ++i) {
        const float zi = z[i];
        if (zi == 0.0f) continue;
        const float* __restrict k = K + i * m;
        for (int64_t j = j0; j < j1; ++j) blk[j - j0] += zi * k[j];
      }
      for (int64_t j = j0; j < j1; ++j) t[j] += blk[j - j0];
    }
  }
}

OT_ISA_TARGET
bool scaling_update(const float* R, const float* k, const float* wgt, int64_t len, bool balanced, float tau, float bound,
                    float* x, float* u) {
  int bad = 0;
  if (balanced) {
    for (int64_t i = 0; i < len; ++i) bad |= scaling_rule(R[i], 1.0f, wgt[i], true, tau, bound, x[i], u[i]);
  } else {
    for (int64_t i = 0; i < len; ++i) bad |= scaling_rule(R[i], k[i], wgt[i], false, tau, bound, x[i], u[i]);
  }
  return bad == 0;
}

OT_ISA_TARGET
bool scaling_rows_cols(const float* K, int64_t m, int64_t r0, int64_t r1, const float* w, const float* k,
                       const float* wgt, bool balanced, float tau, float bound, float* S, float* x, float* z,
                       float* colSum, float* blk) {
  const float* __restrict wv = w;
  float* __restrict b = blk;
  float* __restrict cs = colSum;
  int bad = 0;
  for (int64_t i0 = r0; i0 < r1; i0 += kRowBlock) {
    const int64_t i1 = std::min(r1, i0 + kRowBlock);
    for (int64_t j = 0; j < m; ++j) b[j] = 0.0f;
    int64_t i = i0;
    // Four rows at a time: their four products with w, their x and z, then one sweep adding all
    // four into the column sums while the rows are still in cache.
    for (; i + 4 <= i1; i += 4) {
      const float* __restrict k0 = K + i * m;
      const float* __restrict k1 = k0 + m;
      const float* __restrict k2 = k1 + m;
      const float* __restrict k3 = k2 + m;
      float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
      for (int64_t j = 0; j < m; ++j) {
        const float wj = wv[j];
        s0 += k0[j] * wj;
        s1 += k1[j] * wj;
        s2 += k2[j] * wj;
        s3 += k3[j] * wj;
      }
      S[i] = s0;
      S[i + 1] = s1;
      S[i + 2] = s2;
      S[i + 3] = s3;
      for (int64_t q = i; q < i + 4; ++q)
        bad |= scaling_rule(S[q], balanced ? 1.0f : k[q], wgt[q], balanced, tau, bound, x[q], z[q]);
      const float z0 = z[i], z1 = z[i + 1], z2 = z[i + 2], z3 = z[i + 3];
      for (int64_t j = 0; j < m; ++j) b[j] += (z0 * k0[j] + z1 * k1[j]) + (z2 * k2[j] + z3 * k3[j]);
    }
    for (; i < i1; ++i) {
      const float* __restrict ki = K + i * m;
      float s = 0.0f;
      for (int64_t j = 0; j < m; ++j) s += ki[j] * wv[j];
      S[i] = s;
      bad |= scaling_rule(s, balanced ? 1.0f : k[i], wgt[i], balanced, tau, bound, x[i], z[i]);
      const float zi = z[i];
      for (int64_t j = 0; j < m; ++j) b[j] += zi * ki[j];
    }
    for (int64_t j = 0; j < m; ++j) cs[j] += b[j];
  }
  return bad == 0;
}

OT_ISA_TARGET
void gibbs_kernel(const float* C, int64_t m, int64_t r0, int64_t r1, const ExpTerms& t, float* K) {
  if (OT_ISA_FMA && !t.useDouble) {
    const float* __restrict gh = t.gh.data();
    const float* __restrict gl = t.gl.data();
    const float ih = t.ih, il = t.il;
    for (int64_t i = r0; i < r1; ++i) {
      const float* __restrict c = C + i * m;
      float* __restrict k = K + i * m;
      const float fh = t.fh[i], fl = t.fl[i];
      for (int64_t j = 0; j < m; ++j) k[j] = fast_exp(exponent(c[j], fh, fl, gh[j], gl[j], ih, il));
    }
    return;
  }
  const double* __restrict gv = t.G;
  const double invEps = t.invEps;
  for (int64_t i = r0; i < r1; ++i) {
    const float* __restrict c = C + i * m;
    float* __restrict k = K + i * m;
    const double fi = t.F[i];
    for (int64_t j = 0; j < m; ++j)
      k[j] = fast_exp(static_cast<float>(std::min(std::max((fi + gv[j] - c[j]) * invEps, -1e30), 1e30)));
  }
}

// Plan passes: the entries e_ij of rows [r0, r1) come from `entry(i, j0, j1, out)` (out[j − j0] for
// j in [j0, j1), a tile of at most kTile entries); they are stored (when `plan`), and summed into
// the row sums, the column sums and Σ e·C in double. The sums run in float over short stretches
// (kTile entries of a row, kSumRows rows of a column) that are then added in double: the double
// accumulation per entry cost more than the entries themselves, and the short float sums keep
// the relative rounding of each stretch below ~1e-7·√stretch.
constexpr int64_t kTile = 128;
constexpr int64_t kSumRows = 32;

template <class Entry>
OT_ISA_TARGET OT_INLINE void plan_pass_rows(const float* C, int64_t m, int64_t r0, int64_t r1, Entry&& entry,
                                            float* plan, double* rowSum, double* colSum, double* pc, float* blk) {
  double* __restrict cs = colSum;
  float* __restrict bc = blk;
  for (int64_t j = 0; j < m; ++j) cs[j] = 0.0;
  double costAcc = 0.0;
  float tile[kTile];
  for (int64_t i0 = r0; i0 < r1; i0 += kSumRows) {
    const int64_t i1 = std::min(r1, i0 + kSumRows);
    for (int64_t j = 0; j < m; ++j) bc[j] = 0.0f;
    for (int64_t i = i0; i < i1; ++i) {
      const float* __restrict c = C + i * m;
      float* __restrict p = plan ? plan + i * m : nullptr;
      double rs = 0.0, rc = 0.0;
      for (int64_t j0 = 0; j0 < m; j0 += kTile) {
        const int64_t len = std::min(kTile, m - j0);
        if (!entry(i, j0, j0 + len, tile)) {  // a row whose entries are all exactly 0
          if (p) for (int64_t j = 0; j < len; ++j) p[j0 + j] = 0.0f;
          continue;
        }
        float ts = 0.0f, tc = 0.0f;
        for (int64_t j = 0; j < len; ++j) {
          const float e = tile[j];
          ts += e;
          tc += e * c[j0 + j];
          bc[j0 + j] += e;
        }
        if (p) for (int64_t j = 0; j < len; ++j) p[j0 + j] = tile[j];
        rs += ts;
        rc += tc;
      }
      rowSum[i] = rs;
      costAcc += rc;
    }
    for (int64_t j = 0; j < m; ++j) cs[j] += bc[j];
  }
  *pc += costAcc;
}

OT_ISA_TARGET
void plan_log(const float* C, int64_t m, int64_t r0, int64_t r1, const ExpTerms& t, float* plan, double* rowSum,
              double* colSum, double* pc, float* blk) {
  const bool fast = OT_ISA_FMA && !t.useDouble;
  const float* __restrict gh = t.gh.data();
  const float* __restrict gl = t.gl.data();
  const float ih = t.ih, il = t.il;
  const double* __restrict gv = t.G;
  const double invEps = t.invEps;
  plan_pass_rows(C, m, r0, r1, [&](int64_t i, int64_t j0, int64_t j1, float* __restrict out) OT_ISA_TARGET {
    const double fi = t.F[i];
    if (fi == -std::numeric_limits<double>::infinity()) return false;  // zero mass row: P = 0 exactly
    const float* __restrict c = C + i * m;
    if (fast) {
      const float fh = t.fh[i], fl = t.fl[i];
      for (int64_t j = j0; j < j1; ++j) out[j - j0] = fast_exp(exponent(c[j], fh, fl, gh[j], gl[j], ih, il));
    } else {
      for (int64_t j = j0; j < j1; ++j)
        out[j - j0] = fast_exp(static_cast<float>(std::min(std::max((fi + gv[j] - c[j]) * invEps, -1e30), 1e30)));
    }
    return true;
  }, plan, rowSum, colSum, pc, blk);
}

OT_ISA_TARGET
void plan_scaling(const float* C, const float* K, int64_t m, int64_t r0, int64_t r1, const float* u, const float* v,
                  float* plan, double* rowSum, double* colSum, double* pc, float* blk) {
  const float* __restrict vv = v;
  constexpr double kFloatMax = FLT_MAX;
  // `plan` may alias K: each tile of K is read into the tile before it is overwritten.
  plan_pass_rows(C, m, r0, r1, [&](int64_t i, int64_t j0, int64_t j1, float* __restrict out) OT_ISA_TARGET {
    // In double: with reassociation (-fassociative-math) the compiler may form u·v first, which
    // overflows float for a diverging iterate exactly where K underflowed to 0 (inf·0 = NaN). A
    // product of three floats cannot overflow or underflow a double, in any order.
    const double ui = u[i];
    const float* k = K + i * m;
    for (int64_t j = j0; j < j1; ++j) out[j - j0] = static_cast<float>(std::min(ui * k[j] * vv[j], kFloatMax));
    return true;
  }, plan, rowSum, colSum, pc, blk);
}

OT_ISA_TARGET
void floor_pass(const float* C, int64_t c0, int64_t c1, float invEps, float* P, double* sum) {
  const float* __restrict c = C;
  float* __restrict p = P;
  double total = 0.0;
  for (int64_t b0 = c0; b0 < c1; b0 += kTile) {
    const int64_t b1 = std::min(c1, b0 + kTile);
    float s = 0.0f;
    for (int64_t i = b0; i < b1; ++i) {
      const float x = -c[i] * invEps;
      p[i] = fast_exp(x);
      s += exp_term(x - 1.0f);
    }
    total += s;
  }
  *sum += total;
}

}  // namespace OT_ISA_NS
}  // namespace kernels
}  // namespace ot
