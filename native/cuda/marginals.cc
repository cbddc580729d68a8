#include "cuda/marginals.h"

namespace optical::cuda {

void materialise_marginals(const ot::RaggedLayout& L, const float* a, const float* b, bool balanced,
                           std::vector<float>& A, std::vector<float>& B) {
  A.resize(static_cast<std::size_t>(L.totalRows()));
  B.resize(static_cast<std::size_t>(L.totalCols()));
  for (int64_t k = 0; k < L.batch; ++k) {
    const int64_t r0 = L.rowOffset[k], r1 = L.rowOffset[k + 1], c0 = L.colOffset[k], c1 = L.colOffset[k + 1];
    const float ua = static_cast<float>(1.0 / static_cast<double>(r1 - r0));
    const float ub = static_cast<float>(1.0 / static_cast<double>(c1 - c0));
    double sa = 0, sb = 0;
    for (int64_t i = r0; i < r1; ++i) sa += A[i] = a ? a[i] : ua;
    for (int64_t j = c0; j < c1; ++j) sb += B[j] = b ? b[j] : ub;
    if (balanced && sa != sb) {
      const double r = sa / sb;
      for (int64_t j = c0; j < c1; ++j) B[j] = static_cast<float>(B[j] * r);
    }
  }
}

}  // namespace optical::cuda
