// AVX2+FMA (x86-64-v3) GEMM micro-kernel: 6×16 register tile (2 ymm per row, 12 accumulators of the
// 16 ymm registers). Only the functions carry the target attribute; the file itself is compiled for
// the portable baseline, and gemm.cpp calls in here only when ot::isa_choice() allows x86-64-v3.
#include "gemm_kernels.h"

#if defined(OPTICAL_GEMM_X86)
#include <immintrin.h>

#include "gemm_pack_avx2.h"

namespace nn {
namespace gemm_detail {

namespace {

constexpr int kMR = 6;
constexpr int kNR = 16;

#define NN_AVX2 __attribute__((target("avx2,fma")))

// Lane mask for the first n of 8 floats (n clamped to [0, 8]).
NN_AVX2 inline __m256i lanes(int n) {
  const __m256i iota = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), iota);
}

// R ≤ kMR rows: edge slabs use a narrower register tile instead of multiplying zero rows.
// Strided: A rows ta.rs apart (read in place, not packed); otherwise contiguous (rs = 1). The
// arithmetic of every entry is the same whatever R and the layout are.
template <int R, bool Strided>
NN_AVX2 void tile_avx2(int64_t kc, TileA ta, TileB tb, float* c, int64_t ldc, int rows, int cols,
                        float alpha, float beta, Update update) {
  __m256 acc0[R], acc1[R];
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm256_setzero_ps();
  const float* a = ta.a;
  const float* b = tb.b;
  const int64_t rs = Strided ? ta.rs : 1;
  for (int64_t k = 0; k < kc; ++k) {
    const __m256 b0 = _mm256_loadu_ps(b);
    const __m256 b1 = _mm256_loadu_ps(b + 8);
#pragma GCC unroll 16
    for (int i = 0; i < R; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * rs);
      acc0[i] = _mm256_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm256_fmadd_ps(ai, b1, acc1[i]);
    }
    a += ta.ks;
    b += tb.ks;
  }
  const bool full = cols >= kNR;
  const __m256i m0 = lanes(cols);
  const __m256i m1 = lanes(cols - 8);
  const __m256 va = _mm256_set1_ps(alpha);
  const __m256 vb = _mm256_set1_ps(beta);
#pragma GCC unroll 16
  for (int i = 0; i < R; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc;
    __m256 r0, r1;
    if (update == Update::Store) {
      r0 = _mm256_mul_ps(va, acc0[i]);
      r1 = _mm256_mul_ps(va, acc1[i]);
    } else {
      __m256 c0 = full ? _mm256_loadu_ps(ci) : _mm256_maskload_ps(ci, m0);
      __m256 c1 = full ? _mm256_loadu_ps(ci + 8) : _mm256_maskload_ps(ci + 8, m1);
      if (update == Update::ScaleAdd) {
        c0 = _mm256_mul_ps(vb, c0);
        c1 = _mm256_mul_ps(vb, c1);
      }
      r0 = _mm256_fmadd_ps(va, acc0[i], c0);
      r1 = _mm256_fmadd_ps(va, acc1[i], c1);
    }
    if (full) {
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    } else {
      _mm256_maskstore_ps(ci, m0, r0);
      _mm256_maskstore_ps(ci + 8, m1, r1);
    }
  }
}

NN_AVX2 void micro_avx2(int64_t kc, TileA a, TileB b, float* c, int64_t ldc, int rows, int cols, float alpha,
                       float beta, Update update) {
  if (a.rs == 1) {
    if (rows <= 2) return tile_avx2<2, false>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
    if (rows <= 4) return tile_avx2<4, false>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
    return tile_avx2<kMR, false>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
  }
  if (rows <= 2) return tile_avx2<2, true>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
  if (rows <= 4) return tile_avx2<4, true>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
  return tile_avx2<kMR, true>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
}

NN_AVX2 void pack_a_avx2(bool trans, const float* A, int64_t lda, int64_t i0, int rows, int64_t k0, int64_t kc,
                         float* slab) {
  pack_a_avx2_impl<kMR>(trans, A, lda, i0, rows, k0, kc, slab);
}

NN_AVX2 void pack_b_avx2(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols,
                         float* slab) {
  pack_b_avx2_impl<kNR>(trans, B, ldb, k0, kc, j0, cols, slab);
}

}  // namespace

const KernelSet& kernels_avx2() {
  static const KernelSet set{"avx2 6x16", kMR, kNR, kMR, 256, 6 * 24, 16 * 48, micro_avx2, pack_a_avx2, pack_b_avx2};
  return set;
}

}  // namespace gemm_detail
}  // namespace nn

#endif  // OPTICAL_GEMM_X86
