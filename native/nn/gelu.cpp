// Exact GELU, x·Φ(x) = x/2 · (1 + erf(x/√2)) (HF "gelu"), forward and backward.
#include <cmath>

#include "../core/fast_math.h"
#include "isa_dispatch.h"
#include "ops.h"

namespace nn {

namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// 1 + erf(u) without cancellation: erfc(|u|) = t·exp(−u² + p(t)), t = 1/(1 + |u|/2), with the
// Chebyshev-fitted polynomial p of Numerical Recipes' erfcc (fractional error < 1.2e-7 for all u);
// 1 + erf(u) = 2 − erfc(u) for u ≥ 0 and erfc(−u) for u < 0.
OT_INLINE float one_plus_erf(float u) {
  const float z = std::fabs(u);
  const float t = 1.0f / (1.0f + 0.5f * z);
  float p = 0.17087277f;
  p = p * t - 0.82215223f;
  p = p * t + 1.48851587f;
  p = p * t - 1.13520398f;
  p = p * t + 0.27886807f;
  p = p * t - 0.18628806f;
  p = p * t + 0.09678418f;
  p = p * t + 0.37409196f;
  p = p * t + 1.00002368f;
  p = p * t - 1.26551223f;
  const float ec = t * ot::fast_exp(p - z * z);
  return u >= 0.0f ? 2.0f - ec : ec;
}

OT_INLINE void gelu_fwd_body(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * one_plus_erf(x[i] * kInvSqrt2);
}
NN_ISA_KERNEL(gelu_fwd, (const float* x, float* y, int64_t n), (x, y, n))

OT_INLINE void gelu_fwd_deriv_body(const float* x, float* y, float* dydx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float p = 0.5f * one_plus_erf(v * kInvSqrt2);
    y[i] = v * p;
    dydx[i] = p + v * kInvSqrt2Pi * ot::fast_exp(-0.5f * v * v);
  }
}
NN_ISA_KERNEL(gelu_fwd_deriv, (const float* x, float* y, float* dydx, int64_t n), (x, y, dydx, n))

OT_INLINE void mul_body(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}
NN_ISA_KERNEL(mul, (const float* a, const float* b, float* out, int64_t n), (a, b, out, n))

OT_INLINE void gelu_bwd_body(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float d = 0.5f * one_plus_erf(v * kInvSqrt2) + v * kInvSqrt2Pi * ot::fast_exp(-0.5f * v * v);
    dx[i] = dy[i] * d;
  }
}
NN_ISA_KERNEL(gelu_bwd, (const float* x, const float* dy, float* dx, int64_t n), (x, dy, dx, n))

constexpr int64_t kGrain = int64_t{1} << 15;

}  // namespace

void gelu_forward(const Ctx& c, const float* x, float* y, int64_t n, float* dydx) {
  Timed t(c, &Profile::gelu);
  for_chunks(c, n, kGrain, [&](int64_t b, int64_t e) {
    if (dydx) gelu_fwd_deriv(x + b, y + b, dydx + b, e - b);
    else gelu_fwd(x + b, y + b, e - b);
  });
}

void gelu_backward_saved(const Ctx& c, const float* dydx, const float* dy, float* dx, int64_t n) {
  Timed t(c, &Profile::gelu);
  for_chunks(c, n, kGrain, [&](int64_t b, int64_t e) { mul(dydx + b, dy + b, dx + b, e - b); });
}

void gelu_backward(const Ctx& c, const float* x, const float* dy, float* dx, int64_t n) {
  Timed t(c, &Profile::gelu);
  for_chunks(c, n, kGrain, [&](int64_t b, int64_t e) { gelu_bwd(x + b, dy + b, dx + b, e - b); });
}

}  // namespace nn
