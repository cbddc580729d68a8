// Single-precision matrix multiply for the encoder engine (pure C++17, no Node-API).
//
//   C = alpha · op(A) · op(B) + beta · C        all matrices row-major
//
// op(A) is M×K: A itself is M×K with row stride lda ≥ K, or (transA) K×M with lda ≥ M; likewise
// op(B) is K×N: B is K×N (ldb ≥ N) or (transB) N×K (ldb ≥ K). C is M×N with ldc ≥ N.
// beta = 0 overwrites C without reading it (NaN/garbage in C does not propagate).
//
// Determinism: every entry of C is summed over K in an order that depends only on the shapes, never
// on the thread count or on how work is split between threads, so results are bit-identical for
// any `threads` (the engine's 1-vs-2-thread determinism rests on this).
//
// threads: cap on pool threads (≤ 0: all of the pool).
//
// alpha = 0 or K = 0: C = beta·C without reading A or B (as BLAS does). Denormal inputs and results
// are flushed to zero (FTZ/DAZ for the duration of the call, on every thread), as in the OT kernels.
//
// Implementation (gemm.cpp): packed, cache-blocked micro-kernels per ISA level — AVX-512 12×32,
// AVX2+FMA 6×16, portable 4×8 — chosen once per process from ot::isa_choice() (OPTICAL_ISA), threads
// over tiles of C; small products (attention) read operands in place instead of packing them.
// OpenBLAS (Debian libopenblas0) is loaded at run time when present and used when OPTICAL_GEMM=openblas
// or a call names it; `auto` runs the own kernels (gemm_info().note says why).
// Not provided, on purpose: a pre-packed weight form (the weights change every optimizer step and
// the forward X·Wᵀ and backward dY·W need different packings, so nothing would be packed twice; the
// packing of op(B) is ≈ 2 % of the BERT-base FFN products anyway) and a fused bias epilogue (the
// engine fuses bias with the activation / residual pass it makes over C anyway).
#ifndef OPTICAL_NATIVE_NN_GEMM_H
#define OPTICAL_NATIVE_NN_GEMM_H

#include <cstdint>
#include <string>

#include "../core/isa.h"
#include "../core/thread_pool.h"

namespace nn {

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ot::ThreadPool& pool, int threads = 0);

// `batch` independent products with constant strides between consecutive A, B and C matrices
// (attention: one product per (sequence, head)).
void sgemm_strided_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                           float* C, int64_t ldc, int64_t strideC, int64_t batch, ot::ThreadPool& pool,
                           int threads = 0);

// Which implementation a call runs. Auto follows OPTICAL_GEMM (auto | own | openblas; see
// gemm_info()); Own and OpenBlas force one (tests and benchmarks compare them in one process).
enum class GemmBackend { Auto, Own, OpenBlas };

// sgemm / sgemm_strided_batched on the named implementation. OpenBlas throws std::runtime_error when
// OpenBLAS could not be loaded.
void sgemm_with(GemmBackend backend, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                ot::ThreadPool& pool, int threads = 0);
void sgemm_strided_batched_with(GemmBackend backend, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                                float alpha, const float* A, int64_t lda, int64_t strideA, const float* B,
                                int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc, int64_t strideC,
                                int64_t batch, ot::ThreadPool& pool, int threads = 0);

// What runs, decided once per process (for backendInfo / benchmarks).
struct GemmInfo {
  std::string backend;             // what sgemm (Auto) runs: "own" or "openblas"
  std::string kernel;              // the own micro-kernel, e.g. "avx512 14x32"
  std::string isa;                 // ot::isa_choice().active: "baseline", "x86-64-v3", "x86-64-v4"
  std::string isaSupported;        // the best level this CPU supports (OPTICAL_ISA may choose a lower one)
  bool openblasAvailable = false;  // OpenBLAS was loaded (and OPTICAL_GEMM did not say own)
  std::string openblas;            // its configuration when loaded, otherwise why not
  std::string note;                // why `backend` was chosen, and anything not honoured
};
const GemmInfo& gemm_info();

// The measured floating-point peak (GFLOP/s) of `threads` cores together for the instruction mix of
// the kernels of one ISA level: a register-only loop of independent FMAs (AVX-512 zmm, AVX2 ymm;
// baseline: 4-wide multiply + add), `seconds` long, best round per thread. Throws
// std::invalid_argument for a level this CPU cannot run. For benchmarks (% of peak).
double measure_peak_gflops(ot::Isa isa, int threads, double seconds = 0.5);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_GEMM_H
