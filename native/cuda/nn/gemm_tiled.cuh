// The engine's own single-precision GEMM (used when cuBLASLt is not installed, and by the kernel
// emulator): row-major C = alpha·op(A)·op(B) + beta·C, batched with constant strides, the same
// contract as native/nn/gemm.h. 64×64 output tiles per 256-thread block, 16-deep slices of op(A)
// and op(B) staged in shared memory, 4×4 outputs per thread. Every entry of C is summed over k in
// increasing order (fused multiply-adds on a GPU), so results do not depend on the launch.
// Precision: FP32, or the operands rounded to TF32 (10-bit mantissa) / BF16 (7-bit) as tensor
// cores would take them, with FP32 accumulation — what the TF32 / BF16 options mean when no
// cuBLASLt is there to run them on tensor cores.
#pragma once

#include <cstdint>
#include <cstring>

#include "cuda/nn/elementwise.cuh"
#include "cuda/nn/gemm_args.h"

namespace optical::cuda::nn {

constexpr int kGemmTile = 64;
constexpr int kGemmDepth = 16;

/** x rounded to nearest-even with `drop` low mantissa bits cleared (NaN/Inf unchanged). */
__host__ __device__ inline float round_mantissa(float x, int drop) {
  uint32_t u;
  memcpy(&u, &x, sizeof u);
  if ((u & 0x7f800000u) == 0x7f800000u) return x;
  const uint32_t lsb = (u >> drop) & 1u;
  u += ((1u << (drop - 1)) - 1u) + lsb;
  u &= ~((1u << drop) - 1u);
  memcpy(&x, &u, sizeof x);
  return x;
}

__device__ __forceinline__ float operand(float x, int precision) {
  return precision == 1 ? round_mantissa(x, 13) : precision == 2 ? round_mantissa(x, 16) : x;
}

__global__ void __launch_bounds__(kThreads) gemm_tiled_kernel(GemmArgs g) {
  __shared__ float As[kGemmDepth][kGemmTile + 1];
  __shared__ float Bs[kGemmDepth][kGemmTile + 1];
  const int64_t tilesM = (g.M + kGemmTile - 1) / kGemmTile, tilesN = (g.N + kGemmTile - 1) / kGemmTile;
  const int64_t tile = blockIdx.x;
  const int64_t bat = tile / (tilesM * tilesN);
  const int64_t row0 = (tile / tilesN) % tilesM * kGemmTile, col0 = tile % tilesN * kGemmTile;
  const float* A = g.A + bat * g.strideA;
  const float* B = g.B + bat * g.strideB;
  float* C = g.C + bat * g.strideC;
  const int tid = threadIdx.x, tx = tid % 16, ty = tid / 16;
  float acc[4][4] = {};
  for (int64_t k0 = 0; k0 < g.K; k0 += kGemmDepth) {
    // Stage op(A)[row0 .. +64, k0 .. +16] as As[k][m] and op(B)[k0 .. +16, col0 .. +64] as Bs[k][n],
    // the contiguous axis of each matrix taken by consecutive threads; zero outside the matrices.
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int e = tid + kThreads * r;
      int m, k;
      if (g.transA) {
        k = e / kGemmTile;
        m = e % kGemmTile;
      } else {
        m = e / kGemmDepth;
        k = e % kGemmDepth;
      }
      const int64_t gm = row0 + m, gk = k0 + k;
      float a = 0.f;
      if (gm < g.M && gk < g.K) a = g.transA ? A[gk * g.lda + gm] : A[gm * g.lda + gk];
      As[k][m] = operand(a, g.precision);
      int n;
      if (g.transB) {
        n = e / kGemmDepth;
        k = e % kGemmDepth;
      } else {
        k = e / kGemmTile;
        n = e % kGemmTile;
      }
      const int64_t gn = col0 + n, gk2 = k0 + k;
      float b = 0.f;
      if (gn < g.N && gk2 < g.K) b = g.transB ? B[gn * g.ldb + gk2] : B[gk2 * g.ldb + gn];
      Bs[k][n] = operand(b, g.precision);
    }
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kGemmDepth; ++kk) {
      float a[4], b[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i)
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a[i], b[j], acc[i][j]);
    }
    __syncthreads();  // the slices are overwritten next
  }
#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int64_t r = row0 + ty + 16 * i;
    if (r >= g.M) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int64_t c = col0 + tx + 16 * j;
      if (c >= g.N) continue;
      float& out = C[r * g.ldc + c];
      out = g.beta == 0.f ? g.alpha * acc[i][j] : g.alpha * acc[i][j] + g.beta * out;
    }
  }
}

/** Thread blocks of gemm_tiled_kernel. */
inline int64_t gemm_tiled_blocks(const GemmArgs& g) {
  return ((g.M + kGemmTile - 1) / kGemmTile) * ((g.N + kGemmTile - 1) / kGemmTile) * g.batch;
}

}  // namespace optical::cuda::nn
