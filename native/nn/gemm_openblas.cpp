#include "gemm_openblas.h"

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <stdexcept>

#include "../core/fast_math.h"

#if defined(__unix__) || defined(__APPLE__)
#include <dlfcn.h>
#define NN_HAVE_DLOPEN 1
#endif

namespace nn {
namespace gemm_detail {

namespace {

// The cblas ABI of OpenBLAS's default (LP64) build: enums are ints, dimensions are int.
constexpr int kRowMajor = 101, kNoTrans = 111, kTrans = 112;
using CblasSgemm = void (*)(int order, int transA, int transB, int M, int N, int K, float alpha, const float* A,
                            int lda, const float* B, int ldb, float beta, float* C, int ldc);
using SetThreads = void (*)(int);
using GetString = char* (*)();

CblasSgemm g_sgemm = nullptr;

OpenBlas load() {
  OpenBlas ob;
#if defined(NN_HAVE_DLOPEN)
  const char* env = std::getenv("OPTICAL_OPENBLAS");
  ob.path = env != nullptr && *env != '\0' ? env : "libopenblas.so.0";
  void* h = dlopen(ob.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (h == nullptr) {
    const char* why = dlerror();
    ob.error = "OpenBLAS not found (dlopen " + ob.path + ": " + (why != nullptr ? why : "unknown error") +
               "; Debian package libopenblas0)";
    return ob;
  }
  auto sgemm = reinterpret_cast<CblasSgemm>(dlsym(h, "cblas_sgemm"));
  auto setThreads = reinterpret_cast<SetThreads>(dlsym(h, "openblas_set_num_threads"));
  auto config = reinterpret_cast<GetString>(dlsym(h, "openblas_get_config"));
  auto core = reinterpret_cast<GetString>(dlsym(h, "openblas_get_corename"));
  if (sgemm == nullptr || setThreads == nullptr) {
    ob.error = ob.path + " lacks cblas_sgemm or openblas_set_num_threads (not OpenBLAS?)";
    dlclose(h);
    return ob;
  }
  setThreads(1);
  g_sgemm = sgemm;
  ob.loaded = true;
  if (config != nullptr) ob.config = config();
  if (core != nullptr) ob.config += std::string(ob.config.empty() ? "" : ", ") + "core " + core();
  // The handle stays open for the life of the process.
#else
  ob.error = "OpenBLAS is only loaded on Unix-like systems";
#endif
  return ob;
}

int as_int(int64_t v) {
  if (v > INT_MAX) throw std::length_error("nn::sgemm: OpenBLAS takes 32-bit dimensions; a size exceeds 2^31 - 1");
  return static_cast<int>(v);
}

// How many pieces the longer side of C is cut into: a power of two (1, 2, 4 or 8, so that common
// thread counts divide it) with pieces of at least 256 rows/columns — each piece is one OpenBLAS
// call that packs the whole of the other operand again. A function of the shape only.
int64_t pieces_along(int64_t side, double macs) {
  if (macs < double(1 << 21)) return 1;
  int64_t p = 1;
  while (p < 8 && side / (2 * p) >= 256) p *= 2;
  return p;
}

}  // namespace

const OpenBlas& openblas() {
  static const OpenBlas ob = load();
  return ob;
}

void openblas_sgemm_single(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  if (!openblas().loaded) throw std::runtime_error("nn::sgemm: " + openblas().error);
  g_sgemm(kRowMajor, transA ? kTrans : kNoTrans, transB ? kTrans : kNoTrans, as_int(M), as_int(N), as_int(K), alpha,
          A, as_int(lda), B, as_int(ldb), beta, C, as_int(ldc));
}

void openblas_sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                    int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ot::ThreadPool& pool,
                    int threads) {
  const bool byRows = M >= N;
  const int64_t side = byRows ? M : N;
  const int64_t pieces = pieces_along(side, double(M) * double(N) * double(K));
  pool.parallel_for(pieces, threads, [&](int64_t t, int) {
    const ot::FlushDenormals ftz;
    const int64_t s0 = side * t / pieces, len = side * (t + 1) / pieces - s0;
    if (byRows)
      openblas_sgemm_single(transA, transB, len, N, K, alpha, transA ? A + s0 : A + s0 * lda, lda, B, ldb, beta,
                            C + s0 * ldc, ldc);
    else
      openblas_sgemm_single(transA, transB, M, len, K, alpha, A, lda, transB ? B + s0 * ldb : B + s0, ldb, beta,
                            C + s0, ldc);
  });
}

}  // namespace gemm_detail
}  // namespace nn
