// Task heads on the GPU (native/nn/heads.h): the cross-encoder's classifier (BERT pooler dense +
// tanh on [CLS] → dropout (site 5) → one logit) and the MLM head (dense → GELU → LayerNorm → the
// decoder tied to the word embeddings + bias), on the labelled positions only.
#pragma once

#include <cstdint>
#include <vector>

#include "cuda/nn/encoder.h"

namespace optical::cuda::nn {

struct ClassifierActs {
  DeviceArray<int64_t> clsRows;
  DeviceArray<float> cls, pooled, dropped, logits, d, dcls;  // B×H, B×H, B×H, B, B×H, B×H
};

inline ::nn::DropoutKey head_key(const ::nn::Model& m, const ::nn::Dropout& d, uint32_t input) {
  ::nn::DropoutKey k;
  k.seed = d.seed;
  k.stream = ::nn::dropout_stream(m.config.numLayers, ::nn::DropoutSite::Classifier);
  k.input = input;
  k.rate = m.config.hiddenDropout;
  return k;
}

/** The [CLS] rows b·L of hTop [B, L, H] (index array built once per shape). */
inline const int64_t* cls_rows(const Ctx& c, int64_t B, int64_t L, DeviceArray<int64_t>& rows) {
  std::vector<int64_t> host(static_cast<std::size_t>(B));
  for (int64_t b = 0; b < B; ++b) host[b] = b * L;
  upload(c.s, rows.ensure(host.size()), host.data(), host.size());
  return rows.data();
}

inline void classifier_forward(const ::nn::Model& m, const DeviceModel& dm, const Ctx& c, const float* hTop, int64_t B,
                               int64_t L, const ::nn::Dropout& drop, uint32_t input, ClassifierActs& a) {
  const int64_t H = m.config.hiddenSize;
  const auto BH = static_cast<std::size_t>(B * H);
  a.cls.ensure(BH);
  a.pooled.ensure(BH);
  a.dropped.ensure(BH);
  a.logits.ensure(static_cast<std::size_t>(B));
  const int64_t* rows = cls_rows(c, B, L, a.clsRows);
  launch(c.s, "gather_rows_kernel", gather_rows_kernel, grid_of(B * H), kThreads, 0, hTop, rows, B, H, a.cls.data());
  linear_forward(c, a.cls.data(), B, H, dm.p(m.poolerW), dm.p(m.poolerB), H, a.pooled.data());
  launch(c.s, "tanh_kernel", tanh_kernel, grid_of(B * H), kThreads, 0, a.pooled.data(), B * H);
  if (drop.on && m.config.hiddenDropout > 0.0) {
    dropout_apply(c, head_key(m, drop, input), a.pooled.data(), a.dropped.data(), B * H);
  } else {
    copy(c, a.pooled.data(), a.dropped.data(), B * H);
  }
  linear_forward(c, a.dropped.data(), B, H, dm.p(m.clsW), dm.p(m.clsB), 1, a.logits.data());
}

/** dlogits [B] → parameter gradients and dTop [B, L, H] += (the [CLS] rows only). */
inline void classifier_backward(const ::nn::Model& m, const DeviceModel& dm, const Ctx& c, const float* dlogits, int64_t B,
                                const ::nn::Dropout& drop, uint32_t input, ClassifierActs& a, float* dTop) {
  const int64_t H = m.config.hiddenSize;
  float* d = a.d.ensure(static_cast<std::size_t>(B * H));
  float* dcls = a.dcls.ensure(static_cast<std::size_t>(B * H));
  linear_backward(c, dlogits, a.dropped.data(), B, H, dm.p(m.clsW), 1, d, false, dm.g(m.clsW), dm.g(m.clsB));
  if (drop.on && m.config.hiddenDropout > 0.0) dropout_apply(c, head_key(m, drop, input), d, d, B * H);
  launch(c.s, "tanh_backward_kernel", tanh_backward_kernel, grid_of(B * H), kThreads, 0,
         static_cast<const float*>(a.pooled.data()), d, B * H);
  linear_backward(c, d, a.cls.data(), B, H, dm.p(m.poolerW), H, dcls, false, dm.g(m.poolerW), dm.g(m.poolerB));
  launch(c.s, "scatter_add_rows_kernel", scatter_add_rows_kernel, grid_of(B * H), kThreads, 0,
         static_cast<const float*>(dcls), static_cast<const int64_t*>(a.clsRows.data()), B, H, 1.0f, dTop);
}

struct MlmActs {
  int64_t N = 0;
  DeviceArray<int64_t> rows;
  DeviceArray<float> x, pre, act, mean, rstd, t, logits, dt, dx;  // N×H … N×V
};

/** Gathers the labelled rows (token indices b·L + l) and runs the transform and the tied decoder:
 *  a.logits is N × vocab. */
inline void mlm_forward(const ::nn::Model& m, const DeviceModel& dm, const Ctx& c, const float* hTop,
                        const std::vector<int64_t>& rows, MlmActs& a) {
  const int64_t H = m.config.hiddenSize, V = m.config.vocabSize, N = static_cast<int64_t>(rows.size());
  const auto NH = static_cast<std::size_t>(N * H);
  a.N = N;
  upload(c.s, a.rows.ensure(rows.size()), rows.data(), rows.size());
  a.x.ensure(NH);
  a.pre.ensure(NH);
  a.act.ensure(NH);
  a.mean.ensure(static_cast<std::size_t>(N));
  a.rstd.ensure(static_cast<std::size_t>(N));
  a.t.ensure(NH);
  a.logits.ensure(static_cast<std::size_t>(N * V));
  launch(c.s, "gather_rows_kernel", gather_rows_kernel, grid_of(N * H), kThreads, 0, hTop,
         static_cast<const int64_t*>(a.rows.data()), N, H, a.x.data());
  linear_forward(c, a.x.data(), N, H, dm.p(m.mlmW), dm.p(m.mlmB), H, a.pre.data());
  gelu_forward(c, a.pre.data(), a.act.data(), N * H);
  layernorm_forward(c, a.act.data(), N, H, dm.p(m.mlmLnG), dm.p(m.mlmLnB), m.config.layerNormEps, a.t.data(),
                    a.mean.data(), a.rstd.data());
  linear_forward(c, a.t.data(), N, H, dm.p(m.wordEmb), dm.p(m.mlmBias), V, a.logits.data());
}

/** dlogits (N × vocab; the cross-entropy leaves them in a.logits) → parameter gradients (the word
 *  embeddings included) and dTop += at the gathered rows. */
inline void mlm_backward(const ::nn::Model& m, const DeviceModel& dm, const Ctx& c, const float* dlogits, MlmActs& a,
                         float* dTop) {
  const int64_t H = m.config.hiddenSize, V = m.config.vocabSize, N = a.N;
  float* dt = a.dt.ensure(static_cast<std::size_t>(N * H));
  float* dx = a.dx.ensure(static_cast<std::size_t>(N * H));
  linear_backward(c, dlogits, a.t.data(), N, H, dm.p(m.wordEmb), V, dt, false, dm.g(m.wordEmb), dm.g(m.mlmBias));
  layernorm_backward(c, dt, a.act.data(), a.mean.data(), a.rstd.data(), N, H, dm.p(m.mlmLnG), dt, false, dm.g(m.mlmLnG),
                     dm.g(m.mlmLnB));
  gelu_backward(c, a.pre.data(), dt, dt, N * H);
  linear_backward(c, dt, a.x.data(), N, H, dm.p(m.mlmW), H, dx, false, dm.g(m.mlmW), dm.g(m.mlmB));
  launch(c.s, "scatter_add_rows_kernel", scatter_add_rows_kernel, grid_of(N * H), kThreads, 0,
         static_cast<const float*>(dx), static_cast<const int64_t*>(a.rows.data()), N, H, 1.0f, dTop);
}

}  // namespace optical::cuda::nn
