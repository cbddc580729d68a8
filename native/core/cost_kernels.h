// Cost-matrix and OT-loss-gradient loops over one problem's embeddings. Internal to native/core.
#ifndef OPTICAL_NATIVE_CORE_COST_KERNELS_H
#define OPTICAL_NATIVE_CORE_COST_KERNELS_H

#include <cstdint>

#include "ot.h"

namespace ot {
namespace kernels {

// Clamped L2 norms max(‖x_i‖, 1e-8) of rows [0, n) of an n × dim matrix (accumulated in double).
void row_norms(const float* x, int64_t n, int64_t dim, float* norms);

// out[i,j] for rows [r0, r1) of one n × m block (x: n × dim, y: m × dim). For cosine, xn / yn are
// the clamped norms; they are ignored otherwise.
void cost_block(CostKind kind, const float* x, const float* y, int64_t m, int64_t dim, int64_t r0, int64_t r1,
                const float* xn, const float* yn, float* out);

// G[j,:] = Σ_i P[i,j] · t[i,:] for columns j in [c0, c1) (t: n × dim, P: n × m, G: m × dim).
void plan_transpose_times(const float* P, const float* t, int64_t n, int64_t m, int64_t dim, int64_t c0, int64_t c1,
                          float* G);

}  // namespace kernels
}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_COST_KERNELS_H
