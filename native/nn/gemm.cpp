// The GEMM driver: Goto/BLIS blocking around the per-ISA micro-kernels of gemm_kernels.h, threads
// over tiles of C (never over K), and the optional OpenBLAS back end (gemm_openblas.h).
//
// One product, own kernels:
//   K is cut into blocks of at most KernelSet::kc (how, depends only on K). op(B) is packed first,
//   every K block into NR-column slabs (in parallel when it is large). Then C is cut into tiles of
//   whole slabs, one task each (their number adapts to the thread count, which is free because it
//   changes no arithmetic); per K block a tile packs its own A rows into MR-row slabs (kept in L2),
//   then runs its B slabs (kc×NR, kept in L1) against them.
// Batched products run one product per task (each task packs its own operands).
#include "gemm.h"

#include <algorithm>
#include <cstdlib>
#include <new>
#include <stdexcept>
#include <string>

#include "../core/fast_math.h"
#include "../core/isa.h"
#include "gemm_kernels.h"
#include "gemm_openblas.h"

namespace nn {

using gemm_detail::KernelSet;
using gemm_detail::Update;

namespace {

// ---------------------------------------------------------------------------------------------
// Scratch

// A 64-byte aligned float buffer that only grows (packing scratch is reused across calls; the
// engine multiplies the same shapes every step). Buffers above kKeepFloats are freed after use.
class Scratch {
 public:
  ~Scratch() { std::free(data_); }
  float* get(size_t n) {
    if (n > capacity_) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
      const size_t bytes = ((n * sizeof(float) + 63) / 64) * 64;
      data_ = static_cast<float*>(std::aligned_alloc(64, bytes));
      if (data_ == nullptr) throw std::bad_alloc();
      capacity_ = n;
    }
    return data_;
  }
  void trim() {
    if (capacity_ > kKeepFloats) {
      std::free(data_);
      data_ = nullptr;
      capacity_ = 0;
    }
  }

 private:
  static constexpr size_t kKeepFloats = size_t(1) << 24;  // 64 MiB
  float* data_ = nullptr;
  size_t capacity_ = 0;
};

// The calling thread's packed operands of one sgemm (read by every thread of that call), and a pool
// thread's own operands while it runs one product of a batch. Distinct buffers, so a thread that
// calls sgemm from inside a pool task cannot clobber anything: nothing is ever shared otherwise.
thread_local Scratch t_packed;
thread_local Scratch t_batch_item;

struct TrimOnExit {
  Scratch& s;
  ~TrimOnExit() { s.trim(); }
};

// ---------------------------------------------------------------------------------------------
// Kernel choice

const KernelSet& own_kernels() {
  static const KernelSet& set = []() -> const KernelSet& {
#if defined(OPTICAL_GEMM_X86)
    switch (ot::isa_choice().active) {
      case ot::Isa::X86_64_V4: return gemm_detail::kernels_avx512();
      case ot::Isa::X86_64_V3: return gemm_detail::kernels_avx2();
      default: break;
    }
#endif
    return gemm_detail::kernels_portable();
  }();
  return set;
}

GemmBackend parse_backend_env(std::string& note) {
  const char* env = std::getenv("OPTICAL_GEMM");
  const std::string v = env == nullptr ? "" : env;
  if (v.empty() || v == "auto") return GemmBackend::Auto;
  if (v == "own") return GemmBackend::Own;
  if (v == "openblas") return GemmBackend::OpenBlas;
  note = "OPTICAL_GEMM=" + v + " is not one of auto, own, openblas; using auto";
  return GemmBackend::Auto;
}

// OPTICAL_GEMM, read once. OpenBLAS is only loaded when something asks for it (OPTICAL_GEMM=openblas,
// a call that names it, or gemm_info()).
struct BackendChoice {
  GemmBackend requested = GemmBackend::Auto;
  std::string note;  // a value that was not understood
};

const BackendChoice& backend_choice() {
  static const BackendChoice choice = [] {
    BackendChoice c;
    c.requested = parse_backend_env(c.note);
    return c;
  }();
  return choice;
}

// Why `auto` runs the own kernels: bench:gemm (bench/nn/gemm.ts) measured them at least as fast as
// OpenBLAS on the engine's shapes (README, Benchmarks), and OpenBLAS's own threading is not
// bit-reproducible across thread counts, so it could only ever run single-threaded per piece.
constexpr const char* kAutoReason =
    "auto runs the own kernels: bench:gemm measured them at least as fast as OpenBLAS on the engine's shapes "
    "(OPTICAL_GEMM=openblas selects OpenBLAS)";

// ---------------------------------------------------------------------------------------------
// Blocking

struct KBlocks {
  int64_t count = 0;  // number of K blocks
  int64_t size = 0;   // every block has `size` entries except the last (K − (count−1)·size)
  int64_t start(int64_t b) const { return b * size; }
  int64_t len(int64_t b, int64_t K) const { return std::min(size, K - b * size); }
};

// The K blocks of a product: as few as the kernel's kc allows, of equal size. A function of K and
// the kernel alone — this is the only blocking that the arithmetic of a C entry depends on.
KBlocks k_blocks(int64_t K, int kc) {
  KBlocks kb;
  kb.count = (K + kc - 1) / kc;
  kb.size = (K + kb.count - 1) / kb.count;
  return kb;
}

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// C = beta·C (beta = 0: zeros, C not read), for alpha = 0 or K = 0.
void scale_c(int64_t M, int64_t N, float beta, float* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i) {
    float* c = C + i * ldc;
    if (beta == 0.0f)
      std::fill(c, c + N, 0.0f);
    else if (beta != 1.0f)
      for (int64_t j = 0; j < N; ++j) c[j] = beta * c[j];
  }
}

