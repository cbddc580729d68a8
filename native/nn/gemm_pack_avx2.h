// Internal to the AVX2 and AVX-512 kernel files: the transposing pack (gemm_pack.h's pack_cols) with
// 8×8 in-register transposes. Every function carries the avx2 target and is always inlined into the
// target-attributed packing functions of those files (internal linkage: no shared copies).
#ifndef OPTICAL_NATIVE_NN_GEMM_PACK_AVX2_H
#define OPTICAL_NATIVE_NN_GEMM_PACK_AVX2_H

#include <immintrin.h>

#include <cstdint>

#include "gemm_pack.h"

namespace nn {
namespace gemm_detail {
namespace {

#define NN_PACK_AVX2 __attribute__((target("avx2,fma"), always_inline)) inline

// In place: r[i] (row i, 8 consecutive k) → r[k] (column k: row 0..7 at that k).
NN_PACK_AVX2 void transpose8x8(__m256 r[8]) {
  const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
  const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
  const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
  const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
  const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
  const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
  const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
  const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
  r[0] = _mm256_permute2f128_ps(u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps(u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps(u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps(u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps(u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps(u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps(u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Stores the first `lanes` (8, 6, 4 or 2 — the slab widths' remainders) floats of v at d.
NN_PACK_AVX2 void store_lanes(float* d, __m256 v, int lanes) {
  switch (lanes) {
    case 8: _mm256_storeu_ps(d, v); break;
    case 6:
      _mm_storeu_ps(d, _mm256_castps256_ps128(v));
      _mm_storel_pi(reinterpret_cast<__m64*>(d + 4), _mm256_extractf128_ps(v, 1));
      break;
    case 4: _mm_storeu_ps(d, _mm256_castps256_ps128(v)); break;
    default: {
      alignas(32) float t[8];
      _mm256_store_ps(t, v);
      for (int i = 0; i < lanes; ++i) d[i] = t[i];
    }
  }
}

// pack_cols<W> of gemm_pack.h (slab[k·W + w] = base[w·ld + k], zero for w ≥ n), 8×8 blocks at a time.
template <int W>
NN_PACK_AVX2 void pack_cols_avx2(const float* base, int64_t ld, int n, int64_t kc, float* slab) {
  static_assert(W % 2 == 0, "slab widths are even");
  int64_t k0 = 0;
  for (; k0 + 8 <= kc; k0 += 8) {
    for (int w0 = 0; w0 < W; w0 += 8) {
      __m256 r[8];
      for (int i = 0; i < 8; ++i)
        r[i] = w0 + i < n ? _mm256_loadu_ps(base + (w0 + i) * ld + k0) : _mm256_setzero_ps();
      transpose8x8(r);
      const int lanes = W - w0 < 8 ? W - w0 : 8;
      for (int k = 0; k < 8; ++k) store_lanes(slab + (k0 + k) * W + w0, r[k], lanes);
    }
  }
  for (int64_t k = k0; k < kc; ++k) {
    float* d = slab + k * W;
    for (int w = 0; w < n; ++w) d[w] = base[w * ld + k];
    for (int w = n; w < W; ++w) d[w] = 0.0f;
  }
}

template <int MR>
NN_PACK_AVX2 void pack_a_avx2_impl(bool trans, const float* A, int64_t lda, int64_t i0, int rows, int64_t k0,
                                   int64_t kc, float* slab) {
  if (trans)
    pack_rows<MR>(A + k0 * lda + i0, lda, rows, kc, slab);
  else
    pack_cols_avx2<MR>(A + i0 * lda + k0, lda, rows, kc, slab);
}

template <int NR>
NN_PACK_AVX2 void pack_b_avx2_impl(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0,
                                   int cols, float* slab) {
  if (trans)
    pack_cols_avx2<NR>(B + j0 * ldb + k0, ldb, cols, kc, slab);
  else
    pack_rows<NR>(B + k0 * ldb + j0, ldb, cols, kc, slab);
}

}  // namespace
}  // namespace gemm_detail
}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_GEMM_PACK_AVX2_H
