// 1 − cosine similarity against fixed targets, averaged over rows.
#include <cmath>

#include "losses.h"

namespace nn {

double cosine_loss(const float* p, const float* t, int64_t n, int64_t H, double scale, float* dp) {
  constexpr double kMinNorm = 1e-8;
  double loss = 0.0;
  for (int64_t i = 0; i < n; ++i) {
    const float* pi = p + i * H;
    const float* ti = t + i * H;
    double pp = 0.0, tt = 0.0, pt = 0.0;
    for (int64_t j = 0; j < H; ++j) {
      pp += static_cast<double>(pi[j]) * pi[j];
      tt += static_cast<double>(ti[j]) * ti[j];
      pt += static_cast<double>(pi[j]) * ti[j];
    }
    const double np = std::max(std::sqrt(pp), kMinNorm), nt = std::max(std::sqrt(tt), kMinNorm);
    const double cos = pt / (np * nt);
    loss += 1.0 - cos;
    // d(1 − cos)/dp = −(t / (np·nt) − cos · p / np²)   (the clamp is constant below 1e-8)
    const double k = -scale / static_cast<double>(n);
    const bool clamped = std::sqrt(pp) < kMinNorm;
    for (int64_t j = 0; j < H; ++j) {
      const double g = ti[j] / (np * nt) - (clamped ? 0.0 : cos * pi[j] / (np * np));
      dp[i * H + j] = static_cast<float>(k * g);
    }
  }
  return loss / static_cast<double>(n);
}

}  // namespace nn
