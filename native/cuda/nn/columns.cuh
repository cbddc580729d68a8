// Deterministic column sums (bias gradients, LayerNorm parameter gradients, the position and type
// embedding gradients): no atomics. Rows are cut into fixed chunks of kChunkRows; one thread per
// (chunk, column) sums its chunk in row order into a partial, and a second kernel adds the chunks'
// partials in chunk order to the output. The split depends only on the shape, so the result is
// the same bits on every run and every GPU (native/nn/common.h's determinism rule).
#pragma once

#include <cstdint>

#include "cuda/nn/elementwise.cuh"

namespace optical::cuda::nn {

constexpr int64_t kChunkRows = 256;

/** part[c·cols + j] = Σ_{r in chunk c} X[r·ld + j]. Grid: chunks × ⌈cols/256⌉ blocks. */
__global__ void __launch_bounds__(kThreads) column_partial_kernel(const float* X, int64_t rows, int64_t cols,
                                                                  int64_t ld, float* part) {
  const int64_t colBlocks = (cols + kThreads - 1) / kThreads;
  const int64_t c = blockIdx.x / colBlocks, j = (blockIdx.x % colBlocks) * kThreads + threadIdx.x;
  if (j >= cols) return;
  const int64_t r0 = c * kChunkRows, r1 = r0 + kChunkRows < rows ? r0 + kChunkRows : rows;
  float s = 0.f;
  for (int64_t r = r0; r < r1; ++r) s += X[r * ld + j];
  part[c * cols + j] = s;
}

/** out[j] += Σ_c part[c·cols + j], chunks in order (one thread per column). */
__global__ void __launch_bounds__(kThreads) column_combine_kernel(const float* part, int64_t chunks, int64_t cols,
                                                                  float* out) {
  const int64_t j = global_index();
  if (j >= cols) return;
  float s = 0.f;
  for (int64_t c = 0; c < chunks; ++c) s += part[c * cols + j];
  out[j] += s;
}

__host__ __device__ inline int64_t row_chunks(int64_t rows) { return (rows + kChunkRows - 1) / kChunkRows; }

}  // namespace optical::cuda::nn