struct Problem {
  bool transA, transB;
  int64_t M, N, K;
  float alpha;
  const float* A;
  int64_t lda;
  const float* B;
  int64_t ldb;
  float beta;
  float* C;
  int64_t ldc;
};

// Operands of at most this many floats are read in place by the micro-kernel where the layout
// allows (full tiles; see TileA/TileB) instead of being packed: they stay in L2 anyway, and for the
// small products of attention the packing would cost a sizeable share of the time.
constexpr double kDirectFloats = 1 << 16;

// The blocking of one product: its K blocks, its MR-row / NR-column slabs, and which operands are
// read in place.
struct Packing {
  KBlocks kb;
  bool directA, directB;
  int64_t mr;  // rows per A slab: KernelSet::mr, or mr_direct when A is read in place
  int64_t mSlabs, nSlabs;
  int64_t bFloats;  // packed op(B)
  Packing(const Problem& p, const KernelSet& ks)
      : kb(k_blocks(p.K, ks.kc)),
        directA(double(p.M) * double(p.K) <= kDirectFloats),
        directB(!p.transB && double(p.K) * double(p.N) <= kDirectFloats),
        mr(directA ? ks.mr_direct : ks.mr),
        mSlabs(ceil_div(p.M, mr)),
        nSlabs(ceil_div(p.N, ks.nr)),
        bFloats(nSlabs * ks.nr * p.K) {}
  // Packed op(B): block b starts at k0·(nSlabs·NR); within it slab s is NR·len floats.
  float* b_slab(float* Bp, const KernelSet& ks, int64_t b, int64_t s, int64_t K) const {
    return Bp + kb.start(b) * nSlabs * ks.nr + s * ks.nr * kb.len(b, K);
  }
  // A tile's packed A rows (one K block at a time): `slabs` slabs of `mr` rows, each padded to MR.
  int64_t a_floats(const KernelSet& ks, int64_t slabs) const { return slabs * ks.mr * kb.size; }
  bool full_cols(const Problem& p, const KernelSet& ks, int64_t s) const { return (s + 1) * ks.nr <= p.N; }
  bool full_rows(const Problem& p, int64_t s) const { return (s + 1) * mr <= p.M; }
};

// Packs the B slabs [s0, s1) of K block b (those not read in place).
void pack_b_slabs(const Problem& p, const KernelSet& ks, const Packing& pk, float* Bp, int64_t b, int64_t s0,
                  int64_t s1) {
  const int64_t k0 = pk.kb.start(b), kc = pk.kb.len(b, p.K);
  for (int64_t s = s0; s < s1; ++s) {
    if (pk.directB && pk.full_cols(p, ks, s)) continue;
    const int cols = static_cast<int>(std::min<int64_t>(ks.nr, p.N - s * ks.nr));
    ks.pack_b(p.transB, p.B, p.ldb, k0, kc, s * ks.nr, cols, pk.b_slab(Bp, ks, b, s, p.K));
  }
}

