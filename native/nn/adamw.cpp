#include "adamw.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "kernels.h"

namespace nn {

namespace {

bool finite_in(double v, double lo, double hi) { return std::isfinite(v) && v >= lo && v <= hi; }

}  // namespace

void validate_adamw(const AdamWOptions& o) {
  if (!finite_in(o.lr, 0.0, std::numeric_limits<double>::max())) range_error("options.lr must be a finite number >= 0, got " + std::to_string(o.lr));
  if (!finite_in(o.weightDecay, 0.0, 1e6))
    range_error("options.weightDecay must be a finite number >= 0, got " + std::to_string(o.weightDecay));
  if (!(o.beta1 >= 0.0 && o.beta1 < 1.0)) range_error("options.beta1 must be in [0, 1), got " + std::to_string(o.beta1));
  if (!(o.beta2 >= 0.0 && o.beta2 < 1.0)) range_error("options.beta2 must be in [0, 1), got " + std::to_string(o.beta2));
  if (!(std::isfinite(o.epsilon) && o.epsilon > 0.0))
    range_error("options.epsilon must be a finite number > 0, got " + std::to_string(o.epsilon));
  if (!(std::isfinite(o.clipNorm) && o.clipNorm >= 0.0))
    range_error("options.clipNorm must be a finite number >= 0 (0 = no clipping), got " + std::to_string(o.clipNorm));
}

AdamWResult adamw_step(Model& m, const Ctx& c, const AdamWOptions& o) {
  validate_adamw(o);
  Timed t(c, &Profile::optimizer);
  m.ensure_grads();
  std::vector<bool> frozen(m.tensors.size(), false);
  for (size_t i = 0; i < o.frozen.size(); ++i) {
    size_t k = 0;
    while (k < m.tensors.size() && m.tensors[k].name != o.frozen[i]) ++k;
    if (k == m.tensors.size()) range_error("options.frozen[" + std::to_string(i) + "] '" + o.frozen[i] + "' is not a parameter of this model");
    frozen[k] = true;
  }
  for (size_t k = 0; k < m.tensors.size(); ++k) {
    if (frozen[k]) std::fill_n(m.grads.data() + m.tensors[k].offset, m.tensors[k].size, 0.0f);
  }
  AdamWResult r;
  r.gradNorm = std::sqrt(sum_squares(c, m.grads.data(), static_cast<int64_t>(m.grads.size())));
  r.finite = std::isfinite(r.gradNorm);
  if (!r.finite) {
    m.zero_grads();
    return r;
  }
  if (o.clipNorm > 0.0) {
    const double coef = o.clipNorm / (r.gradNorm + 1e-6);
    if (coef < 1.0) r.clipScale = coef;
  }
  m.ensure_moments();
  m.adamSteps += 1;
  const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(m.adamSteps));
  const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(m.adamSteps));
  kernels::AdamWScalars s;
  s.gradScale = static_cast<float>(r.clipScale);
  s.decay = static_cast<float>(1.0 - o.lr * o.weightDecay);
  s.beta1 = static_cast<float>(o.beta1);
  s.oneMinusBeta1 = static_cast<float>(1.0 - o.beta1);
  s.beta2 = static_cast<float>(o.beta2);
  s.oneMinusBeta2 = static_cast<float>(1.0 - o.beta2);
  s.stepSize = static_cast<float>(o.lr / bc1);
  s.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  s.eps = static_cast<float>(o.epsilon);
  for (size_t k = 0; k < m.tensors.size(); ++k) {
    if (frozen[k]) continue;  // its gradient is already zero
    const TensorInfo& ti = m.tensors[k];
    const bool decay = ti.decay && o.weightDecay > 0.0;
    for_chunks(c, ti.size, int64_t{1} << 15, [&](int64_t b, int64_t e) {
      const int64_t at = ti.offset + b;
      kernels::adamw(m.params.data() + at, m.grads.data() + at, m.m.data() + at, m.v.data() + at, e - b, decay, s);
    });
  }
  if (!all_finite(c, m.params.data(), static_cast<int64_t>(m.params.size()))) {
    for (const TensorInfo& ti : m.tensors) {
      if (!all_finite(c, m.params.data() + ti.offset, ti.size)) {
        r.nonFinite = ti.name;
        break;
      }
    }
  }
  return r;  // the gradients were cleared on the way (alignment padding is never written: it stays 0)
}

}  // namespace nn
