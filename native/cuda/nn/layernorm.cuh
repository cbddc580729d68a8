// LayerNorm over rows of H (native/nn/layernorm.cpp): y = (x − mean)/sqrt(var + eps)·g + b with
// the biased variance, mean and rstd saved; backward dx per row and the parameter gradients as
// deterministic column sums (columns.cuh). One warp per row, 8 rows per block.
#pragma once

#include <cstdint>

#include "cuda/nn/columns.cuh"

namespace optical::cuda::nn {

constexpr int kRowsPerBlock = kThreads / kWarp;

__global__ void __launch_bounds__(kThreads) layernorm_forward_kernel(const float* x, int64_t rows, int64_t H,
                                                                     const float* g, const float* b, double eps,
                                                                     float* y, float* mean, float* rstd) {
  const int lane = threadIdx.x % kWarp;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
  if (r >= rows) return;  // warp-uniform
  const float* xr = x + r * H;
  const float invH = 1.0f / static_cast<float>(H);
  float s = 0.f;
  for (int64_t j = lane; j < H; j += kWarp) s += xr[j];
  const float mu = warp_sum(s) * invH;
  float v = 0.f;
  for (int64_t j = lane; j < H; j += kWarp) {
    const float d = xr[j] - mu;
    v += d * d;
  }
  v = warp_sum(v);
  const float rs = static_cast<float>(1.0 / sqrt(static_cast<double>(v * invH) + eps));
  float* yr = y + r * H;
  for (int64_t j = lane; j < H; j += kWarp) yr[j] = (xr[j] - mu) * rs * g[j] + b[j];
  if (lane == 0) {
    mean[r] = mu;
    rstd[r] = rs;
  }
}

/** dx = rstd·(dy·g − mean(dy·g) − x̂·mean(dy·g·x̂)), overwritten or accumulated; dx may alias dy
 *  when !accumulate (each warp reads its row completely before writing it). */
__global__ void __launch_bounds__(kThreads) layernorm_backward_kernel(const float* dy, const float* x,
                                                                      const float* mean, const float* rstd,
                                                                      int64_t rows, int64_t H, const float* g,
                                                                      float* dx, bool accumulate) {
  const int lane = threadIdx.x % kWarp;
  const int64_t r = static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp;
  if (r >= rows) return;
  const float* dyr = dy + r * H;
  const float* xr = x + r * H;
  const float mu = mean[r], rs = rstd[r];
  float s1 = 0.f, s2 = 0.f;
  for (int64_t j = lane; j < H; j += kWarp) {
    const float gh = dyr[j] * g[j];
    s1 += gh;
    s2 += gh * ((xr[j] - mu) * rs);
  }
  const float invH = 1.0f / static_cast<float>(H);
  const float m1 = warp_sum(s1) * invH, m2 = warp_sum(s2) * invH;
  float* dxr = dx + r * H;
  for (int64_t j = lane; j < H; j += kWarp) {
    const float v = rs * (dyr[j] * g[j] - m1 - ((xr[j] - mu) * rs) * m2);
    dxr[j] = accumulate ? dxr[j] + v : v;
  }
}

/** The chunk partials of dg = Σ_r dy·x̂ and db = Σ_r dy (combined by column_combine_kernel). */
__global__ void __launch_bounds__(kThreads) layernorm_param_partial_kernel(const float* dy, const float* x,
                                                                           const float* mean, const float* rstd,
                                                                           int64_t rows, int64_t H, float* partG,
                                                                           float* partB) {
  const int64_t colBlocks = (H + kThreads - 1) / kThreads;
  const int64_t c = blockIdx.x / colBlocks, j = (blockIdx.x % colBlocks) * kThreads + threadIdx.x;
  if (j >= H) return;
  const int64_t r0 = c * kChunkRows, r1 = r0 + kChunkRows < rows ? r0 + kChunkRows : rows;
  float ag = 0.f, ab = 0.f;
  for (int64_t r = r0; r < r1; ++r) {
    const float d = dy[r * H + j];
    ag += d * ((x[r * H + j] - mean[r]) * rstd[r]);
    ab += d;
  }
  partG[c * H + j] = ag;
  partB[c * H + j] = ab;
}

}  // namespace optical::cuda::nn
