// Softmax cross-entropy over a vocabulary (the MLM objective), rows in parallel, row losses summed
// in row order.
#include <cmath>
#include <vector>

#include "../core/fast_math.h"
#include "losses.h"

namespace nn {

double cross_entropy(const Ctx& c, float* logits, const int32_t* labels, int64_t N, int64_t V, double scale,
                     double* accuracy) {
  std::vector<double> rowLoss(static_cast<size_t>(N));
  std::vector<uint8_t> hit(static_cast<size_t>(N));
  const float k = static_cast<float>(scale / static_cast<double>(N));
  for_chunks(c, N, 1, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* x = logits + r * V;
      float mx = x[0];
      int64_t arg = 0;
      for (int64_t j = 1; j < V; ++j)
        if (x[j] > mx) {
          mx = x[j];
          arg = j;
        }
      const float target = x[labels[r]];
      double sum = 0.0;
      for (int64_t j = 0; j < V; ++j) {
        x[j] = ot::fast_exp(x[j] - mx);
        sum += x[j];
      }
      rowLoss[r] = static_cast<double>(mx) + std::log(sum) - target;
      hit[r] = arg == labels[r];
      const float inv = static_cast<float>(1.0 / sum);
      for (int64_t j = 0; j < V; ++j) x[j] = x[j] * inv * k;
      x[labels[r]] -= k;
    }
  });
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t r = 0; r < N; ++r) {
    loss += rowLoss[r];
    correct += hit[r];
  }
  if (accuracy) *accuracy = static_cast<double>(correct) / static_cast<double>(N);
  return loss / static_cast<double>(N);
}

}  // namespace nn
