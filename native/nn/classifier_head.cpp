// Cross-encoder head: BERT pooler (dense + tanh on [CLS]) → dropout → one-logit classifier.
#include <cmath>

#include "heads.h"
#include "ops.h"

namespace nn {

namespace {

DropoutKey head_key(const Model& m, const Dropout& d, uint32_t input) {
  DropoutKey k;
  k.seed = d.seed;
  k.stream = dropout_stream(m.config.numLayers, DropoutSite::Classifier);
  k.input = input;
  k.rate = m.config.hiddenDropout;
  return k;
}

bool dropping(const Model& m, const Dropout& d) { return d.on && m.config.hiddenDropout > 0.0; }

}  // namespace

void classifier_forward(const Model& m, const Ctx& c, const float* hTop, int64_t B, int64_t L, const Dropout& drop,
                        uint32_t input, ClassifierActs& a) {
  const int64_t H = m.config.hiddenSize;
  a.cls.resize(static_cast<size_t>(B * H));
  a.pooled.resize(static_cast<size_t>(B * H));
  a.dropped.resize(static_cast<size_t>(B * H));
  a.logits.resize(static_cast<size_t>(B));
  for (int64_t b = 0; b < B; ++b) std::copy(hTop + b * L * H, hTop + b * L * H + H, a.cls.data() + b * H);
  linear_forward(c, a.cls.data(), B, H, m.p(m.poolerW), m.p(m.poolerB), H, a.pooled.data());
  for (float& v : a.pooled) v = std::tanh(v);
  if (dropping(m, drop)) {
    dropout_apply(c, head_key(m, drop, input), a.pooled.data(), a.dropped.data(), B * H);
  } else {
    a.dropped = a.pooled;
  }
  linear_forward(c, a.dropped.data(), B, H, m.p(m.clsW), m.p(m.clsB), 1, a.logits.data());
}

void classifier_backward(Model& m, const Ctx& c, const float* dlogits, int64_t B, int64_t L, const Dropout& drop,
                         uint32_t input, const ClassifierActs& a, float* dTop) {
  const int64_t H = m.config.hiddenSize;
  std::vector<float> d(static_cast<size_t>(B * H)), dcls(static_cast<size_t>(B * H));
  linear_backward(c, dlogits, a.dropped.data(), B, H, m.p(m.clsW), 1, d.data(), false, m.g(m.clsW), m.g(m.clsB));
  if (dropping(m, drop)) dropout_apply(c, head_key(m, drop, input), d.data(), d.data(), B * H);
  for (int64_t i = 0; i < B * H; ++i) d[i] *= 1.0f - a.pooled[i] * a.pooled[i];  // tanh'
  linear_backward(c, d.data(), a.cls.data(), B, H, m.p(m.poolerW), H, dcls.data(), false, m.g(m.poolerW),
                  m.g(m.poolerB));
  for (int64_t b = 0; b < B; ++b) {
    float* row = dTop + b * L * H;
    for (int64_t j = 0; j < H; ++j) row[j] += dcls[b * H + j];
  }
}

}  // namespace nn
