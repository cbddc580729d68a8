// Fused AdamW with global-norm clipping on the flat parameter buffers (native/nn/adamw.h): the
// squared gradient norm in fixed chunks (double partials summed in chunk order on the host, which
// decides clipping and the non-finite refusal exactly as the CPU engine), then one pass that clips,
// decays, updates both moments and the parameter, and clears the gradient.
#pragma once

#include <cstdint>

#include "cuda/nn/elementwise.cuh"

namespace optical::cuda::nn {

constexpr int64_t kNormChunk = int64_t{1} << 16;

/** part[c] = Σ x² over chunk c of kNormChunk entries (double), one block per chunk. */
__global__ void __launch_bounds__(kThreads) sum_squares_kernel(const float* x, int64_t n, double* part) {
  __shared__ double red[kThreads / kWarp];
  const int64_t b = static_cast<int64_t>(blockIdx.x) * kNormChunk;
  const int64_t e = b + kNormChunk < n ? b + kNormChunk : n;
  double s = 0.0;
  for (int64_t i = b + threadIdx.x; i < e; i += blockDim.x) s += static_cast<double>(x[i]) * x[i];
  s = block_sum(s, red);
  if (threadIdx.x == 0) part[blockIdx.x] = s;
}

/** A contiguous stretch of one tensor (≤ kAdamChunk entries) and whether weight decay applies. */
struct AdamChunk {
  int64_t offset;
  int32_t count;
  int32_t decay;
};
constexpr int32_t kAdamChunk = 4096;

/** The update's scalars (native/nn/kernels.h AdamWScalars, computed on the host in double). */
struct AdamScalars {
  float gradScale, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, invSqrtBc2, eps;
};

/** One block per chunk: the update of native/nn's kernels::adamw, and g cleared. */
__global__ void __launch_bounds__(kThreads) adamw_kernel(const AdamChunk* chunks, float* p, float* g, float* m,
                                                         float* v, AdamScalars s) {
  const AdamChunk c = chunks[blockIdx.x];
  for (int32_t t = threadIdx.x; t < c.count; t += blockDim.x) {
    const int64_t i = c.offset + t;
    const float gi = g[i] * s.gradScale;
    g[i] = 0.0f;
    float pi = c.decay ? p[i] * s.decay : p[i];
    const float mi = s.beta1 * m[i] + s.oneMinusBeta1 * gi;
    const float vi = s.beta2 * v[i] + s.oneMinusBeta2 * (gi * gi);
    m[i] = mi;
    v[i] = vi;
    pi -= s.stepSize * (mi / (sqrtf(vi) * s.invSqrtBc2 + s.eps));
    p[i] = pi;
  }
}

}  // namespace optical::cuda::nn
