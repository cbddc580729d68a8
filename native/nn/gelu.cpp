// Exact GELU, x·Φ(x) = x/2 · (1 + erf(x/√2)) (HF "gelu"), forward and backward (loops: kernels.inl).
#include "kernels.h"
#include "ops.h"

namespace nn {

namespace {
constexpr int64_t kGrain = int64_t{1} << 15;
}

void gelu_forward(const Ctx& c, const float* x, float* y, int64_t n, float* dydx) {
  Timed t(c, &Profile::gelu);
  for_chunks(c, n, kGrain, [&](int64_t b, int64_t e) {
    if (dydx) kernels::gelu_with_derivative(x + b, y + b, dydx + b, e - b);
    else kernels::gelu(x + b, y + b, e - b);
  });
}

void gelu_backward(const Ctx& c, const float* x, const float* dy, float* dx, int64_t n) {
  Timed t(c, &Profile::gelu);
  for_chunks(c, n, kGrain, [&](int64_t b, int64_t e) { kernels::gelu_backward(x + b, dy + b, dx + b, e - b); });
}

void gelu_backward_saved(const Ctx& c, const float* dydx, const float* dy, float* dx, int64_t n) {
  Timed t(c, &Profile::gelu);
  for_chunks(c, n, kGrain, [&](int64_t b, int64_t e) { kernels::multiply(dydx + b, dy + b, dx + b, e - b); });
}

}  // namespace nn
