// Portable GEMM micro-kernel (any CPU, compiled with the build's baseline flags): a 4×8 tile held in
// GCC/Clang generic vectors of 4 floats, which become SSE registers on x86-64-v2, NEON on arm64 and
// scalar code elsewhere. Used when the CPU lacks AVX2+FMA or OPTICAL_ISA=baseline. No FMA: the
// baseline has none, so each k step is a multiply then an add (also a fixed order).
#include "gemm_kernels.h"
#include "gemm_pack.h"

namespace nn {
namespace gemm_detail {

namespace {

constexpr int kMR = 4;
constexpr int kNR = 8;

typedef float v4 __attribute__((vector_size(16)));

NN_INLINE v4 load4(const float* p) {
  v4 v;
  __builtin_memcpy(&v, p, sizeof v);
  return v;
}

void micro_portable(int64_t kc, TileA ta, TileB tb, float* c, int64_t ldc, int rows, int cols, float alpha,
                    float beta, Update update) {
  v4 acc0[kMR] = {}, acc1[kMR] = {};
  const float* a = ta.a;
  const float* b = tb.b;
  for (int64_t k = 0; k < kc; ++k) {
    const v4 b0 = load4(b), b1 = load4(b + 4);
    for (int i = 0; i < kMR; ++i) {
      const float x = a[i * ta.rs];
      const v4 ai = {x, x, x, x};
      acc0[i] += ai * b0;
      acc1[i] += ai * b1;
    }
    a += ta.ks;
    b += tb.ks;
  }
  float acc[kMR][kNR];
  for (int i = 0; i < kMR; ++i) {
    __builtin_memcpy(acc[i], &acc0[i], sizeof acc0[i]);
    __builtin_memcpy(acc[i] + 4, &acc1[i], sizeof acc1[i]);
  }
  for (int i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    if (update == Update::Store) {
      for (int j = 0; j < cols; ++j) ci[j] = alpha * acc[i][j];
    } else if (update == Update::ScaleAdd) {
      for (int j = 0; j < cols; ++j) ci[j] = alpha * acc[i][j] + beta * ci[j];
    } else {
      for (int j = 0; j < cols; ++j) ci[j] = alpha * acc[i][j] + ci[j];
    }
  }
}

void pack_a_portable(bool trans, const float* A, int64_t lda, int64_t i0, int rows, int64_t k0, int64_t kc,
                     float* slab) {
  pack_a_impl<kMR>(trans, A, lda, i0, rows, k0, kc, slab);
}

void pack_b_portable(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols,
                     float* slab) {
  pack_b_impl<kNR>(trans, B, ldb, k0, kc, j0, cols, slab);
}

}  // namespace

const KernelSet& kernels_portable() {
  static const KernelSet set{"portable 4x8", kMR, kNR, kMR, 256, 4 * 32, 8 * 64, micro_portable, pack_a_portable,
                             pack_b_portable};
  return set;
}

}  // namespace gemm_detail
}  // namespace nn
