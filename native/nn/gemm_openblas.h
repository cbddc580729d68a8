// Internal to the GEMM: OpenBLAS loaded at run time (dlopen of Debian's libopenblas.so.0; never a
// build or link dependency). Loaded once, on first use; OpenBLAS's own threads are switched off
// (openblas_set_num_threads(1)) so that it never competes with the shared pool: parallel calls go
// through openblas_sgemm below, which splits C into pieces on the pool threads.
#ifndef OPTICAL_NATIVE_NN_GEMM_OPENBLAS_H
#define OPTICAL_NATIVE_NN_GEMM_OPENBLAS_H

#include <cstdint>
#include <string>

#include "../core/thread_pool.h"

namespace nn {
namespace gemm_detail {

struct OpenBlas {
  bool loaded = false;
  std::string error;   // why it is not loaded ("" when loaded)
  std::string config;  // openblas_get_config() and the core it chose, e.g. "OpenBLAS 0.3.21 … (Zen)"
  std::string path;    // the library file name that was loaded
};

// OPTICAL_OPENBLAS=<path> names another file to load (default: libopenblas.so.0).
const OpenBlas& openblas();

// One cblas_sgemm on the calling thread (row-major, gemm.h semantics). Requires openblas().loaded.
void openblas_sgemm_single(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

// The product split into 1, 2, 4 or 8 pieces of C along its longer side, a choice that depends
// only on the shape (so every C entry is computed by the same single-threaded OpenBLAS call whatever
// the thread count), run on up to `threads` pool threads.
void openblas_sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ot::ThreadPool& pool,
                    int threads);

}  // namespace gemm_detail
}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_GEMM_OPENBLAS_H
