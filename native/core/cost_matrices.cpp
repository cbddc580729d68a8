// Cost matrices from ragged token embeddings (one block per problem, the layout of SinkhornProblem.cost).
#include <vector>

#include "cost_kernels.h"
#include "fast_math.h"
#include "ot.h"
#include "sinkhorn_internal.h"

namespace ot {

void build_cost_block(CostKind kind, const float* x, const float* y, int64_t n, int64_t m, int64_t dim, float* out,
                      const Splitter& par) {
  const FlushDenormals ftz;
  std::vector<float> xn, yn;
  if (kind == CostKind::Cosine) {
    xn.resize(n);
    yn.resize(m);
    kernels::row_norms(x, n, dim, xn.data());
    kernels::row_norms(y, m, dim, yn.data());
  }
  par(n, m * dim, [&](int64_t r0, int64_t r1, int) {
    kernels::cost_block(kind, x, y, m, dim, r0, r1, xn.data(), yn.data(), out);
  });
}

void cost_matrices(const RaggedLayout& L, int64_t dim, const float* x, const float* y, CostKind kind, float* out,
                   ThreadPool& pool, int threads) {
  if (dim < 1) throw ArgumentError(ArgumentError::Kind::Range, "dim must be an integer >= 1, got " + std::to_string(dim));
  SinkhornOptions o;
  o.threads = threads;
  for_each_problem(L, o, pool, [&](int64_t k, const Splitter& par) {
    build_cost_block(kind, x + L.rowOffset[k] * dim, y + L.colOffset[k] * dim, L.rows[k], L.cols[k], dim,
                     out + L.blockOffset[k], par);
  });
}

}  // namespace ot