// C tile = slabs [ms0, ms1) × [ns0, ns1) over every K block. Per block the tile packs its own A
// rows into Ab (kept in L2 while every B slab of the tile passes by), then runs the B slabs
// (each kc×NR, reused from L1 by all A slabs).
void compute_tile(const Problem& p, const KernelSet& ks, const Packing& pk, float* Bp, float* Ab, int64_t ms0,
                  int64_t ms1, int64_t ns0, int64_t ns1) {
  for (int64_t b = 0; b < pk.kb.count; ++b) {
    const int64_t k0 = pk.kb.start(b), kc = pk.kb.len(b, p.K);
    const Update update = b > 0 ? Update::Accumulate : p.beta == 0.0f ? Update::Store : Update::ScaleAdd;
    auto a_tile = [&](int64_t ms) -> gemm_detail::TileA {
      if (pk.directA && pk.full_rows(p, ms)) {
        const int64_t i = ms * pk.mr;
        return p.transA ? gemm_detail::TileA{p.A + k0 * p.lda + i, 1, p.lda}
                        : gemm_detail::TileA{p.A + i * p.lda + k0, p.lda, 1};
      }
      return {Ab + (ms - ms0) * ks.mr * kc, 1, ks.mr};
    };
    for (int64_t ms = ms0; ms < ms1; ++ms) {
      if (pk.directA && pk.full_rows(p, ms)) continue;
      const int rows = static_cast<int>(std::min<int64_t>(pk.mr, p.M - ms * pk.mr));
      ks.pack_a(p.transA, p.A, p.lda, ms * pk.mr, rows, k0, kc, Ab + (ms - ms0) * ks.mr * kc);
    }
    for (int64_t ns = ns0; ns < ns1; ++ns) {
      const int64_t j = ns * ks.nr;
      const gemm_detail::TileB bt = pk.directB && pk.full_cols(p, ks, ns)
                                        ? gemm_detail::TileB{p.B + k0 * p.ldb + j, p.ldb}
                                        : gemm_detail::TileB{pk.b_slab(Bp, ks, b, ns, p.K), ks.nr};
      const int cols = static_cast<int>(std::min<int64_t>(ks.nr, p.N - j));
      for (int64_t ms = ms0; ms < ms1; ++ms) {
        const int64_t i = ms * pk.mr;
        const int rows = static_cast<int>(std::min<int64_t>(pk.mr, p.M - i));
        ks.kernel(kc, a_tile(ms), bt, p.C + i * p.ldc + j, p.ldc, rows, cols, p.alpha, p.beta, update);
      }
    }
  }
}

// Below this many multiply-adds a product runs on the calling thread alone.
constexpr double kParallelMacs = 1 << 17;
// op(B) up to this many floats is packed by the calling thread (cheaper than a second hand-off to
// the pool); larger ones are packed in parallel first.
constexpr int64_t kSerialPackFloats = 1 << 16;

