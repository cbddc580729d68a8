// Pieces of the Sinkhorn driver shared with ot_loss.cpp. Internal to native/core.
#ifndef OPTICAL_NATIVE_CORE_SINKHORN_INTERNAL_H
#define OPTICAL_NATIVE_CORE_SINKHORN_INTERNAL_H

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "ot.h"

namespace ot {

// Runs fn(begin, end, chunk) over [0, total) cut into contiguous chunks. The chunking depends only
// on the sizes (never on the thread count), and per-chunk partial sums are reduced in chunk order,
// so results are bit-identical whether the chunks run serially (threads = 1, or a small problem
// inside a batch task) or spread over the pool.
struct Splitter {
  ThreadPool* pool = nullptr;
  int threads = 1;  // 1: run the chunks on the calling thread

  // Chunks for `total` items of `cellsPerItem` cells each (≥ ~32K cells per chunk, at most 64).
  static int chunks_for(int64_t total, int64_t cellsPerItem);

  template <class F>
  void operator()(int64_t total, int64_t cellsPerItem, F&& fn) const {
    const int q = chunks_for(total, cellsPerItem);
    auto chunk = [&](int64_t c, int) { fn(total * c / q, total * (c + 1) / q, static_cast<int>(c)); };
    if (q == 1 || threads <= 1) {
      for (int64_t c = 0; c < q; ++c) chunk(c, 0);
      return;
    }
    pool->parallel_for(q, threads, chunk);
  }
};

// One problem: n × m cost block, marginals (already materialised when uniform), output slices.
struct ProblemView {
  int64_t n, m;
  const float* C;
  const float* a;
  const float* b;
  float* plan;  // n·m, also holds the Gibbs kernel of the scaling form; nullptr: no plan wanted
  float* f;
  float* g;
};

// Thrown by solve_problem when its first pass over C meets a NaN/±Inf entry (the solver checks
// the cost itself, at no extra pass over memory); callers turn it into the ArgumentError that
// names their argument. Row and column are local to the block.
struct NonFiniteCost {
  int64_t row, col;
  float value;
};

// The ArgumentError of validate_cost for entry (row, col) of problem k of the array `name`.
[[noreturn]] void throw_non_finite_cost(const std::string& name, int64_t k, int64_t row, int64_t col, float value);
// The ArgumentError of validate_eps_resolution for problem k.
[[noreturn]] void throw_eps_below_resolution(double eps, int64_t k, float maxAbs);

struct ProblemResult {
  double cost = 0, value = 0, error = 0;
  int32_t iterations = 0;
  bool converged = false;

  // Into entry k of the per-problem outputs (SinkhornOutputs, OtLossOutputs).
  template <class Outputs>
  void store(const Outputs& out, int64_t k) const {
    out.cost[k] = cost;
    out.value[k] = value;
    out.iterations[k] = iterations;
    out.error[k] = error;
    out.converged[k] = converged ? 1 : 0;
  }
};

// The marginals problem k is solved with: the caller's slices of a and b, uniform where absent, and
// for balanced problems b rescaled (in double) to the mass of a, as the reference does, so float
// rounding of user marginals does not put a floor under the marginal error. Vectors that had to be
// made live in `ua` / `ub`.
struct Marginals {
  const float* a;
  const float* b;
};
Marginals problem_marginals(const RaggedLayout& L, int64_t k, const float* a, const float* b, const SinkhornOptions& o,
                            std::vector<float>& ua, std::vector<float>& ub);

// Solves one problem. Also rejects (ArgumentError naming options.eps and `problem`) an eps below
// the float32 resolution of its costs (kMinRelativeEps · max |C|).
ProblemResult solve_problem(const ProblemView& p, const SinkhornOptions& o, const Splitter& par, int64_t problem);

// Runs body(k, par) for every problem like for_each_problem, but an exception thrown for one
// problem does not stop the others; afterwards the exception of the lowest problem index is
// rethrown, so which error a call reports does not depend on thread timing.
void for_each_problem_checked(const RaggedLayout& L, const SinkhornOptions& o, ThreadPool& pool,
                              const std::function<void(int64_t k, const Splitter& par)>& body);

// Calls body(k, par) for every problem k: small problems whole on pool threads (par is serial),
// large ones one after another with par splitting them across all threads.
void for_each_problem(const RaggedLayout& L, const SinkhornOptions& o, ThreadPool& pool,
                      const std::function<void(int64_t k, const Splitter& par)>& body);

// One n × m cost block from x (n × dim) and y (m × dim), rows split by `par` (cost_matrices.cpp).
void build_cost_block(CostKind kind, const float* x, const float* y, int64_t n, int64_t m, int64_t dim, float* out,
                      const Splitter& par);

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_SINKHORN_INTERNAL_H
