// OT distillation term: student token states go from the encoder's buffers straight into
// native/core's fused OT step and its gradient straight back (no copy through JavaScript).
#include <cmath>
#include <limits>
#include <vector>

#include "losses.h"

namespace nn {

double ot_distill(const Ctx& c, const float* hidden, const uint8_t* mask, int64_t B, int64_t L, int64_t H,
                  const OtTerm& term, double scale, float* dHidden, OtExtras* extras) {
  Timed timer(c, &Profile::ot);
  std::vector<int32_t> cols(static_cast<size_t>(B));
  std::vector<int64_t> positions;
  for (int64_t b = 0; b < B; ++b) {
    int32_t n = 0;
    for (int64_t l = 0; l < L; ++l)
      if (mask[b * L + l]) {
        positions.push_back(b * L + l);
        ++n;
      }
    cols[b] = n;
  }
  const ot::RaggedLayout layout = ot::RaggedLayout::build(term.rows, B, cols.data(), B, H);
  const int64_t S = layout.totalCols();
  std::vector<float> student(static_cast<size_t>(S * H)), grad(static_cast<size_t>(S * H));
  bool finite = true;
  for (int64_t s = 0; s < S; ++s) {
    const float* h = hidden + positions[s] * H;
    for (int64_t j = 0; j < H; ++j) finite = finite && std::isfinite(h[j]);
    std::copy(h, h + H, student.data() + s * H);
  }
  if (!finite) {
    // A diverged model: report NaN and poison the gradient so the optimizer step refuses it.
    const float nan = std::numeric_limits<float>::quiet_NaN();
    for (int64_t s = 0; s < S; ++s) dHidden[positions[s] * H] = nan;
    if (extras) *extras = OtExtras{};
    return std::numeric_limits<double>::quiet_NaN();
  }
  std::vector<double> cost(static_cast<size_t>(B)), value(static_cast<size_t>(B)), error(static_cast<size_t>(B));
  std::vector<int32_t> iterations(static_cast<size_t>(B));
  std::vector<uint8_t> converged(static_cast<size_t>(B));
  std::vector<float> plan(static_cast<size_t>(layout.totalCells()));
  ot::OtLossInputs in;
  in.dim = H;
  in.teacher = term.teacher;
  in.student = student.data();
  in.a = term.a;
  in.b = term.b;
  ot::OtLossOutputs out;
  out.cost = cost.data();
  out.value = value.data();
  out.grad = grad.data();
  out.iterations = iterations.data();
  out.error = error.data();
  out.converged = converged.data();
  out.plan = plan.data();
  ot::SinkhornOptions o = term.sinkhorn;
  o.threads = c.threads;
  ot::ot_loss(layout, in, term.cost, o, out, *c.pool);

  const float k = static_cast<float>(scale / static_cast<double>(B));
  for (int64_t s = 0; s < S; ++s) {
    float* d = dHidden + positions[s] * H;
    const float* g = grad.data() + s * H;
    for (int64_t j = 0; j < H; ++j) d[j] += k * g[j];
  }
  double loss = 0.0;
  OtExtras e;
  for (int64_t b = 0; b < B; ++b) {
    loss += cost[b];
    e.iterations += iterations[b];
    e.converged += converged[b];
    e.entropicValue += value[b];
    e.maxError = std::max(e.maxError, error[b]);
    double h = 0.0;
    const float* p = plan.data() + layout.blockOffset[b];
    for (int64_t i = 0; i < layout.blockOffset[b + 1] - layout.blockOffset[b]; ++i)
      if (p[i] > 0) h -= static_cast<double>(p[i]) * std::log(static_cast<double>(p[i]));
    e.planEntropy += h;
  }
  const double inv = 1.0 / static_cast<double>(B);
  e.iterations *= inv;
  e.converged *= inv;
  e.entropicValue *= inv;
  e.planEntropy *= inv;
  if (extras) *extras = e;
  return loss * inv;
}

}  // namespace nn
