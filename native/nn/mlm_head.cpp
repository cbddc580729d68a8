// Masked-language-model head (BERT): dense → GELU → LayerNorm → decoder tied to the word
// embeddings, plus an output bias. Only labelled positions are computed (≈15 % of the tokens), so
// the N × vocab logits stay small even for 250k-token vocabularies.
#include "heads.h"
#include "ops.h"

namespace nn {

void mlm_forward(const Model& m, const Ctx& c, const float* hTop, const std::vector<int64_t>& rows, MlmActs& a) {
  const int64_t H = m.config.hiddenSize, V = m.config.vocabSize, N = static_cast<int64_t>(rows.size());
  a.rows = rows;
  ensure(a.x, N * H);
  ensure(a.pre, N * H);
  ensure(a.act, N * H);
  ensure(a.mean, N);
  ensure(a.rstd, N);
  ensure(a.t, N * H);
  ensure(a.logits, N * V);
  for (int64_t n = 0; n < N; ++n) std::copy(hTop + rows[n] * H, hTop + rows[n] * H + H, a.x.data() + n * H);
  linear_forward(c, a.x.data(), N, H, m.p(m.mlmW), m.p(m.mlmB), H, a.pre.data());
  gelu_forward(c, a.pre.data(), a.act.data(), N * H);
  layernorm_forward(c, a.act.data(), N, H, m.p(m.mlmLnG), m.p(m.mlmLnB), m.config.layerNormEps, a.t.data(),
                    a.mean.data(), a.rstd.data());
  linear_forward(c, a.t.data(), N, H, m.p(m.wordEmb), m.p(m.mlmBias), V, a.logits.data());
}

void mlm_backward(Model& m, const Ctx& c, const float* dlogits, MlmActs& a, float* dTop) {
  const int64_t H = m.config.hiddenSize, V = m.config.vocabSize, N = static_cast<int64_t>(a.rows.size());
  std::vector<float> dt(static_cast<size_t>(N * H)), dx(static_cast<size_t>(N * H));
  linear_backward(c, dlogits, a.t.data(), N, H, m.p(m.wordEmb), V, dt.data(), false, m.g(m.wordEmb), m.g(m.mlmBias));
  layernorm_backward(c, dt.data(), a.act.data(), a.mean.data(), a.rstd.data(), N, H, m.p(m.mlmLnG), dt.data(), false,
                     m.g(m.mlmLnG), m.g(m.mlmLnB));
  gelu_backward(c, a.pre.data(), dt.data(), dt.data(), N * H);
  linear_backward(c, dt.data(), a.x.data(), N, H, m.p(m.mlmW), H, dx.data(), false, m.g(m.mlmW), m.g(m.mlmB));
  for (int64_t n = 0; n < N; ++n) {
    float* row = dTop + a.rows[n] * H;
    for (int64_t j = 0; j < H; ++j) row[j] += dx[n * H + j];
  }
}

}  // namespace nn
