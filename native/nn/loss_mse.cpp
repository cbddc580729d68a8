// Mean squared error against fixed targets (e.g. a frozen teacher's pooled vectors).
#include "losses.h"

namespace nn {

double mse(const float* p, const float* t, int64_t n, int64_t H, double scale, float* dp) {
  const int64_t N = n * H;
  double loss = 0.0;
  for (int64_t i = 0; i < N; ++i) {
    const double d = static_cast<double>(p[i]) - t[i];
    loss += d * d;
    dp[i] = static_cast<float>(2.0 * d * scale / static_cast<double>(N));
  }
  return loss / static_cast<double>(N);
}

}  // namespace nn