// One product on the own kernels, on up to `threads` pool threads.
void own_product(const Problem& p, const KernelSet& ks, ot::ThreadPool& pool, int threads) {
  const Packing pk(p, ks);
  const double macs = double(p.M) * double(p.N) * double(p.K);
  const int nt = macs < kParallelMacs ? 1 : pool.threads_for(pk.mSlabs * pk.nSlabs, threads);

  // Tiles: whole rows of C (each task packs its A rows once) of about mc rows, their count a
  // multiple of the thread count where the slabs allow (tile t covers an even share of the slabs,
  // sizes differ by at most one), split along N only when there are too few row slabs.
  int64_t tm = ceil_div(pk.mSlabs, std::max<int64_t>(1, ks.mc / pk.mr)), tn = 1;
  while ((tm * tn) % nt != 0 && (tm < pk.mSlabs || tn < pk.nSlabs)) {
    if (tm < pk.mSlabs)
      ++tm;
    else
      ++tn;
  }
  const int64_t aPer = pk.a_floats(ks, ceil_div(pk.mSlabs, tm));
  float* Bp = t_packed.get(static_cast<size_t>(pk.bFloats + nt * aPer));
  const TrimOnExit trim{t_packed};
  float* Abase = Bp + pk.bFloats;

  const int64_t bGroup = std::max<int64_t>(1, ks.nc / ks.nr);
  const int64_t bTasks = ceil_div(pk.nSlabs, bGroup);
  auto pack = [&](int64_t t, int) {
    const ot::FlushDenormals ftz;
    const int64_t b = t / bTasks, r = t % bTasks;
    pack_b_slabs(p, ks, pk, Bp, b, r * bGroup, std::min(pk.nSlabs, (r + 1) * bGroup));
  };
  auto tile = [&](int64_t t, int slot) {
    const ot::FlushDenormals ftz;
    const int64_t ti = t % tm, tj = t / tm;
    compute_tile(p, ks, pk, Bp, Abase + slot * aPer, pk.mSlabs * ti / tm, pk.mSlabs * (ti + 1) / tm,
                 pk.nSlabs * tj / tn, pk.nSlabs * (tj + 1) / tn);
  };

  if (nt == 1 || pk.bFloats <= kSerialPackFloats) {
    for (int64_t t = 0; t < pk.kb.count * bTasks; ++t) pack(t, 0);
  } else {
    pool.parallel_for(pk.kb.count * bTasks, nt, pack);
  }
  if (nt == 1) {
    for (int64_t t = 0; t < tm * tn; ++t) tile(t, 0);
  } else {
    pool.parallel_for(tm * tn, nt, tile);
  }
}

// One product of a batch, on the calling thread (packing into this thread's own scratch).
void own_product_single(const Problem& p, const KernelSet& ks) {
  const Packing pk(p, ks);
  const int64_t aFloats = pk.a_floats(ks, pk.mSlabs);
  float* Bp = t_batch_item.get(static_cast<size_t>(pk.bFloats + aFloats));
  const TrimOnExit trim{t_batch_item};
  for (int64_t b = 0; b < pk.kb.count; ++b) pack_b_slabs(p, ks, pk, Bp, b, 0, pk.nSlabs);
  compute_tile(p, ks, pk, Bp, Bp + pk.bFloats, 0, pk.mSlabs, 0, pk.nSlabs);
}

// ---------------------------------------------------------------------------------------------
// Arguments

void check(bool ok, const char* what) {
  if (!ok) throw std::invalid_argument(std::string("nn::sgemm: ") + what);
}

void validate(const Problem& p) {
  check(p.M >= 0 && p.N >= 0 && p.K >= 0, "M, N and K must be ≥ 0");
  check(p.lda >= std::max<int64_t>(1, p.transA ? p.M : p.K), "lda must be ≥ max(1, transA ? M : K)");
  check(p.ldb >= std::max<int64_t>(1, p.transB ? p.K : p.N), "ldb must be ≥ max(1, transB ? K : N)");
  check(p.ldc >= std::max<int64_t>(1, p.N), "ldc must be ≥ max(1, N)");
  check(p.M == 0 || p.N == 0 || p.C != nullptr, "C is null");
  check(p.M == 0 || p.N == 0 || p.K == 0 || p.alpha == 0.0f || (p.A != nullptr && p.B != nullptr),
        "A or B is null");
}

// True when there is no product to form: C = beta·C has been done (or nothing is to be done).
bool trivial(const Problem& p) {
  if (p.M == 0 || p.N == 0) return true;
  if (p.K == 0 || p.alpha == 0.0f) {
    scale_c(p.M, p.N, p.beta, p.C, p.ldc);
    return true;
  }
  return false;
}

bool use_openblas(GemmBackend backend) {
  if (backend == GemmBackend::Auto) backend = backend_choice().requested;
  if (backend != GemmBackend::OpenBlas) return false;
  const gemm_detail::OpenBlas& ob = gemm_detail::openblas();
  if (ob.loaded) return true;
  // OPTICAL_GEMM=openblas without OpenBLAS falls back (gemm_info().note says so); a call that names
  // OpenBLAS explicitly fails.
  if (backend_choice().requested == GemmBackend::OpenBlas) return false;
  throw std::runtime_error("nn::sgemm: OpenBLAS requested but " + ob.error);
}

}  // namespace

