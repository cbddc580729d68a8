// Contrastive (InfoNCE) loss over cosine similarities with a temperature: each query against every
// document of the batch (its positive, the other queries' positives, hard negatives).
#include <cmath>
#include <vector>

#include "losses.h"

namespace nn {

void l2_normalize_forward(const float* x, int64_t n, int64_t H, float* y) {
  for (int64_t i = 0; i < n; ++i) {
    double s = 0.0;
    for (int64_t j = 0; j < H; ++j) s += static_cast<double>(x[i * H + j]) * x[i * H + j];
    const double r = 1.0 / std::sqrt(s + 1e-12);
    for (int64_t j = 0; j < H; ++j) y[i * H + j] = static_cast<float>(x[i * H + j] * r);
  }
}

void l2_normalize_backward(const float* x, const float* dy, int64_t n, int64_t H, float* dx) {
  // y = x·r, r = (‖x‖² + ε)^−½  ⇒  dx = r·dy − r³ (x·dy) x
  for (int64_t i = 0; i < n; ++i) {
    const float* xi = x + i * H;
    const float* gi = dy + i * H;
    double s = 0.0, xd = 0.0;
    for (int64_t j = 0; j < H; ++j) {
      s += static_cast<double>(xi[j]) * xi[j];
      xd += static_cast<double>(xi[j]) * gi[j];
    }
    const double r = 1.0 / std::sqrt(s + 1e-12);
    const double r3xd = r * r * r * xd;
    for (int64_t j = 0; j < H; ++j) dx[i * H + j] += static_cast<float>(r * gi[j] - r3xd * xi[j]);
  }
}

double infonce(const float* q, int64_t nq, const float* d, int64_t nd, int64_t H, const int32_t* positive,
               double temperature, double scale, float* dq, float* dd, double* accuracy) {
  std::vector<double> S(static_cast<size_t>(nq * nd));
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t j = 0; j < nd; ++j) {
      double s = 0.0;
      for (int64_t k = 0; k < H; ++k) s += static_cast<double>(q[i * H + k]) * d[j * H + k];
      S[i * nd + j] = s / temperature;
    }
  double loss = 0.0;
  int64_t correct = 0;
  for (int64_t i = 0; i < nq; ++i) {
    double* row = S.data() + i * nd;
    double mx = row[0];
    int64_t arg = 0;
    for (int64_t j = 1; j < nd; ++j)
      if (row[j] > mx) {
        mx = row[j];
        arg = j;
      }
    correct += arg == positive[i] ? 1 : 0;
    double sum = 0.0;
    for (int64_t j = 0; j < nd; ++j) sum += std::exp(row[j] - mx);
    loss += mx + std::log(sum) - row[positive[i]];
    // row becomes dLoss/dS_ij = (softmax − onehot) / nq · scale
    for (int64_t j = 0; j < nd; ++j) row[j] = std::exp(row[j] - mx) / sum;
    row[positive[i]] -= 1.0;
    for (int64_t j = 0; j < nd; ++j) row[j] *= scale / static_cast<double>(nq);
  }
  // dq = dS · d / τ,  dd = dSᵀ · q / τ
  for (int64_t i = 0; i < nq; ++i)
    for (int64_t k = 0; k < H; ++k) {
      double s = 0.0;
      for (int64_t j = 0; j < nd; ++j) s += S[i * nd + j] * d[j * H + k];
      dq[i * H + k] = static_cast<float>(s / temperature);
    }
  if (dd)
    for (int64_t j = 0; j < nd; ++j)
      for (int64_t k = 0; k < H; ++k) {
        double s = 0.0;
        for (int64_t i = 0; i < nq; ++i) s += S[i * nd + j] * q[i * H + k];
        dd[j * H + k] = static_cast<float>(s / temperature);
      }
  if (accuracy) *accuracy = static_cast<double>(correct) / static_cast<double>(nq);
  return loss / static_cast<double>(nq);
}

}  // namespace nn
