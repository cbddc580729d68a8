// The BERT encoder (post-LN, as HF BertModel / RobertaModel): embeddings, LayerNorm, dropout, then
// per layer: fused QKV projection, attention, output projection, dropout, residual + LayerNorm,
// feed-forward (dense, GELU, dense), dropout, residual + LayerNorm. Forward keeps what backward
// needs (EncoderActs, plain buffers); backward takes the loss gradients of any hidden states.
//
// Hidden state k (0 = embeddings output after LayerNorm and dropout, k = layer k's output) is the
// k-th entry of HF's `hidden_states`.
#ifndef OPTICAL_NATIVE_NN_ENCODER_H
#define OPTICAL_NATIVE_NN_ENCODER_H

#include <cstdint>
#include <vector>

#include "common.h"
#include "model.h"
#include "philox.h"

namespace nn {

struct InputView {
  int64_t B = 0, L = 0;
  const int32_t* ids = nullptr;
  const uint8_t* mask = nullptr;
  const int32_t* types = nullptr;  // nullptr: all type 0
  uint32_t index = 0;              // position in StepSpec.inputs (part of the dropout counter)
};

struct Dropout {
  bool on = false;  // training
  uint64_t seed = 0;
};

// What one layer's backward pass needs.
struct LayerActs {
  // ffnAct = gelu(intermediate), ffnDeriv = gelu'(intermediate), both from one erf evaluation (the
  // backward pass needs no erf and not the pre-activation).
  std::vector<float> qkv, probs, ctx, ln1In, ln1Mean, ln1Rstd, h1, ffnAct, ffnDeriv, ln2In, ln2Mean, ln2Rstd;
};

struct EncoderActs {
  InputView in;
  int64_t T = 0;
  int64_t top = 0;  // hidden states 0..top were computed
  bool forBackward = false;
  std::vector<float> embSum, embMean, embRstd;
  std::vector<std::vector<float>> hidden;  // [top + 1] × T·H (inference: only the kept ones are filled)
  std::vector<LayerActs> layers;           // forBackward: one per layer; else one reused
};

// Scratch buffers shared by the inputs of one call (grown, never shrunk; contents undefined).
struct EncoderScratch {
  std::vector<float> h1, h2, h3, i1, i2, qkv;
};

// Grows v to at least n floats (keeps the allocation between calls: no page faults, no zeroing).
inline float* ensure(std::vector<float>& v, int64_t n) {
  if (static_cast<int64_t>(v.size()) < n) v.resize(static_cast<size_t>(n));
  return v.data();
}

// Runs the encoder up to hidden state `top`. forBackward keeps every activation; otherwise only
// the hidden states with keep[k] (keep may be null = all) are kept.
void encoder_forward(const Model& m, const Ctx& c, const InputView& in, int64_t top, const Dropout& drop,
                     bool forBackward, const std::vector<bool>* keep, EncoderActs& acts, EncoderScratch& s);

// Bytes encoder_forward(forBackward = true) allocates for B·L tokens up to `top`.
int64_t encoder_training_bytes(const Config& cfg, int64_t B, int64_t L, int64_t top);

// dHidden[k] (T·H floats, or null) is the loss gradient w.r.t. hidden state k (k = 0..top); every
// parameter gradient of the encoder accumulates into m.grads. The dHidden buffers are consumed
// (used as scratch).
void encoder_backward(Model& m, const Ctx& c, EncoderActs& acts, const Dropout& drop,
                      const std::vector<float*>& dHidden, EncoderScratch& s);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_ENCODER_H
