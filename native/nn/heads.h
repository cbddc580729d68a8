// Task heads on top of the encoder.
//
// Classifier (HF BertForSequenceClassification, num_labels = 1): pooled = tanh(W_p · h[CLS] + b_p),
// dropout (site 5, element b·H + j), logit = w_c · pooled' + b_c.
// MLM (HF BertForMaskedLM): t = LayerNorm(gelu(W_d · h + b_d)), logits = t · Eᵀ + bias with E the
// word embeddings (tied decoder); run only on the positions that carry a label.
#ifndef OPTICAL_NATIVE_NN_HEADS_H
#define OPTICAL_NATIVE_NN_HEADS_H

#include <cstdint>
#include <vector>

#include "common.h"
#include "encoder.h"
#include "model.h"

namespace nn {

struct ClassifierActs {
  std::vector<float> cls, pooled, dropped, logits;  // B×H, B×H, B×H, B
};

// hTop: the last hidden state [B, L, H].
void classifier_forward(const Model& m, const Ctx& c, const float* hTop, int64_t B, int64_t L, const Dropout& drop,
                        uint32_t input, ClassifierActs& a);
// dlogits [B] → parameter gradients and dTop [B, L, H] += (only the [CLS] rows).
void classifier_backward(Model& m, const Ctx& c, const float* dlogits, int64_t B, int64_t L, const Dropout& drop,
                         uint32_t input, const ClassifierActs& a, float* dTop);

struct MlmActs {
  std::vector<int64_t> rows;  // token index b·L + l of each labelled position
  std::vector<float> x, pre, act, mean, rstd, t, logits;  // N×H … N×V
};

// Gathers the rows, runs the transform and the tied decoder: a.logits is N × vocab.
void mlm_forward(const Model& m, const Ctx& c, const float* hTop, const std::vector<int64_t>& rows, MlmActs& a);
// dlogits (N × vocab, may be a.logits itself) → parameter gradients (the word embeddings included)
// and dTop += at the gathered rows.
void mlm_backward(Model& m, const Ctx& c, const float* dlogits, MlmActs& a, float* dTop);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_HEADS_H
