// cost_kernels.h: the loops of cost_kernels.inl compiled once per ISA level, and the entry points
// that call the level ot::isa_choice() picked (see isa_dispatch.h).
#include "cost_kernels.h"

#include <cmath>

#include "fast_math.h"

#define OT_ISA_KERNELS "cost_kernels.inl"
#include "isa_instantiate.h"

namespace ot {
namespace kernels {

void row_norms(const float* x, int64_t n, int64_t dim, float* norms) {
  static const auto impl = OT_ISA_SELECT(row_norms);
  impl(x, n, dim, norms);
}

void cost_block(CostKind kind, const float* x, const float* y, int64_t m, int64_t dim, int64_t r0, int64_t r1,
                const float* xn, const float* yn, float* out) {
  static const auto impl = OT_ISA_SELECT(cost_block);
  impl(kind, x, y, m, dim, r0, r1, xn, yn, out);
}

void plan_transpose_times(const float* P, const float* t, int64_t n, int64_t m, int64_t dim, int64_t c0, int64_t c1,
                          float* G) {
  static const auto impl = OT_ISA_SELECT(plan_transpose_times);
  impl(P, t, n, m, dim, c0, c1, G);
}

}  // namespace kernels
}  // namespace ot
