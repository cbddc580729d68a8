// One (batched) GEMM of the CUDA engine, as its two implementations take it: the tiled kernel
// (gemm_tiled.cuh) and cuBLASLt (cublaslt.h). Row-major, the contract of native/nn/gemm.h.
#pragma once

#include <cstdint>

namespace optical::cuda::nn {

enum class GemmPrecision : int { Fp32 = 0, Tf32 = 1, Bf16 = 2 };

struct GemmArgs {
  bool transA, transB;
  int64_t M, N, K;
  float alpha, beta;
  const float* A;
  int64_t lda, strideA;
  const float* B;
  int64_t ldb, strideB;
  float* C;
  int64_t ldc, strideC;
  int64_t batch;
  int precision;  // GemmPrecision
};

}  // namespace optical::cuda::nn
