// The encoder engine's model: configuration, and every parameter, gradient and AdamW moment in flat
// float buffers (one allocation each, llm.c style), addressed through a table of Hugging Face names.
//
// Parameters (HF BertModel names without a prefix; RoBERTa-family checkpoints use the same names):
//   embeddings.{word,position,token_type}_embeddings.weight, embeddings.LayerNorm.{weight,bias},
//   encoder.layer.N.{attention.self.{query,key,value},attention.output.dense,intermediate.dense,
//   output.dense}.{weight,bias} (linear weights [out, in] as in PyTorch), encoder.layer.N.
//   {attention.output,output}.LayerNorm.{weight,bias};  optional heads:
//   pooler.dense.{weight,bias}                         (BertModel pooler: dense + tanh on [CLS])
//   classifier.{weight,bias}                           (BertForSequenceClassification, num_labels 1)
//   cls.predictions.transform.dense.{weight,bias}, cls.predictions.transform.LayerNorm.{weight,bias},
//   cls.predictions.bias                               (BertForMaskedLM; the decoder is tied to the
//                                                       word embeddings)
// In the flat buffer the query, key and value weights of a layer are adjacent ([3H, H], one fused
// projection), and so are their biases; every other tensor starts on a 16-float boundary.
#ifndef OPTICAL_NATIVE_NN_MODEL_H
#define OPTICAL_NATIVE_NN_MODEL_H

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace nn {

struct Workspace;  // step.cpp: activation and scratch buffers kept between calls

struct Config {
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t numHeads = 0;
  int64_t intermediateSize = 0;
  int64_t maxPositions = 512;
  int64_t typeVocabSize = 2;
  double layerNormEps = 1e-12;
  double hiddenDropout = 0.1;
  double attentionDropout = 0.1;
  int64_t padTokenId = 0;
  std::string modelType = "bert";               // bert | roberta | xlm-roberta | camembert
  std::string hiddenAct = "gelu";               // gelu (the exact erf form) only
  std::string positionEmbeddingType = "absolute";

  // RoBERTa-family models number positions from padTokenId + 1.
  int64_t positionOffset() const;
  int64_t headDim() const { return hiddenSize / numHeads; }
};

// Throws ot::ArgumentError naming the field ("config.hiddenSize ..."), listing what is supported.
void validate_config(const Config& c);

struct Heads {
  bool pooler = false;
  bool classifier = false;  // needs the pooler
  bool mlm = false;
};

struct TensorInfo {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0;  // into Model::params (and grads, m, v)
  int64_t size = 0;
  bool decay = false;  // AdamW weight decay applies (every tensor of rank ≥ 2; none on 1-D ones)
};

struct LayerOffsets {
  int64_t qkvW, qkvB, aoW, aoB, ln1G, ln1B, iW, iB, oW, oB, ln2G, ln2B;
};

class Model {
 public:
  Model(const Config& config, const Heads& heads);

  const Config config;
  const Heads heads;
  std::vector<TensorInfo> tensors;
  std::vector<float> params;  // zero-initialised; set through set_tensor
  std::vector<float> grads;   // same layout; empty until the first backward pass
  std::vector<float> m, v;    // AdamW moments; empty until the first optimizer step
  int64_t adamSteps = 0;      // optimizer steps applied (bias correction)
  int threads = 0;            // cap on pool threads for every call (0 = all)
  std::shared_ptr<Workspace> workspace;

  int64_t wordEmb, posEmb, typeEmb, embLnG, embLnB;
  std::vector<LayerOffsets> layers;
  int64_t poolerW = -1, poolerB = -1, clsW = -1, clsB = -1;
  int64_t mlmW = -1, mlmB = -1, mlmLnG = -1, mlmLnB = -1, mlmBias = -1;

  const TensorInfo* find(const std::string& name) const;
  int64_t parameterCount() const;  // Σ tensor sizes (without alignment padding)

  float* p(int64_t offset) { return params.data() + offset; }
  const float* p(int64_t offset) const { return params.data() + offset; }
  float* g(int64_t offset) { return grads.data() + offset; }

  // Allocates (zeroed) gradient / moment buffers on first use.
  void ensure_grads();
  void ensure_moments();
  void zero_grads();

 private:
  int64_t add(const std::string& name, std::vector<int64_t> shape, bool align = true);
  std::unordered_map<std::string, size_t> index_;
  int64_t size_ = 0;
};

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_MODEL_H
