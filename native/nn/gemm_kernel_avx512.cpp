// AVX-512 (x86-64-v4) GEMM micro-kernel: 12×32 register tile (2 zmm per row, 24 accumulators of
// the 32 zmm registers); products whose A is read in place use 8-row slabs (mr_direct): with their
// 64- and 128-row shapes that leaves no partial slab, and it measured faster there.
// Only the functions carry the target attribute; the file itself is compiled for the portable
// baseline, and gemm.cpp calls in here only when ot::isa_choice() says x86-64-v4.
#include "gemm_kernels.h"

#if defined(OPTICAL_GEMM_X86)
#include <immintrin.h>

#include "gemm_pack_avx2.h"

namespace nn {
namespace gemm_detail {

namespace {

constexpr int kMR = 12;
constexpr int kNR = 32;

#define NN_AVX512 __attribute__((target("avx512f,avx512dq,avx512bw,avx512vl,avx2,fma")))

// R ≤ kMR rows: edge slabs use a narrower register tile instead of multiplying zero rows.
// Strided: A rows ta.rs apart (read in place, not packed); otherwise contiguous (rs = 1). The
// arithmetic of every entry is the same whatever R and the layout are.
template <int R, bool Strided>
NN_AVX512 void tile_avx512(int64_t kc, TileA ta, TileB tb, float* c, int64_t ldc, int rows, int cols,
                            float alpha, float beta, Update update) {
  __m512 acc0[R], acc1[R];
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) acc0[i] = acc1[i] = _mm512_setzero_ps();
  const float* a = ta.a;
  const float* b = tb.b;
  const int64_t rs = Strided ? ta.rs : 1;
  for (int64_t k = 0; k < kc; ++k) {
    const __m512 b0 = _mm512_loadu_ps(b);
    const __m512 b1 = _mm512_loadu_ps(b + 16);
#pragma GCC unroll 32
    for (int i = 0; i < R; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * rs]);
      acc0[i] = _mm512_fmadd_ps(ai, b0, acc0[i]);
      acc1[i] = _mm512_fmadd_ps(ai, b1, acc1[i]);
    }
    a += ta.ks;
    b += tb.ks;
  }
  const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1u);
  const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF) : cols <= 16 ? __mmask16(0) : __mmask16((1u << (cols - 16)) - 1u);
  const __m512 va = _mm512_set1_ps(alpha);
  const __m512 vb = _mm512_set1_ps(beta);
#pragma GCC unroll 32
  for (int i = 0; i < R; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc;
    __m512 r0, r1;
    if (update == Update::Store) {
      r0 = _mm512_mul_ps(va, acc0[i]);
      r1 = _mm512_mul_ps(va, acc1[i]);
    } else {
      __m512 c0 = _mm512_maskz_loadu_ps(m0, ci);
      __m512 c1 = _mm512_maskz_loadu_ps(m1, ci + 16);
      if (update == Update::ScaleAdd) {
        c0 = _mm512_mul_ps(vb, c0);
        c1 = _mm512_mul_ps(vb, c1);
      }
      r0 = _mm512_fmadd_ps(va, acc0[i], c0);
      r1 = _mm512_fmadd_ps(va, acc1[i], c1);
    }
    _mm512_mask_storeu_ps(ci, m0, r0);
    _mm512_mask_storeu_ps(ci + 16, m1, r1);
  }
}

NN_AVX512 void micro_avx512(int64_t kc, TileA a, TileB b, float* c, int64_t ldc, int rows, int cols, float alpha,
                           float beta, Update update) {
  if (a.rs == 1) {
    if (rows <= 4) return tile_avx512<4, false>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
    if (rows <= 8) return tile_avx512<8, false>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
    
    return tile_avx512<kMR, false>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
  }
  if (rows <= 4) return tile_avx512<4, true>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
  if (rows <= 8) return tile_avx512<8, true>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
  
  return tile_avx512<kMR, true>(kc, a, b, c, ldc, rows, cols, alpha, beta, update);
}

NN_AVX512 void pack_a_avx512(bool trans, const float* A, int64_t lda, int64_t i0, int rows, int64_t k0, int64_t kc,
                             float* slab) {
  pack_a_avx2_impl<kMR>(trans, A, lda, i0, rows, k0, kc, slab);
}

NN_AVX512 void pack_b_avx512(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols,
                             float* slab) {
  pack_b_avx2_impl<kNR>(trans, B, ldb, k0, kc, j0, cols, slab);
}

}  // namespace

const KernelSet& kernels_avx512() {
  static const KernelSet set{"avx512 12x32", kMR, kNR, 8, 384, 12 * 12, 32 * 24, micro_avx512, pack_a_avx512,
                             pack_b_avx512};
  return set;
}

}  // namespace gemm_detail
}  // namespace nn

#endif  // OPTICAL_GEMM_X86
