// Sentence vectors from token states (native/nn/pooling.cpp): [CLS] (first token) or the mean
// over real tokens, and the gradient back into the token states. Sums run over the tokens in order
// (one thread per output entry), as the CPU engine does.
#pragma once

#include <cstdint>

#include "cuda/nn/elementwise.cuh"

namespace optical::cuda::nn {

/** out [B, H]: cls = h[b, 0]; mean = Σ_l mask·h[b, l] / Σ_l mask. */
__global__ void __launch_bounds__(kThreads) pool_forward_kernel(bool cls, const float* h, const uint8_t* mask,
                                                                int64_t B, int64_t L, int64_t H, float* out) {
  const int64_t i = global_index();
  if (i >= B * H) return;
  const int64_t b = i / H, j = i % H;
  const float* hb = h + b * L * H;
  if (cls) {
    out[i] = hb[j];
    return;
  }
  float s = 0.f;
  int64_t n = 0;
  for (int64_t l = 0; l < L; ++l) {
    if (!mask[b * L + l]) continue;
    ++n;
    s += hb[l * H + j];
  }
  out[i] = s * (1.0f / static_cast<float>(n));
}

/** dh [B, L, H] += the gradient of the pooled vectors dout [B, H]. One thread per token entry. */
__global__ void __launch_bounds__(kThreads) pool_backward_kernel(bool cls, const float* dout, const uint8_t* mask,
                                                                 int64_t B, int64_t L, int64_t H, float* dh) {
  const int64_t i = global_index();
  if (i >= B * L * H) return;
  const int64_t j = i % H, l = (i / H) % L, b = i / (H * L);
  if (cls) {
    if (l == 0) dh[i] += dout[b * H + j];
    return;
  }
  if (!mask[b * L + l]) return;
  int64_t n = 0;
  for (int64_t q = 0; q < L; ++q) n += mask[b * L + q] ? 1 : 0;
  dh[i] += dout[b * H + j] * (1.0f / static_cast<float>(n));
}

}  // namespace optical::cuda::nn
