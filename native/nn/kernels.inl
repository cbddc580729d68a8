// The bodies of kernels.h, included once per ISA level by kernels.cpp (native/core/isa_dispatch.h:
// every function here carries OT_ISA_TARGET, helpers are OT_ISA_TARGET OT_INLINE). No include
// guard on purpose.

namespace nn {
namespace kernels {
namespace OT_ISA_NS {

namespace {

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

// 1 + erf(u) without cancellation: erfc(|u|) = t·exp(−u² + p(t)), t = 1/(1 + |u|/2), with the
// Chebyshev-fitted polynomial p of Numerical Recipes' erfcc (fractional error < 1.2e-7 for all u);
// 1 + erf(u) = 2 − erfc(u) for u ≥ 0 and erfc(−u) for u < 0. Branch-free, so loops vectorise.
OT_ISA_TARGET OT_INLINE float one_plus_erf(float u) {
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

}  // namespace

OT_ISA_TARGET
void layernorm_rows(const float* x, int64_t r0, int64_t r1, int64_t H, const float* g, const float* b, double eps,
                    float* y, float* mean, float* rstd) {
  const float invH = 1.0f / static_cast<float>(H);
  for (int64_t r = r0; r < r1; ++r) {
    const float* xr = x + r * H;
    float s = 0.0f;
    for (int64_t j = 0; j < H; ++j) s += xr[j];
    const float mu = s * invH;
    float v = 0.0f;
    for (int64_t j = 0; j < H; ++j) {
      const float d = xr[j] - mu;
      v += d * d;
    }
    const float rs = static_cast<float>(1.0 / std::sqrt(static_cast<double>(v * invH) + eps));
    float* yr = y + r * H;
    for (int64_t j = 0; j < H; ++j) yr[j] = (xr[j] - mu) * rs * g[j] + b[j];
    mean[r] = mu;
    rstd[r] = rs;
  }
}

OT_ISA_TARGET
void layernorm_back_rows(const float* dy, const float* x, const float* mean, const float* rstd, int64_t r0, int64_t r1,
                         int64_t H, const float* g, float* dx, bool accumulate) {
  const float invH = 1.0f / static_cast<float>(H);
  for (int64_t r = r0; r < r1; ++r) {
    const float* dyr = dy + r * H;
    const float* xr = x + r * H;
    const float mu = mean[r], rs = rstd[r];
    float s1 = 0.0f, s2 = 0.0f;
    for (int64_t j = 0; j < H; ++j) {
      const float gh = dyr[j] * g[j];
      s1 += gh;
      s2 += gh * ((xr[j] - mu) * rs);
    }
    const float m1 = s1 * invH, m2 = s2 * invH;
    float* dxr = dx + r * H;
    if (accumulate) {
      for (int64_t j = 0; j < H; ++j) dxr[j] += rs * (dyr[j] * g[j] - m1 - ((xr[j] - mu) * rs) * m2);
    } else {
      for (int64_t j = 0; j < H; ++j) dxr[j] = rs * (dyr[j] * g[j] - m1 - ((xr[j] - mu) * rs) * m2);
    }
  }
}

OT_ISA_TARGET
void layernorm_param_grads(const float* dy, const float* x, const float* mean, const float* rstd, int64_t rows,
                           int64_t H, int64_t j0, int64_t w, float* dg, float* db) {
  float ag[64], ab[64];
  for (int64_t j = 0; j < w; ++j) ag[j] = ab[j] = 0.0f;
  for (int64_t r = 0; r < rows; ++r) {
    const float* dyr = dy + r * H + j0;
    const float* xr = x + r * H + j0;
    const float mu = mean[r], rs = rstd[r];
    for (int64_t j = 0; j < w; ++j) {
      ag[j] += dyr[j] * ((xr[j] - mu) * rs);
      ab[j] += dyr[j];
    }
  }
  for (int64_t j = 0; j < w; ++j) {
    dg[j0 + j] += ag[j];
    db[j0 + j] += ab[j];
  }
}

OT_ISA_TARGET
void gelu(const float* x, float* y, int64_t n) {
  for (int64_t i = 0; i < n; ++i) y[i] = 0.5f * x[i] * one_plus_erf(x[i] * kInvSqrt2);
}

OT_ISA_TARGET
void gelu_with_derivative(const float* x, float* y, float* dydx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float p = 0.5f * one_plus_erf(v * kInvSqrt2);
    y[i] = v * p;
    dydx[i] = p + v * kInvSqrt2Pi * ot::fast_exp(-0.5f * v * v);
  }
}

OT_ISA_TARGET
void gelu_backward(const float* x, const float* dy, float* dx, int64_t n) {
  for (int64_t i = 0; i < n; ++i) {
    const float v = x[i];
    const float d = 0.5f * one_plus_erf(v * kInvSqrt2) + v * kInvSqrt2Pi * ot::fast_exp(-0.5f * v * v);
    dx[i] = dy[i] * d;
  }
}

OT_ISA_TARGET
void multiply(const float* a, const float* b, float* out, int64_t n) {
  for (int64_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

OT_ISA_TARGET
void softmax_rows(float* P, const float* add, int64_t L) {
  for (int64_t i = 0; i < L; ++i) {
    float* r = P + i * L;
    float mx = -3.0e38f;
    for (int64_t j = 0; j < L; ++j) {
      r[j] += add[j];
      mx = std::max(mx, r[j]);
    }
    float s = 0.0f;
    for (int64_t j = 0; j < L; ++j) {
      r[j] = ot::fast_exp(r[j] - mx);
      s += r[j];
    }
    const float inv = 1.0f / s;
    for (int64_t j = 0; j < L; ++j) r[j] *= inv;
  }
}

OT_ISA_TARGET
void softmax_back_rows(const float* P, float* dP, int64_t L) {
  for (int64_t i = 0; i < L; ++i) {
    const float* p = P + i * L;
    float* d = dP + i * L;
    float s = 0.0f;
    for (int64_t j = 0; j < L; ++j) s += p[j] * d[j];
    for (int64_t j = 0; j < L; ++j) d[j] = p[j] * (d[j] - s);
  }
}

// Mask words for up to 64 quads at a time (a branch-free loop over independent Philox
// evaluations, which vectorises), then the select.
OT_ISA_TARGET
void dropout(const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first) {
  const uint32_t th = key.threshold();
  const float scale = key.scale();
  constexpr int kQuads = 64;
  uint32_t words[4 * kQuads];
  const uint64_t lastQuad = (first + static_cast<uint64_t>(n) - 1) >> 2;
  int64_t i = 0;
  while (i < n) {
    const uint64_t e = first + static_cast<uint64_t>(i);
    const uint64_t q0 = e >> 2;
    const int quads = static_cast<int>(std::min<uint64_t>(kQuads, lastQuad - q0 + 1));
    for (int q = 0; q < quads; ++q) {
      const Philox4 w = dropout_words(key, q0 + static_cast<uint64_t>(q));
      words[4 * q] = w.v[0];
      words[4 * q + 1] = w.v[1];
      words[4 * q + 2] = w.v[2];
      words[4 * q + 3] = w.v[3];
    }
    const int64_t off = static_cast<int64_t>(e & 3);  // word of element e within the first quad
    const int64_t take = std::min<int64_t>(n - i, 4 * static_cast<int64_t>(quads) - off);
    for (int64_t k = 0; k < take; ++k) y[i + k] = words[off + k] < th ? 0.0f : x[i + k] * scale;
    i += take;
  }
}

OT_ISA_TARGET
void adamw(float* p, float* g, float* m, float* v, int64_t n, bool decay, const AdamWScalars& s) {
  for (int64_t i = 0; i < n; ++i) {
    const float gi = g[i] * s.gradScale;
    g[i] = 0.0f;
    float pi = decay ? p[i] * s.decay : p[i];
    const float mi = s.beta1 * m[i] + s.oneMinusBeta1 * gi;
    const float vi = s.beta2 * v[i] + s.oneMinusBeta2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    pi -= s.stepSize * (mi / (std::sqrt(vi) * s.invSqrtBc2 + s.eps));
    p[i] = pi;
  }
}

}  // namespace OT_ISA_NS
}  // namespace kernels
}  // namespace nn
