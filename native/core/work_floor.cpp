// ot::work_floor (ot.h): the benchmark probe for the fixed cost of a Sinkhorn call.
#include <vector>

#include "fast_math.h"
#include "ot.h"
#include "sinkhorn_internal.h"
#include "sinkhorn_kernels.h"

namespace ot {

double work_floor(const float* C, int64_t cells, double eps, float* P, ThreadPool& pool, int threads) {
  const FlushDenormals ftz;
  const float invEps = static_cast<float>(1.0 / eps);
  // Chunked like the kernels' passes (Splitter), rows of 1 cell: the same split for any thread count.
  const Splitter par{&pool, pool.threads_for(int64_t{1} << 30, threads)};
  std::vector<double> sums(Splitter::chunks_for(cells, 1), 0.0);
  par(cells, 1, [&](int64_t c0, int64_t c1, int q) { kernels::floor_pass(C, c0, c1, invEps, P, &sums[q]); });
  double total = 0;
  for (double s : sums) total += s;
  return total;
}

}  // namespace ot
