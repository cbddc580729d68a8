// The engine's declarative API: a StepSpec names the inputs, the loss terms over them and whether
// dropout is on; step() runs every forward pass, the losses, and the backward pass in one call and
// accumulates the gradients (optimizer steps are separate: adamw.h). encode() is the batched
// inference pass (hidden states, pooled vectors, classifier logits). The TypeScript types of
// src/models/engine/types.ts document the same fields.
#ifndef OPTICAL_NATIVE_NN_STEP_H
#define OPTICAL_NATIVE_NN_STEP_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common.h"
#include "losses.h"
#include "model.h"
#include "ops.h"

namespace nn {

struct EncodeInput {
  int64_t batch = 0, length = 0;
  std::vector<int32_t> ids;    // batch·length, each in [0, vocab)
  std::vector<uint8_t> mask;   // batch·length, 1 = token, 0 = padding; ≥ 1 token per row
  std::vector<int32_t> types;  // empty (all 0) or batch·length, each in [0, typeVocab)
};

// A pooled sentence vector of one input at one hidden state.
struct PooledRef {
  int64_t input = 0;
  Pooling pooling = Pooling::Mean;
  int64_t layer = -1;  // −1: the last layer
};

enum class TermKind { InfoNce, InfoNceTarget, Bce, Mse, Cosine, Mlm, Ot };
const char* to_string(TermKind k);

struct LossTerm {
  TermKind kind = TermKind::Mse;
  double weight = 1.0;
  PooledRef queries;                  // infonce, infonce-target, mse, cosine: the pooled input
  PooledRef docs;                     // infonce
  std::vector<int32_t> positive;      // infonce(-target): per query, index of its positive
  double temperature = 0.05;          // infonce(-target)
  std::vector<float> target;          // mse/cosine: n × H;  infonce-target: m × H targets
  int64_t input = 0;                  // bce, mlm, ot
  std::vector<float> labels;          // bce: per row, in [0, 1]
  std::vector<int32_t> mlmLabels;     // mlm: batch·length, −100 = ignored, else in [0, vocab)
  int64_t layer = -1;                 // ot: hidden state 0..numLayers (−1: last)
  std::vector<float> teacher;         // ot: Σ rows × H
  std::vector<int32_t> rows;          // ot: teacher tokens per row (batch entries)
  std::vector<float> a, b;            // ot: optional marginals (Σ rows, Σ cols)
  ot::CostKind cost = ot::CostKind::Cosine;
  ot::SinkhornOptions sinkhorn;
};

struct StepSpec {
  std::vector<EncodeInput> inputs;
  std::vector<LossTerm> terms;
  bool training = true;  // dropout on
  bool backward = true;  // false: losses only, no gradients
  uint64_t seed = 0;     // dropout seed (< 2^53)
  bool profile = false;
};

struct TermResult {
  TermKind kind;
  double value = 0;  // unweighted
  std::vector<std::pair<std::string, double>> extras;
};

struct StepResult {
  double loss = 0;  // Σ weight · value
  std::vector<TermResult> terms;
  Profile profile;
};

// Throws ot::ArgumentError naming the field ("inputs[1].ids has 4095 entries, expected batch·length
// = 4096", "terms[0].positive[3] = 9 is out of range [0, 8)"); run by step() itself too.
void validate_input(const Model& m, const EncodeInput& in, const std::string& name);
void validate_step(const Model& m, const StepSpec& spec);

// `pool`: the thread pool (the model's `threads` caps it). Not thread-safe per model.
StepResult step(Model& m, const StepSpec& spec, ot::ThreadPool& pool);

struct EncodeOptions {
  std::vector<int64_t> layers;  // hidden states to return (each 0..numLayers); empty: none
  bool pooled = false;          // pooled vectors of the last layer
  Pooling pooling = Pooling::Mean;
  bool normalize = false;       // L2-normalise the pooled vectors
  bool logits = false;          // classifier head logits (needs the classifier head)
};

struct EncodeResult {
  std::vector<std::vector<float>> hidden;  // per requested layer: batch·length·H
  std::vector<float> pooled;               // batch·H
  std::vector<float> logits;               // batch
};

EncodeResult encode(Model& m, const EncodeInput& in, const EncodeOptions& o, ot::ThreadPool& pool);

// Bytes of activations a training step over these inputs keeps (for out-of-memory messages).
int64_t step_activation_bytes(const Model& m, const StepSpec& spec);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_STEP_H
