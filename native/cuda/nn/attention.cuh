// The non-GEMM parts of multi-head self-attention (native/nn/attention.cpp). The fused projection
// qkv [B·L, 3H] is split into head-major Q, K, V [B, heads, L, d] so that the score and context
// products are strided batched GEMMs (one product per (sequence, head)); the masked softmax runs
// one warp per score row; the context goes back to token-major [B·L, H]. Dropout on the
// probabilities uses element index ((b·heads + h)·L + i)·L + j, which is the flat index of the
// [B, heads, L, L] probability array (philox.h, site 2).
#pragma once

#include <cstdint>

#include "cuda/nn/elementwise.cuh"

namespace optical::cuda::nn {

/** Additive score of a padding key: exp underflows to exactly 0 (as native/nn). */
constexpr float kMaskedScore = -1e30f;

/** dst[b, h, l, :] = src[b·L + l, h·d : (h+1)·d] with src rows of stride ld (a part of qkv, or a
 *  gradient [B·L, H]). One thread per element. */
__global__ void __launch_bounds__(kThreads) split_heads_kernel(const float* src, int64_t ld, int64_t B, int64_t L,
                                                               int64_t heads, int64_t d, float* dst) {
  const int64_t i = global_index();
  if (i >= B * heads * L * d) return;
  const int64_t e = i % d, l = (i / d) % L, h = (i / (d * L)) % heads, b = i / (d * L * heads);
  dst[i] = src[(b * L + l) * ld + h * d + e];
}

/** The inverse: dst[b·L + l, h·d + e] (rows of stride ld) = src[b, h, l, e]. */
__global__ void __launch_bounds__(kThreads) merge_heads_kernel(const float* src, int64_t B, int64_t L, int64_t heads,
                                                               int64_t d, int64_t ld, float* dst) {
  const int64_t i = global_index();
  if (i >= B * heads * L * d) return;
  const int64_t e = i % d, l = (i / d) % L, h = (i / (d * L)) % heads, b = i / (d * L * heads);
  dst[(b * L + l) * ld + h * d + e] = src[i];
}

/** Masked softmax of the rows of S [B·heads·L, L] in place (the scores already carry 1/√d):
 *  masked keys (mask[b, j] = 0) get probability 0. One warp per row. */
__global__ void __launch_bounds__(kThreads) softmax_forward_kernel(float* S, const uint8_t* mask, int64_t rows,
                                                                   int64_t L, int64_t heads) {
  const int lane = threadIdx.x % kWarp;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  if (r >= rows) return;  // warp-uniform
  const int64_t b = r / (heads * L);
  const uint8_t* m = mask + b * L;
  float* row = S + r * L;
  float mx = -3.0e38f;
  for (int64_t j = lane; j < L; j += kWarp) {
    const float v = row[j] + (m[j] ? 0.0f : kMaskedScore);
    row[j] = v;
    mx = fmaxf(mx, v);
  }
  mx = warp_max(mx);
  float s = 0.f;
  for (int64_t j = lane; j < L; j += kWarp) {
    const float e = expf(row[j] - mx);
    row[j] = e;
    s += e;
  }
  const float inv = 1.0f / warp_sum(s);
  for (int64_t j = lane; j < L; j += kWarp) row[j] *= inv;
}

/** dP ← P ⊙ (dP − rowsum(P ⊙ dP)) per row (the softmax backward, dS). One warp per row. */
__global__ void __launch_bounds__(kThreads) softmax_backward_kernel(const float* P, float* dP, int64_t rows,
                                                                    int64_t L) {
  const int lane = threadIdx.x % kWarp;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  if (r >= rows) return;
  const float* p = P + r * L;
  float* d = dP + r * L;
  float s = 0.f;
  for (int64_t j = lane; j < L; j += kWarp) s += p[j] * d[j];
  s = warp_sum(s);
  for (int64_t j = lane; j < L; j += kWarp) d[j] = p[j] * (d[j] - s);
}

}  // namespace optical::cuda::nn
