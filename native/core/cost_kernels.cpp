#include "cost_kernels.h"

#include <cmath>

#include "fast_math.h"

namespace ot {
namespace kernels {

namespace {
// torch.nn.functional.cosine_similarity clamps each norm at eps = 1e-8.
constexpr double kNormFloor = 1e-8;

OT_INLINE float dot(const float* __restrict a, const float* __restrict b, int64_t d) {
  float s = 0.0f;
  for (int64_t k = 0; k < d; ++k) s += a[k] * b[k];
  return s;
}

OT_INLINE float sqdist(const float* __restrict a, const float* __restrict b, int64_t d) {
  float s = 0.0f;
  for (int64_t k = 0; k < d; ++k) {
    const float t = a[k] - b[k];
    s += t * t;
  }
  return s;
}
}  // namespace

void row_norms(const float* x, int64_t n, int64_t dim, float* norms) {
  for (int64_t i = 0; i < n; ++i) {
    const float* r = x + i * dim;
    double s = 0;
    for (int64_t k = 0; k < dim; ++k) s += static_cast<double>(r[k]) * r[k];
    const double nrm = std::sqrt(s);
    norms[i] = static_cast<float>(nrm > kNormFloor ? nrm : kNormFloor);
  }
}

OT_KERNEL
void cost_block(CostKind kind, const float* x, const float* y, int64_t m, int64_t dim, int64_t r0, int64_t r1,
                const float* xn, const float* yn, float* out) {
  for (int64_t i = r0; i < r1; ++i) {
    const float* xi = x + i * dim;
    float* o = out + i * m;
    switch (kind) {
      case CostKind::Cosine: {
        const double inx = 1.0 / xn[i];
        for (int64_t j = 0; j < m; ++j)
          o[j] = static_cast<float>(1.0 - static_cast<double>(dot(xi, y + j * dim, dim)) * inx / yn[j]);
        break;
      }
      case CostKind::SqEuclidean:
        for (int64_t j = 0; j < m; ++j) o[j] = sqdist(xi, y + j * dim, dim);
        break;
      case CostKind::Dot:
        for (int64_t j = 0; j < m; ++j) o[j] = -dot(xi, y + j * dim, dim);
        break;
    }
  }
}

OT_KERNEL
void plan_transpose_times(const float* P, const float* t, int64_t n, int64_t m, int64_t dim, int64_t c0, int64_t c1,
                          float* G) {
  for (int64_t j = c0; j < c1; ++j)
    for (int64_t k = 0; k < dim; ++k) G[j * dim + k] = 0.0f;
  for (int64_t i = 0; i < n; ++i) {
    const float* __restrict ti = t + i * dim;
    const float* pi = P + i * m;
    for (int64_t j = c0; j < c1; ++j) {
      const float pij = pi[j];
      if (pij == 0.0f) continue;
      float* __restrict gj = G + j * dim;
      for (int64_t k = 0; k < dim; ++k) gj[k] += pij * ti[k];
    }
  }
}

}  // namespace kernels
}  // namespace ot
