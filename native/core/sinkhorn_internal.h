// Pieces of the Sinkhorn driver shared with ot_loss.cpp. Internal to native/core.
#ifndef OPTICAL_NATIVE_CORE_SINKHORN_INTERNAL_H
#define OPTICAL_NATIVE_CORE_SINKHORN_INTERNAL_H

#include <cstdint>
#include <functional>
#include <vector>

#include "ot.h"

namespace ot {

// Runs fn(begin, end, part) over [0, total) cut into contiguous parts, one pool task per part.
// Parts are fixed by index (not by the thread that happens to run them), so per-part partial
// sums reduce in the same order on every run: results do not depend on scheduling.
struct Splitter {
  ThreadPool* pool = nullptr;
  int parts = 1;

  int parts_for(int64_t total) const;

  template <class F>
  void operator()(int64_t total, F&& fn) const {
    const int q = parts_for(total);
    if (q <= 1) {
      fn(int64_t{0}, total, 0);
      return;
    }
    pool->parallel_for(q, q, [&](int64_t part, int) {
      fn(total * part / q, total * (part + 1) / q, static_cast<int>(part));
    });
  }
};

// One problem: n × m cost block, marginals (already materialised when uniform), output slices.
struct ProblemView {
  int64_t n, m;
  const float* C;
  const float* a;
  const float* b;
  float* plan;  // n·m, also the scratch for the Gibbs kernel of the scaling form
  float* f;
  float* g;
};

struct ProblemResult {
  double cost = 0, value = 0, error = 0;
  int32_t iterations = 0;
  bool converged = false;
};

// Balanced problems: b rescaled (in double) to the mass of a, as the reference does, so float
// rounding of user marginals does not put a floor under the marginal error. Returns b itself when
// nothing changes, else a copy held in `storage`.
const float* match_mass(const float* a, int64_t n, const float* b, int64_t m, const SinkhornOptions& o,
                        std::vector<float>& storage);

ProblemResult solve_problem(const ProblemView& p, const SinkhornOptions& o, const Splitter& par);

// Calls body(k, par) for every problem k: small problems whole on pool threads (par is serial),
// large ones one after another with par splitting them across all threads.
void for_each_problem(const RaggedLayout& L, const SinkhornOptions& o, ThreadPool& pool,
                      const std::function<void(int64_t k, const Splitter& par)>& body);

// One n × m cost block from x (n × dim) and y (m × dim), rows split by `par` (cost_matrices.cpp).
void build_cost_block(CostKind kind, const float* x, const float* y, int64_t n, int64_t m, int64_t dim, float* out,
                      const Splitter& par);

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_SINKHORN_INTERNAL_H
