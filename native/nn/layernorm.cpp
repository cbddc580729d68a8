// LayerNorm over the last axis (post-LN BERT: after each residual sum and after the embeddings).
#include <cmath>

#include "../core/fast_math.h"
#include "isa_dispatch.h"
#include "ops.h"

namespace nn {

namespace {

OT_INLINE void ln_rows_body(const float* x, int64_t r0, int64_t r1, int64_t H, const float* g, const float* b,
                            double eps, float* y, float* mean, float* rstd) {
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
NN_ISA_KERNEL(ln_rows, (const float* x, int64_t r0, int64_t r1, int64_t H, const float* g, const float* b, double eps,
                        float* y, float* mean, float* rstd),
              (x, r0, r1, H, g, b, eps, y, mean, rstd))

OT_INLINE void ln_back_rows_body(const float* dy, const float* x, const float* mean, const float* rstd, int64_t r0,
                                 int64_t r1, int64_t H, const float* g, float* dx, bool accumulate) {
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
NN_ISA_KERNEL(ln_back_rows, (const float* dy, const float* x, const float* mean, const float* rstd, int64_t r0,
                             int64_t r1, int64_t H, const float* g, float* dx, bool accumulate),
              (dy, x, mean, rstd, r0, r1, H, g, dx, accumulate))

// dg[j0..j1) += Σ_r dy·x̂, db += Σ_r dy, rows in order.
OT_INLINE void ln_param_grads_body(const float* dy, const float* x, const float* mean, const float* rstd, int64_t rows,
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
NN_ISA_KERNEL(ln_param_grads, (const float* dy, const float* x, const float* mean, const float* rstd, int64_t rows,
                               int64_t H, int64_t j0, int64_t w, float* dg, float* db),
              (dy, x, mean, rstd, rows, H, j0, w, dg, db))

}  // namespace

void layernorm_forward(const Ctx& c, const float* x, int64_t rows, int64_t H, const float* g, const float* b, double eps,
                       float* y, float* mean, float* rstd) {
  Timed t(c, &Profile::layernorm);
  for_chunks(c, rows, row_grain(H), [&](int64_t r0, int64_t r1) { ln_rows(x, r0, r1, H, g, b, eps, y, mean, rstd); });
}

void layernorm_backward(const Ctx& c, const float* dy, const float* x, const float* mean, const float* rstd,
                        int64_t rows, int64_t H, const float* g, float* dx, bool accumulate, float* dg, float* db) {
  Timed t(c, &Profile::layernorm);
  // Parameter gradients first: dx may overwrite dy.
  const int64_t blocks = (H + 63) / 64;
  c.parallel(blocks, [&](int64_t blk, int) {
    const int64_t j0 = blk * 64;
    ln_param_grads(dy, x, mean, rstd, rows, H, j0, std::min<int64_t>(64, H - j0), dg, db);
  });
  for_chunks(c, rows, row_grain(H), [&](int64_t r0, int64_t r1) {
    ln_back_rows(dy, x, mean, rstd, r0, r1, H, g, dx, accumulate);
  });
}

}  // namespace nn
