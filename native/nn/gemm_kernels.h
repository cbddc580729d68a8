// Internal to the GEMM (gemm.cpp and the per-ISA kernel files): one register-blocked micro-kernel
// and its packing routines per instruction-set level.
//
// Packed layouts (Goto/BLIS): a K block of op(A) is cut into slabs of MR rows, stored k-major —
// slab[k·MR + i] = op(A)[i0 + i][k0 + k] — and a K block of op(B) into slabs of NR columns,
// slab[k·NR + j] = op(B)[k0 + k][j0 + j]. Rows/columns past the matrix edge are packed as zeros;
// the micro-kernel clips its loads of C and its stores to the part of the tile inside C (masks), and
// may run a narrower register tile for an edge slab's rows.
//
// The micro-kernel computes, for every entry of its tile, acc = Σ_k a[k]·b[k] with one FMA per k in
// increasing k, and then one of the updates below. That is the entire arithmetic a C entry sees,
// and it depends only on the entry's K blocks — never on the tile's position, its clipping or the
// thread that runs it — which is what makes the results bit-identical for any thread count.
#ifndef OPTICAL_NATIVE_NN_GEMM_KERNELS_H
#define OPTICAL_NATIVE_NN_GEMM_KERNELS_H

#include <cstdint>

namespace nn {
namespace gemm_detail {

// How the micro-kernel writes its tile (acc) into C.
enum class Update : int {
  Store = 0,       // C = alpha·acc                    (first K block, beta = 0: C is never read)
  ScaleAdd = 1,    // C = alpha·acc + beta·C           (first K block)
  Accumulate = 2,  // C = alpha·acc + C                (every later K block)
};

// The operands of one micro-kernel call: entry (i, k) of the A tile is a[i·rs + k·ks] and entry
// (k, j) of the B tile is b[k·ks + j]. Packed slabs: A {rs 1, ks MR}, B {ks NR}. Small products
// read the matrices in place instead where the layout allows (A {1, lda} when transposed, {lda, 1}
// when not; B {ldb} when not transposed), only for full tiles: the values, and therefore the
// arithmetic, are the same either way.
struct TileA {
  const float* a;
  int64_t rs, ks;
};
struct TileB {
  const float* b;
  int64_t ks;
};

// kc ≥ 1; c: the tile's top-left entry (row stride ldc); rows ≤ MR and cols ≤ NR: how much of the
// tile lies inside C (the rest is neither read nor written, and A rows / B columns beyond them are
// not read when they come straight from the matrices — those calls always have full tiles).
// A call with rows < MR may use a narrower register tile (same arithmetic per entry).
using MicroKernel = void (*)(int64_t kc, TileA a, TileB b, float* c, int64_t ldc, int rows, int cols, float alpha,
                             float beta, Update update);

// Packs rows [i0, i0 + rows) × k in [k0, k0 + kc) of op(A) into one MR-row slab (rows ≤ MR; the rest
// zero). A is M×K row-major (lda) or, with trans, K×M.
using PackA = void (*)(bool trans, const float* A, int64_t lda, int64_t i0, int rows, int64_t k0, int64_t kc,
                       float* slab);
// Packs k in [k0, k0 + kc) × columns [j0, j0 + cols) of op(B) into one NR-column slab (cols ≤ NR).
using PackB = void (*)(bool trans, const float* B, int64_t ldb, int64_t k0, int64_t kc, int64_t j0, int cols,
                       float* slab);

struct KernelSet {
  const char* name;  // e.g. "avx512 14x32"
  int mr, nr;        // register tile (packed A slabs are mr rows wide, B slabs nr columns)
  int mr_direct;     // rows per A slab when A is read in place (small products; ≤ mr)
  int kc;            // largest K block (the blocks of a given K are a function of K alone)
  int mc;            // preferred rows per task (multiple of mr): the packed A block that stays in L2
  int nc;            // preferred columns per task (multiple of nr)
  MicroKernel kernel;
  PackA pack_a;
  PackB pack_b;
};

const KernelSet& kernels_portable();
#if defined(__x86_64__) && defined(__GNUC__)
#define OPTICAL_GEMM_X86 1
const KernelSet& kernels_avx2();
const KernelSet& kernels_avx512();
#endif

}  // namespace gemm_detail
}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_GEMM_KERNELS_H
