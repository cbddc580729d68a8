// Binary cross-entropy on logits (the cross-encoder's monoBERT objective), numerically stable form.
#include <cmath>

#include "losses.h"

namespace nn {

double bce_with_logits(const float* x, const float* y, int64_t n, double scale, float* dx, double* accuracy) {
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i], t = y[i];
    loss += std::max(v, 0.0) - v * t + std::log1p(std::exp(-std::fabs(v)));
    const double sig = v >= 0 ? 1.0 / (1.0 + std::exp(-v)) : std::exp(v) / (1.0 + std::exp(v));
    dx[i] = static_cast<float>((sig - t) * scale / static_cast<double>(n));
    correct += (v > 0) == (t > 0.5) ? 1 : 0;
  }
  if (accuracy) *accuracy = static_cast<double>(correct) / static_cast<double>(n);
  return loss / static_cast<double>(n);
}

}  // namespace nn
