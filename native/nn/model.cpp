#include "model.h"

#include <algorithm>
#include <cmath>

#include "common.h"

namespace nn {

namespace {

bool roberta_family(const std::string& t) { return t == "roberta" || t == "xlm-roberta" || t == "camembert"; }

void positive(const char* field, int64_t v, int64_t limit = int64_t{1} << 31) {
  if (v < 1 || v > limit)
    range_error(std::string("config.") + field + " must be an integer in [1, " + std::to_string(limit) + "], got " +
                std::to_string(v));
}

void probability(const char* field, double p) {
  if (!(p >= 0.0 && p < 1.0)) range_error(std::string("config.") + field + " must be in [0, 1), got " + std::to_string(p));
}

}  // namespace

int64_t Config::positionOffset() const { return roberta_family(modelType) ? padTokenId + 1 : 0; }

void validate_config(const Config& c) {
  if (c.modelType != "bert" && !roberta_family(c.modelType))
    range_error("config.modelType '" + c.modelType +
                "' is not supported by the native engine (supported: bert, roberta, xlm-roberta, camembert)");
  if (c.hiddenAct != "gelu")
    range_error("config.hiddenAct '" + c.hiddenAct + "' is not supported by the native engine (supported: gelu, the exact erf form)");
  if (c.positionEmbeddingType != "absolute")
    range_error("config.positionEmbeddingType '" + c.positionEmbeddingType +
                "' is not supported by the native engine (supported: absolute)");
  positive("vocabSize", c.vocabSize);
  positive("hiddenSize", c.hiddenSize, 1 << 16);
  positive("numHiddenLayers", c.numLayers, 1 << 10);
  positive("numAttentionHeads", c.numHeads, 1 << 10);
  positive("intermediateSize", c.intermediateSize, 1 << 20);
  positive("maxPositionEmbeddings", c.maxPositions);
  positive("typeVocabSize", c.typeVocabSize, 1 << 20);
  if (c.hiddenSize % c.numHeads != 0)
    range_error("config.hiddenSize (" + std::to_string(c.hiddenSize) + ") must be divisible by numAttentionHeads (" +
                std::to_string(c.numHeads) + ")");
  if (!(std::isfinite(c.layerNormEps) && c.layerNormEps > 0))
    range_error("config.layerNormEps must be a finite number > 0, got " + std::to_string(c.layerNormEps));
  probability("hiddenDropoutProb", c.hiddenDropout);
  probability("attentionProbsDropoutProb", c.attentionDropout);
  if (c.padTokenId < 0 || c.padTokenId >= c.vocabSize)
    range_error("config.padTokenId must be in [0, vocabSize), got " + std::to_string(c.padTokenId));
  if (c.positionOffset() >= c.maxPositions)
    range_error("config.maxPositionEmbeddings (" + std::to_string(c.maxPositions) +
                ") leaves no position after the RoBERTa offset padTokenId + 1 = " + std::to_string(c.positionOffset()));
}

Model::Model(const Config& config_, const Heads& heads_) : config(config_), heads(heads_) {
  validate_config(config);
  if (heads.classifier && !heads.pooler)
    range_error("the classifier head needs the pooler (pooler.dense.weight / pooler.dense.bias)");
  const int64_t H = config.hiddenSize, I = config.intermediateSize;
  wordEmb = add("embeddings.word_embeddings.weight", {config.vocabSize, H});
  posEmb = add("embeddings.position_embeddings.weight", {config.maxPositions, H});
  typeEmb = add("embeddings.token_type_embeddings.weight", {config.typeVocabSize, H});
  embLnG = add("embeddings.LayerNorm.weight", {H});
  embLnB = add("embeddings.LayerNorm.bias", {H});
  for (int64_t l = 0; l < config.numLayers; ++l) {
    const std::string p = "encoder.layer." + std::to_string(l) + ".";
    LayerOffsets o{};
    o.qkvW = add(p + "attention.self.query.weight", {H, H});
    add(p + "attention.self.key.weight", {H, H}, false);
    add(p + "attention.self.value.weight", {H, H}, false);
    o.qkvB = add(p + "attention.self.query.bias", {H});
    add(p + "attention.self.key.bias", {H}, false);
    add(p + "attention.self.value.bias", {H}, false);
    o.aoW = add(p + "attention.output.dense.weight", {H, H});
    o.aoB = add(p + "attention.output.dense.bias", {H});
    o.ln1G = add(p + "attention.output.LayerNorm.weight", {H});
    o.ln1B = add(p + "attention.output.LayerNorm.bias", {H});
    o.iW = add(p + "intermediate.dense.weight", {I, H});
    o.iB = add(p + "intermediate.dense.bias", {I});
    o.oW = add(p + "output.dense.weight", {H, I});
    o.oB = add(p + "output.dense.bias", {H});
    o.ln2G = add(p + "output.LayerNorm.weight", {H});
    o.ln2B = add(p + "output.LayerNorm.bias", {H});
    layers.push_back(o);
  }
  if (heads.pooler) {
    poolerW = add("pooler.dense.weight", {H, H});
    poolerB = add("pooler.dense.bias", {H});
  }
  if (heads.classifier) {
    clsW = add("classifier.weight", {1, H});
    clsB = add("classifier.bias", {1});
  }
  if (heads.mlm) {
    mlmW = add("cls.predictions.transform.dense.weight", {H, H});
    mlmB = add("cls.predictions.transform.dense.bias", {H});
    mlmLnG = add("cls.predictions.transform.LayerNorm.weight", {H});
    mlmLnB = add("cls.predictions.transform.LayerNorm.bias", {H});
    mlmBias = add("cls.predictions.bias", {config.vocabSize});
  }
  params.assign(static_cast<size_t>(size_), 0.0f);
}

int64_t Model::add(const std::string& name, std::vector<int64_t> shape, bool align) {
  if (align) size_ = (size_ + 15) / 16 * 16;
  TensorInfo t;
  t.name = name;
  t.size = 1;
  for (int64_t d : shape) t.size *= d;
  t.shape = std::move(shape);
  t.offset = size_;
  t.decay = t.shape.size() >= 2;
  size_ += t.size;
  index_[name] = tensors.size();
  tensors.push_back(std::move(t));
  return tensors.back().offset;
}

const TensorInfo* Model::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors[it->second];
}

int64_t Model::parameterCount() const {
  int64_t n = 0;
  for (const auto& t : tensors) n += t.size;
  return n;
}

void Model::ensure_grads() {
  if (grads.size() != params.size()) grads.assign(params.size(), 0.0f);
}

void Model::ensure_moments() {
  if (m.size() != params.size()) m.assign(params.size(), 0.0f);
  if (v.size() != params.size()) v.assign(params.size(), 0.0f);
}

void Model::zero_grads() { std::fill(grads.begin(), grads.end(), 0.0f); }

}  // namespace nn
