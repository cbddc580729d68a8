// Element-wise kernels of the CUDA engine, each forward next to its backward (native/nn: gelu.cpp,
// dropout.cpp, the residual sums of encoder.cpp, the tanh of classifier_head.cpp, the bias rows of
// linear.cpp). One element per thread, 256 threads per block; no barriers.
#pragma once

#include <cstdint>

#include "cuda/reduce.cuh"
#include "nn/philox.h"

namespace optical::cuda::nn {

constexpr int kThreads = 256;

__device__ __forceinline__ int64_t global_index() {
  return static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
}

// ---- sums and copies ------------------------------------------------------------------------

/** out = a + b (out may alias either). */
__global__ void __launch_bounds__(kThreads) add_kernel(const float* a, const float* b, float* out, int64_t n) {
  const int64_t i = global_index();
  if (i < n) out[i] = a[i] + b[i];
}

/** out += a. */
__global__ void __launch_bounds__(kThreads) accumulate_kernel(const float* a, float* out, int64_t n) {
  const int64_t i = global_index();
  if (i < n) out[i] += a[i];
}

/** Y[r, :] = b (the bias rows a linear layer's product is then added to, as native/nn/linear.cpp). */
__global__ void __launch_bounds__(kThreads) bias_rows_kernel(const float* b, int64_t rows, int64_t cols, float* Y) {
  const int64_t i = global_index();
  if (i < rows * cols) Y[i] = b[i % cols];
}

// ---- GELU (exact, erf form) -----------------------------------------------------------------
// Φ(x) = (1 + erf(x/√2))/2 = erfc(−x/√2)/2: erfcf keeps its relative accuracy in the negative tail,
// where 1 + erf would cancel (native/nn evaluates the same quantity with a Chebyshev fit).

constexpr float kInvSqrt2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

/** y = x·Φ(x); dydx (optional) = Φ(x) + x·φ(x), from the same evaluation. */
__global__ void __launch_bounds__(kThreads) gelu_forward_kernel(const float* x, float* y, float* dydx, int64_t n) {
  const int64_t i = global_index();
  if (i >= n) return;
  const float v = x[i];
  const float p = 0.5f * erfcf(-v * kInvSqrt2);
  y[i] = v * p;
  if (dydx) dydx[i] = p + v * kInvSqrt2Pi * expf(-0.5f * v * v);
}

/** dx = dy · gelu'(x), recomputed from x (dx may alias dy). */
__global__ void __launch_bounds__(kThreads) gelu_backward_kernel(const float* x, const float* dy, float* dx, int64_t n) {
  const int64_t i = global_index();
  if (i >= n) return;
  const float v = x[i];
  const float d = 0.5f * erfcf(-v * kInvSqrt2) + v * kInvSqrt2Pi * expf(-0.5f * v * v);
  dx[i] = dy[i] * d;
}

/** out = a ⊙ b (the GELU backward with the kept derivative; out may alias either). */
__global__ void __launch_bounds__(kThreads) multiply_kernel(const float* a, const float* b, float* out, int64_t n) {
  const int64_t i = global_index();
  if (i < n) out[i] = a[i] * b[i];
}

// ---- tanh (the BERT pooler) -----------------------------------------------------------------

__global__ void __launch_bounds__(kThreads) tanh_kernel(float* x, int64_t n) {
  const int64_t i = global_index();
  if (i < n) x[i] = tanhf(x[i]);
}

/** d ← d · (1 − y²), y = tanh(·) of the forward pass. */
__global__ void __launch_bounds__(kThreads) tanh_backward_kernel(const float* y, float* d, int64_t n) {
  const int64_t i = global_index();
  if (i < n) d[i] *= 1.0f - y[i] * y[i];
}

// ---- dropout (native/nn/philox.h, the engine-wide mask specification) ------------------------

/** Everything that selects one mask, as the kernels take it (from nn::DropoutKey on the host). */
struct DropoutArgs {
  uint32_t seedLo, seedHi, stream, input;
  uint32_t threshold;  // dropped ⇔ word < threshold
  float scale;         // kept values are multiplied by it
};

/** y[i] = keep(first + i) ? x[i]·scale : 0 for i < n (x may alias y). One thread per quad of mask
 *  words (elements 4q … 4q+3 share one Philox evaluation); thread 0 owns the quad of `first`.
 *  Forward and backward are the same map (backward: x = dy, y = dx). */
__global__ void __launch_bounds__(kThreads) dropout_kernel(DropoutArgs d, const float* x, float* y, int64_t n,
                                                           uint64_t first) {
  const uint64_t q = (first >> 2) + static_cast<uint64_t>(global_index());
  const uint64_t end = first + static_cast<uint64_t>(n);
  const uint64_t e0 = q << 2;
  if (e0 >= end) return;
  const ::nn::Philox4 w = ::nn::philox4x32_10(static_cast<uint32_t>(q), static_cast<uint32_t>(q >> 32), d.stream,
                                              d.input, d.seedLo, d.seedHi);
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const uint64_t e = e0 + static_cast<uint64_t>(r);
    if (e < first || e >= end) continue;
    const int64_t i = static_cast<int64_t>(e - first);
    y[i] = w.v[r] < d.threshold ? 0.0f : x[i] * d.scale;
  }
}

/** Thread blocks of dropout_kernel for n elements starting at element `first`. */
__host__ __device__ inline int64_t dropout_quads(int64_t n, uint64_t first) {
  return n <= 0 ? 0 : static_cast<int64_t>(((first + static_cast<uint64_t>(n) - 1) >> 2) - (first >> 2) + 1);
}

// ---- rows gathered and scattered (pooled [CLS] rows, MLM positions, OT student tokens) -------

/** dst[r, :] = src[index[r], :] for r < count (rows of width H). */
__global__ void __launch_bounds__(kThreads) gather_rows_kernel(const float* src, const int64_t* index, int64_t count,
                                                               int64_t H, float* dst) {
  const int64_t i = global_index();
  if (i >= count * H) return;
  const int64_t r = i / H, j = i % H;
  dst[i] = src[index[r] * H + j];
}

/** dst[index[r], :] += scale · src[r, :] (distinct indices: no two threads write one entry). */
__global__ void __launch_bounds__(kThreads) scatter_add_rows_kernel(const float* src, const int64_t* index,
                                                                    int64_t count, int64_t H, float scale, float* dst) {
  const int64_t i = global_index();
  if (i >= count * H) return;
  const int64_t r = i / H, j = i % H;
  dst[index[r] * H + j] += scale * src[i];
}

}  // namespace optical::cuda::nn