void sgemm_with(GemmBackend backend, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
                ot::ThreadPool& pool, int threads) {
  const Problem p{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  validate(p);
  const ot::FlushDenormals ftz;  // this thread; pool tasks set it for themselves
  if (trivial(p)) return;
  if (use_openblas(backend)) {
    gemm_detail::openblas_sgemm(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool, threads);
    return;
  }
  own_product(p, own_kernels(), pool, threads);
}

void sgemm(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
           const float* B, int64_t ldb, float beta, float* C, int64_t ldc, ot::ThreadPool& pool, int threads) {
  sgemm_with(GemmBackend::Auto, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pool, threads);
}

void sgemm_strided_batched_with(GemmBackend backend, bool transA, bool transB, int64_t M, int64_t N, int64_t K,
                                float alpha, const float* A, int64_t lda, int64_t strideA, const float* B,
                                int64_t ldb, int64_t strideB, float beta, float* C, int64_t ldc, int64_t strideC,
                                int64_t batch, ot::ThreadPool& pool, int threads) {
  check(batch >= 0, "batch must be ≥ 0");
  check(strideA >= 0 && strideB >= 0 && strideC >= 0, "strides must be ≥ 0");
  const Problem first{transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
  validate(first);
  const ot::FlushDenormals ftz;
  if (batch == 0 || M == 0 || N == 0) return;
  const bool blas = use_openblas(backend);
  const KernelSet& ks = own_kernels();
  const double macs = double(M) * double(N) * double(K) * double(batch);
  const int nt = macs < kParallelMacs ? 1 : pool.threads_for(batch, threads);
  auto item = [&](int64_t b, int) {
    const ot::FlushDenormals ftz;
    const Problem p{transA, transB, M, N, K, alpha, A + b * strideA, lda, B + b * strideB, ldb, beta,
                    C + b * strideC, ldc};
    if (trivial(p)) return;
    if (blas)
      gemm_detail::openblas_sgemm_single(transA, transB, M, N, K, alpha, p.A, lda, p.B, ldb, beta, p.C, ldc);
    else
      own_product_single(p, ks);
  };
  if (nt == 1)
    for (int64_t b = 0; b < batch; ++b) item(b, 0);
  else
    pool.parallel_for(batch, nt, item);
}

void sgemm_strided_batched(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                           int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB, float beta,
                           float* C, int64_t ldc, int64_t strideC, int64_t batch, ot::ThreadPool& pool,
                           int threads) {
  sgemm_strided_batched_with(GemmBackend::Auto, transA, transB, M, N, K, alpha, A, lda, strideA, B, ldb, strideB,
                             beta, C, ldc, strideC, batch, pool, threads);
}

const GemmInfo& gemm_info() {
  static const GemmInfo info = [] {
    GemmInfo g;
    const BackendChoice& c = backend_choice();
    g.kernel = own_kernels().name;
    g.isa = ot::to_string(ot::isa_choice().active);
    g.isaSupported = ot::to_string(ot::isa_choice().supported);
    std::string note = c.note;
    auto add = [&](const std::string& s) { note += (note.empty() ? "" : "; ") + s; };
    if (c.requested == GemmBackend::Own) {
      g.openblas = "not loaded (OPTICAL_GEMM=own)";
      g.backend = "own";
      add("OPTICAL_GEMM=own");
    } else {
      const gemm_detail::OpenBlas& ob = gemm_detail::openblas();
      g.openblasAvailable = ob.loaded;
      g.openblas = ob.loaded ? ob.config : ob.error;
      if (c.requested == GemmBackend::OpenBlas && ob.loaded) {
        g.backend = "openblas";
        add("OPTICAL_GEMM=openblas (single-threaded OpenBLAS calls on pieces of C fixed by the shape, on the pool)");
      } else if (c.requested == GemmBackend::OpenBlas) {
        g.backend = "own";
        add("OPTICAL_GEMM=openblas but " + ob.error + "; using the own kernels");
      } else {
        g.backend = "own";
        add(kAutoReason);
      }
    }
    g.note = note;
    return g;
  }();
  return info;
}

}  // namespace nn
