// The bodies of cost_kernels.h, included once per ISA level by cost_kernels.cpp (see
// isa_dispatch.h and sinkhorn_kernels.inl). No include guard on purpose.

namespace ot {
namespace kernels {
namespace OT_ISA_NS {

namespace {
// torch.nn.functional.cosine_similarity clamps each norm at eps = 1e-8.
constexpr double kNormFloor = 1e-8;

OT_ISA_TARGET OT_INLINE float dot(const float* __restrict a, const float* __restrict b, int64_t d) {
  float s = 0.0f;
  for (int64_t k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}

OT_ISA_TARGET OT_INLINE float sqdist(const float* __restrict a, const float* __restrict b, int64_t d) {
  float s = 0.0f;
  for (int64_t k = 0; k < d; ++k) {
    const float t = a[k] - b[k];
    s += t * t;
  }
  return s;
}
}  // namespace

OT_ISA_TARGET
void row_norms(const float* x, int64_t n, int64_t dim, float* norms) {
  for (int64_t i = 0; i < n; ++i) {
    const float* r = x + i * dim;
    double s = 0;
    for (int64_t k = 0; k < dim; ++k) s += static_cast<double>(r[k]) * r[k];
    const double nrm = std::sqrt(s);
    norms[i] = static_cast<float>(nrm > kNormFloor ? nrm : kNormFloor);
  }
}

namespace {

// Eight pair statistics (x0, x1) × (y0..y3) in one sweep over k: each loaded element feeds four
// (or two) multiply-adds instead of one, which roughly halves the load traffic of plain dots.
// kSq: Σ (x − y)² (sqeuclidean); else Σ x·y.
template <bool kSq>
OT_ISA_TARGET OT_INLINE void pair_block_2x4(const float* __restrict x0, const float* __restrict x1, const float* __restrict y0,
                              const float* __restrict y1, const float* __restrict y2, const float* __restrict y3,
                              int64_t d, float r[8]) {
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  for (int64_t k = 0; k < d; ++k) {
    const float a = x0[k], b = x1[k], c0 = y0[k], c1 = y1[k], c2 = y2[k], c3 = y3[k];
    if (kSq) {
      s0 += (a - c0) * (a - c0);
      s1 += (a - c1) * (a - c1);
      s2 += (a - c2) * (a - c2);
      s3 += (a - c3) * (a - c3);
      s4 += (b - c0) * (b - c0);
      s5 += (b - c1) * (b - c1);
      s6 += (b - c2) * (b - c2);
      s7 += (b - c3) * (b - c3);
    } else {
      s0 += a * c0;
      s1 += a * c1;
      s2 += a * c2;
      s3 += a * c3;
      s4 += b * c0;
      s5 += b * c1;
      s6 += b * c2;
      s7 += b * c3;
    }
  }
  r[0] = s0; r[1] = s1; r[2] = s2; r[3] = s3; r[4] = s4; r[5] = s5; r[6] = s6; r[7] = s7;
}

OT_ISA_TARGET OT_INLINE float pair_value(CostKind kind, const float* xi, const float* yj, int64_t d) {
  return kind == CostKind::SqEuclidean ? sqdist(xi, yj, d) : dot(xi, yj, d);
}

// Raw pair statistic → cost entry.
OT_ISA_TARGET OT_INLINE float finish(CostKind kind, float v, const float* xn, const float* yn, int64_t i, int64_t j) {
  switch (kind) {
    case CostKind::Cosine:
      return static_cast<float>(1.0 - static_cast<double>(v) / (static_cast<double>(xn[i]) * yn[j]));
    case CostKind::SqEuclidean:
      return v;
    case CostKind::Dot:
      return -v;
  }
  return v;
}

}  // namespace

OT_ISA_TARGET
void cost_block(CostKind kind, const float* x, const float* y, int64_t m, int64_t dim, int64_t r0, int64_t r1,
                const float* xn, const float* yn, float* out) {
  const bool sq = kind == CostKind::SqEuclidean;
  int64_t i = r0;
  for (; i + 2 <= r1; i += 2) {
    const float* x0 = x + i * dim;
    const float* x1 = x0 + dim;
    int64_t j = 0;
    for (; j + 4 <= m; j += 4) {
      const float* y0 = y + j * dim;
      float r[8];
      if (sq) pair_block_2x4<true>(x0, x1, y0, y0 + dim, y0 + 2 * dim, y0 + 3 * dim, dim, r);
      else pair_block_2x4<false>(x0, x1, y0, y0 + dim, y0 + 2 * dim, y0 + 3 * dim, dim, r);
      for (int q = 0; q < 4; ++q) {
        out[i * m + j + q] = finish(kind, r[q], xn, yn, i, j + q);
        out[(i + 1) * m + j + q] = finish(kind, r[4 + q], xn, yn, i + 1, j + q);
      }
    }
    for (; j < m; ++j) {
      out[i * m + j] = finish(kind, pair_value(kind, x0, y + j * dim, dim), xn, yn, i, j);
      out[(i + 1) * m + j] = finish(kind, pair_value(kind, x1, y + j * dim, dim), xn, yn, i + 1, j);
    }
  }
  for (; i < r1; ++i)
    for (int64_t j = 0; j < m; ++j)
      out[i * m + j] = finish(kind, pair_value(kind, x + i * dim, y + j * dim, dim), xn, yn, i, j);
}

OT_ISA_TARGET
void plan_transpose_times(const float* P, const float* t, int64_t n, int64_t m, int64_t dim, int64_t c0, int64_t c1,
                          float* G) {
  for (int64_t j = c0; j < c1; ++j)
    for (int64_t k = 0; k < dim; ++k) G[j * dim + k] = 0.0f;
  // Two output rows × four teacher rows per sweep over k: eight multiply-adds per two loads and
  // stores of G (a plain axpy per (i, j) would load and store G for every single one).
  int64_t j = c0;
  for (; j + 2 <= c1; j += 2) {
    float* __restrict g0 = G + j * dim;
    float* __restrict g1 = g0 + dim;
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
      const float* p = P + i * m + j;
      const float p00 = p[0], p01 = p[1], p10 = p[m], p11 = p[m + 1];
      const float p20 = p[2 * m], p21 = p[2 * m + 1], p30 = p[3 * m], p31 = p[3 * m + 1];
      if (p00 == 0 && p01 == 0 && p10 == 0 && p11 == 0 && p20 == 0 && p21 == 0 && p30 == 0 && p31 == 0) continue;
      const float* __restrict t0 = t + i * dim;
      const float* __restrict t1 = t0 + dim;
      const float* __restrict t2 = t1 + dim;
      const float* __restrict t3 = t2 + dim;
      for (int64_t k = 0; k < dim; ++k) {
        const float a = t0[k], b = t1[k], c = t2[k], d = t3[k];
        g0[k] += (p00 * a + p10 * b) + (p20 * c + p30 * d);
        g1[k] += (p01 * a + p11 * b) + (p21 * c + p31 * d);
      }
    }
    for (; i < n; ++i) {
      const float q0 = P[i * m + j], q1 = P[i * m + j + 1];
      const float* __restrict ti = t + i * dim;
      for (int64_t k = 0; k < dim; ++k) {
        g0[k] += q0 * ti[k];
        g1[k] += q1 * ti[k];
      }
    }
  }
  for (; j < c1; ++j) {
    float* __restrict gj = G + j * dim;
    for (int64_t i = 0; i < n; ++i) {
      const float pij = P[i * m + j];
      if (pij == 0.0f) continue;
      const float* __restrict ti = t + i * dim;
      for (int64_t k = 0; k < dim; ++k) gj[k] += pij * ti[k];
    }
  }
}

}  // namespace OT_ISA_NS
}  // namespace kernels
}  // namespace ot
