// kernels.h: the loops of kernels.inl compiled once per ISA level, and the entry points that call
// the level ot::isa_choice() picked (native/core/isa_dispatch.h).
#include "kernels.h"

#include <algorithm>
#include <cmath>

#include "../core/fast_math.h"

#define OT_ISA_KERNELS "../nn/kernels.inl"
#include "../core/isa_instantiate.h"

namespace nn {
namespace kernels {

void layernorm_rows(const float* x, int64_t r0, int64_t r1, int64_t H, const float* g, const float* b, double eps,
                    float* y, float* mean, float* rstd) {
  static const auto impl = OT_ISA_SELECT(layernorm_rows);
  impl(x, r0, r1, H, g, b, eps, y, mean, rstd);
}

void layernorm_back_rows(const float* dy, const float* x, const float* mean, const float* rstd, int64_t r0, int64_t r1,
                         int64_t H, const float* g, float* dx, bool accumulate) {
  static const auto impl = OT_ISA_SELECT(layernorm_back_rows);
  impl(dy, x, mean, rstd, r0, r1, H, g, dx, accumulate);
}

void layernorm_param_grads(const float* dy, const float* x, const float* mean, const float* rstd, int64_t rows,
                           int64_t H, int64_t j0, int64_t w, float* dg, float* db) {
  static const auto impl = OT_ISA_SELECT(layernorm_param_grads);
  impl(dy, x, mean, rstd, rows, H, j0, w, dg, db);
}

void gelu(const float* x, float* y, int64_t n) {
  static const auto impl = OT_ISA_SELECT(gelu);
  impl(x, y, n);
}

void gelu_with_derivative(const float* x, float* y, float* dydx, int64_t n) {
  static const auto impl = OT_ISA_SELECT(gelu_with_derivative);
  impl(x, y, dydx, n);
}

void gelu_backward(const float* x, const float* dy, float* dx, int64_t n) {
  static const auto impl = OT_ISA_SELECT(gelu_backward);
  impl(x, dy, dx, n);
}

void multiply(const float* a, const float* b, float* out, int64_t n) {
  static const auto impl = OT_ISA_SELECT(multiply);
  impl(a, b, out, n);
}

void softmax_rows(float* P, const float* add, int64_t L) {
  static const auto impl = OT_ISA_SELECT(softmax_rows);
  impl(P, add, L);
}

void softmax_back_rows(const float* P, float* dP, int64_t L) {
  static const auto impl = OT_ISA_SELECT(softmax_back_rows);
  impl(P, dP, L);
}

void dropout(const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first) {
  static const auto impl = OT_ISA_SELECT(dropout);
  impl(key, x, y, n, first);
}

void adamw(float* p, float* g, float* m, float* v, int64_t n, bool decay, const AdamWScalars& s) {
  static const auto impl = OT_ISA_SELECT(adamw);
  impl(p, g, m, v, n, decay, s);
}

}  // namespace kernels
}  // namespace nn
