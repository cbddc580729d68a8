// What every op of the encoder engine shares: the execution context (thread pool, thread cap,
// profile), and loops whose work split never depends on the thread count.
//
// Determinism rule of native/nn: a result may depend on the shapes and the data, never on how
// many threads ran or which thread ran what. Element-wise and per-row work is trivially so; every
// reduction over rows (bias / LayerNorm / embedding gradients, norms) is either done column-block
// by column-block with the rows summed in order, or cut into fixed chunks whose partial sums are
// added in chunk order.
#ifndef OPTICAL_NATIVE_NN_COMMON_H
#define OPTICAL_NATIVE_NN_COMMON_H

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "../core/ot.h"
#include "../core/thread_pool.h"

namespace nn {

using ot::ArgumentError;

// Wall time per op family of one call (filled only when profiling is on). Timed blocks never nest,
// so the families add up to the step: the heads' work counts as gemm / gelu / layernorm, attention
// (its products, softmax and dropout included) as attention, and whatever no timer covers as other.
struct Profile {
  bool on = false;
  double gemm = 0, attention = 0, layernorm = 0, gelu = 0, embeddings = 0, dropout = 0, losses = 0, ot = 0,
         optimizer = 0, other = 0;
};

struct Ctx {
  ot::ThreadPool* pool = nullptr;
  int threads = 0;  // cap on pool threads (0 = all)
  Profile* profile = nullptr;

  template <class F>
  void parallel(int64_t count, F&& fn) const {
    pool->parallel_for(count, threads, [&](int64_t i, int slot) { fn(i, slot); });
  }
  int slots(int64_t count) const { return pool->threads_for(count, threads); }
};

// Times a block into one profile field.
class Timed {
 public:
  Timed(const Ctx& c, double Profile::*field) : p_(c.profile && c.profile->on ? c.profile : nullptr), f_(field) {
    if (p_) t0_ = std::chrono::steady_clock::now();
  }
  ~Timed() {
    if (p_) p_->*f_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  Profile* p_;
  double Profile::*f_;
  std::chrono::steady_clock::time_point t0_;
};

// fn(begin, end) over [0, n) in fixed chunks of `grain` items (the last one shorter).
template <class F>
void for_chunks(const Ctx& c, int64_t n, int64_t grain, F&& fn) {
  if (n <= 0) return;
  grain = std::max<int64_t>(grain, 1);
  const int64_t chunks = (n + grain - 1) / grain;
  c.parallel(chunks, [&](int64_t k, int) { fn(k * grain, std::min(n, (k + 1) * grain)); });
}

// Rows per task for per-row work on rows of `width` floats (≈ 64K floats per task).
inline int64_t row_grain(int64_t width) { return std::max<int64_t>(1, (int64_t{1} << 16) / std::max<int64_t>(width, 1)); }

// Column sums accumulated into out: out[j] += Σ_t X[t·ld + j] for t in [0, rows), j in [0, cols).
// Parallel over fixed 64-column blocks, rows summed in order: the same bits for any thread count.
void column_sums_add(const Ctx& c, const float* X, int64_t rows, int64_t cols, int64_t ld, float* out);

// Σ x² over n floats in double, in fixed chunks summed in chunk order.
double sum_squares(const Ctx& c, const float* x, int64_t n);

// True when none of the n floats is NaN or ±Infinity (an exponent test on the bits, in parallel chunks).
bool all_finite(const Ctx& c, const float* x, int64_t n);

// Throws ArgumentError(Range) with the message.
[[noreturn]] inline void range_error(const std::string& m) { throw ArgumentError(ArgumentError::Kind::Range, m); }
[[noreturn]] inline void type_error(const std::string& m) { throw ArgumentError(ArgumentError::Kind::Type, m); }

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_COMMON_H
