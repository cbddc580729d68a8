// Portable reference implementation of gemm.h (correct, deterministic, slow). The optimised,
// packed and ISA-dispatched kernels replace this file's internals; the interface stays.
#include "gemm.h"

#include <algorithm>
#include <vector>

namespace nn {

namespace {

inline float at(const float* X, int64_t ld, bool trans, int64_t r, int64_t c) {
  return trans ? X[c * ld + r] : X[r * ld + c];
}

void gemm_rows(bool transA, bool transB, int64_t r0, int64_t r1, int64_t N, int64_t K, float alpha, const float* A,
               int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  for (int64_t i = r0; i < r1; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      float s = 0.0f;
      for (int64_t k = 0; k < K; ++k) s += at(A, lda, transA, i, k) * at(B, ldb, transB, k, j);
      float& c = C[i * ldc + j];
      c = beta == 0.0f ? alpha * s : alpha * s + beta * c;
    }
  }
}

}  // namespace

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ot::ThreadPool& pool, int threads) {
  constexpr int64_t kRows = 16;
  const int64_t tasks = (M + kRows - 1) / kRows;
  pool.parallel_for(tasks, threads, [&](int64_t t, int) {
    gemm_rows(transA, transB, t * kRows, std::min(M, (t + 1) * kRows), N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  });
}

void sgemm_strided_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                           float* C, int64_t ldc, int64_t strideC, int64_t batch, ot::ThreadPool& pool, int threads) {
  pool.parallel_for(batch, threads, [&](int64_t b, int) {
    gemm_rows(transA, transB, 0, M, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta, C + b * strideC, ldc);
  });
}

const GemmInfo& gemm_info() {
  static const GemmInfo info{"portable-reference", "unoptimised reference loop"};
  return info;
}

}  // namespace nn
