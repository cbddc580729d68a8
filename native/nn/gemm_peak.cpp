// The machine's floating-point peak as the GEMM kernels can use it: a register-only loop of
// independent multiply-adds (no memory traffic), per ISA level, on `threads` threads at once.
// GEMM efficiency in the benchmark is reported against this measured number, not a datasheet one.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <thread>
#include <vector>

#include "../core/isa.h"
#include "gemm.h"
#include "gemm_kernels.h"

#if defined(OPTICAL_GEMM_X86)
#include <immintrin.h>
#endif

namespace nn {

namespace {

// Each loop does `iters` rounds of a fixed number of independent operations on registers and
// returns its flop count; the asm barrier keeps the compiler from folding or shrinking the work.

// Twelve named accumulators per loop (arrays would be kept in memory because of the asm barrier),
// which keeps each in a vector register ("x"/"v" on x86, "w" on arm64) without emitting code.
#define NN_PEAK_12(OP) OP(r0) OP(r1) OP(r2) OP(r3) OP(r4) OP(r5) OP(r6) OP(r7) OP(r8) OP(r9) OP(r10) OP(r11)
#if defined(__x86_64__) || defined(__i386__)
#define NN_VREG "x"
#elif defined(__aarch64__)
#define NN_VREG "w"
#endif
#if defined(NN_VREG)
#define NN_PEAK_BARRIER(C)                                                                                   \
  __asm__ volatile("" : "+" C(r0), "+" C(r1), "+" C(r2), "+" C(r3), "+" C(r4), "+" C(r5), "+" C(r6), "+" C(r7), \
                   "+" C(r8), "+" C(r9), "+" C(r10), "+" C(r11))
#else
#define NN_PEAK_BARRIER(C) __asm__ volatile("" ::: "memory")
#endif

#if defined(OPTICAL_GEMM_X86)
// 12 independent FMA chains: more than 2 FMA pipes × 4–5 cycles of latency need.
__attribute__((target("avx512f"))) double loop_avx512(int64_t iters, float* sink) {
  const __m512 x = _mm512_set1_ps(0.9999999f), y = _mm512_set1_ps(1e-7f);
  __m512 r0 = _mm512_set1_ps(1.0f), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0, r8 = r0, r9 = r0,
         r10 = r0, r11 = r0;
  for (int64_t it = 0; it < iters; ++it) {
#define NN_FMA512(r) r = _mm512_fmadd_ps(r, x, y);
    NN_PEAK_12(NN_FMA512)
#undef NN_FMA512
    NN_PEAK_BARRIER("v");
  }
  float out[16];
  _mm512_storeu_ps(out, _mm512_add_ps(_mm512_add_ps(r0, r5), r11));
  *sink = out[0];
  return double(iters) * 12 * 16 * 2;
}

__attribute__((target("avx2,fma"))) double loop_avx2(int64_t iters, float* sink) {
  const __m256 x = _mm256_set1_ps(0.9999999f), y = _mm256_set1_ps(1e-7f);
  __m256 r0 = _mm256_set1_ps(1.0f), r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0, r8 = r0, r9 = r0,
         r10 = r0, r11 = r0;
  for (int64_t it = 0; it < iters; ++it) {
#define NN_FMA256(r) r = _mm256_fmadd_ps(r, x, y);
    NN_PEAK_12(NN_FMA256)
#undef NN_FMA256
    NN_PEAK_BARRIER("x");
  }
  float out[8];
  _mm256_storeu_ps(out, _mm256_add_ps(_mm256_add_ps(r0, r5), r11));
  *sink = out[0];
  return double(iters) * 12 * 8 * 2;
}
#endif

// The portable kernel's instruction mix: 4-wide multiplies and adds (the baseline has no FMA),
// 12 independent multiply→add chains.
double loop_portable(int64_t iters, float* sink) {
  typedef float v4 __attribute__((vector_size(16)));
  const v4 x = {0.9999999f, 0.9999999f, 0.9999999f, 0.9999999f}, y = {1e-7f, 1e-7f, 1e-7f, 1e-7f};
  v4 r0 = {1.0f, 1.0f, 1.0f, 1.0f}, r1 = r0, r2 = r0, r3 = r0, r4 = r0, r5 = r0, r6 = r0, r7 = r0, r8 = r0, r9 = r0,
     r10 = r0, r11 = r0;
  for (int64_t it = 0; it < iters; ++it) {
#define NN_MULADD(r) r = r * x + y;
    NN_PEAK_12(NN_MULADD)
#undef NN_MULADD
    NN_PEAK_BARRIER(NN_VREG);
  }
  const v4 s = r0 + r5 + r11;
  *sink = s[0];
  return double(iters) * 12 * 4 * 2;
}

using Loop = double (*)(int64_t, float*);

Loop loop_for(ot::Isa isa) {
#if defined(OPTICAL_GEMM_X86)
  if (isa == ot::Isa::X86_64_V4) return loop_avx512;
  if (isa == ot::Isa::X86_64_V3) return loop_avx2;
#endif
  (void)isa;
  return loop_portable;
}

}  // namespace

double measure_peak_gflops(ot::Isa isa, int threads, double seconds) {
  if (static_cast<int>(isa) > static_cast<int>(ot::isa_choice().supported))
    throw std::invalid_argument(std::string("nn::measure_peak_gflops: this CPU cannot run ") + ot::to_string(isa));
  threads = std::max(1, threads);
  const Loop loop = loop_for(isa);
  constexpr int64_t kIters = 1 << 20;  // ~10–30 ms per round
  // Rounds are repeated until `seconds` have passed; each thread's best round counts (the least
  // disturbed one), and the threads run concurrently so shared clocks/power limits show up.
  std::vector<double> best(threads, 0.0);
  std::vector<float> sinks(threads * 16, 0.0f);
  std::atomic<int> ready{0};
  auto work = [&](int t) {
    ready.fetch_add(1);
    while (ready.load() < threads) std::this_thread::yield();
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
      const auto t0 = std::chrono::steady_clock::now();
      const double flops = loop(kIters, &sinks[t * 16]);
      const auto t1 = std::chrono::steady_clock::now();
      best[t] = std::max(best[t], flops / std::chrono::duration<double>(t1 - t0).count());
      if (std::chrono::duration<double>(t1 - start).count() >= seconds) break;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work, t);
  work(0);
  for (auto& th : pool) th.join();
  double total = 0.0;
  for (double b : best) total += b;
  return total / 1e9;
}

}  // namespace nn
