// Internal to the GEMM kernel files: the packing loops of gemm_kernels.h as always-inline templates,
// so each ISA file instantiates them inside its own target-attributed functions (they are then
// compiled for that ISA; no out-of-line copy is ever shared between levels).
#ifndef OPTICAL_NATIVE_NN_GEMM_PACK_H
#define OPTICAL_NATIVE_NN_GEMM_PACK_H

#include <cstdint>
#include <cstring>

#if defined(__GNUC__)
#define NN_INLINE inline __attribute__((always_inline))
#else
#define NN_INLINE inline
#endif

namespace nn {
namespace gemm_detail {

// One packed slab of W columns: slab[k·W + w] = src(k, w) for w < n, 0 beyond, k ∈ [0, kc).
// `contiguous` case: src(k, w) = base[k·ld + w] (a row of the slab is a piece of a source row).
template <int W>
NN_INLINE void pack_rows(const float* base, int64_t ld, int n, int64_t kc, float* slab) {
  if (n == W) {
    for (int64_t k = 0; k < kc; ++k) {
      std::memcpy(slab + k * W, base + k * ld, W * sizeof(float));
    }
  } else {
    for (int64_t k = 0; k < kc; ++k) {
      float* d = slab + k * W;
      std::memcpy(d, base + k * ld, n * sizeof(float));
      for (int w = n; w < W; ++w) d[w] = 0.0f;
    }
  }
}

// Transposing case: src(k, w) = base[w·ld + k] (each of the n source rows is one slab column).
// Blocks of 8 k × all W columns keep the W source streams' cache lines hot while they are read.
template <int W>
NN_INLINE void pack_cols(const float* base, int64_t ld, int n, int64_t kc, float* slab) {
  constexpr int64_t kStep = 8;
  int64_t k0 = 0;
  for (; k0 + kStep <= kc; k0 += kStep) {
    float* d = slab + k0 * W;
    for (int w = 0; w < n; ++w) {
      const float* s = base + w * ld + k0;
      for (int64_t k = 0; k < kStep; ++k) d[k * W + w] = s[k];
    }
    for (int w = n; w < W; ++w)
      for (int64_t k = 0; k < kStep; ++k) d[k * W + w] = 0.0f;
  }
  for (int64_t k = k0; k < kc; ++k) {
    float* d = slab + k * W;
    for (int w = 0; w < n; ++w) d[w] = base[w * ld + k];
    for (int w = n; w < W; ++w) d[w] = 0.0f;
  }
}

// op(A) rows [i0, i0+rows), k ∈ [k0, k0+kc) → MR-row slab. A is M×K (lda), or K×M with trans.
template <int MR>
NN_INLINE void pack_a_impl(bool trans, const float* A, int64_t lda, int64_t i0, int rows, int64_t k0, int64_t kc,
                           float* slab) {
  if (trans)
    pack_rows<MR>(A + k0 * lda + i0, lda, rows, kc, slab);
  else
    pack_cols<MR>(A + i0 * lda + k0, lda, rows, kc, slab);
}

// op(B) k ∈ [k0, k0+kc), columns [j0, j0+cols) → NR-column slab. B is K×N (ldb), or N×K with trans.
template <int NR>
NN_INLINE void pack_b_impl(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols,
                           float* slab) {
  if (trans)
    pack_cols<NR>(B + j0 * ldb + k0, ldb, cols, kc, slab);
  else
    pack_rows<NR>(B + k0 * ldb + j0, ldb, cols, kc, slab);
}

}  // namespace gemm_detail
}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_GEMM_PACK_H
