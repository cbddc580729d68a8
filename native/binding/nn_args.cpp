// Reading the engine's arguments from JavaScript into native/nn structs (copies, so a job can run
// on a worker thread while JS goes on), and building the result objects.
#include <cfloat>
#include <cmath>
#include <sstream>

#include "js_args.h"
#include "nn_binding.h"

namespace optical {

namespace {

using ot::ArgumentError;

[[noreturn]] void type_error(const std::string& m) { throw ArgumentError(ArgumentError::Kind::Type, m); }
[[noreturn]] void range_error(const std::string& m) { throw ArgumentError(ArgumentError::Kind::Range, m); }

std::string type_name(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_int32_array: return "Int32Array";
      case napi_uint8_array: return "Uint8Array";
      case napi_float32_array: return "Float32Array";
      case napi_float64_array: return "Float64Array";
      default: return "another typed array";
    }
  }
  if (v.IsArray()) return "Array";
  if (v.IsNumber()) return "number " + std::to_string(v.As<Napi::Number>().DoubleValue());
  if (v.IsString()) return "string '" + v.As<Napi::String>().Utf8Value() + "'";
  if (v.IsBoolean()) return "boolean";
  if (v.IsFunction()) return "function";
  return "object";
}

Napi::Object object(const Napi::Value& v, const std::string& name) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray() || v.IsFunction())
    type_error(name + " must be an object, got " + type_name(v));
  return v.As<Napi::Object>();
}

double number(const Napi::Object& o, const char* key, const std::string& name, const double* fallback = nullptr) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() && fallback) return *fallback;
  if (!v.IsNumber()) type_error(name + " must be a number, got " + type_name(v));
  return v.As<Napi::Number>().DoubleValue();
}

int64_t integer(const Napi::Object& o, const char* key, const std::string& name, int64_t lo, int64_t hi,
                const int64_t* fallback = nullptr) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() && fallback) return *fallback;
  if (!v.IsNumber()) type_error(name + " must be an integer, got " + type_name(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(std::isfinite(d) && d == std::floor(d))) type_error(name + " must be an integer, got " + type_name(v));
  if (d < static_cast<double>(lo) || d > static_cast<double>(hi))
    range_error(name + " must be an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "], got " +
                std::to_string(static_cast<int64_t>(d)));
  return static_cast<int64_t>(d);
}

std::string string(const Napi::Object& o, const char* key, const std::string& name, const char* fallback = nullptr) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined() && fallback) return fallback;
  if (!v.IsString()) type_error(name + " must be a string, got " + type_name(v));
  return v.As<Napi::String>().Utf8Value();
}

bool boolean(const Napi::Object& o, const char* key, const std::string& name, bool fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsBoolean()) type_error(name + " must be a boolean, got " + type_name(v));
  return v.As<Napi::Boolean>().Value();
}

bool has(const Napi::Object& o, const char* key) {
  const Napi::Value v = o.Get(key);
  return !v.IsUndefined() && !v.IsNull();
}

std::vector<int32_t> int32s(const Napi::Object& o, const char* key, const std::string& name) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    type_error(name + " must be an Int32Array, got " + type_name(v));
  const auto a = v.As<Napi::Int32Array>();
  return std::vector<int32_t>(a.Data(), a.Data() + a.ElementLength());
}

std::vector<uint8_t> uint8s(const Napi::Object& o, const char* key, const std::string& name) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
    type_error(name + " must be a Uint8Array, got " + type_name(v));
  const auto a = v.As<Napi::Uint8Array>();
  return std::vector<uint8_t>(a.Data(), a.Data() + a.ElementLength());
}

std::vector<float> floats(const Napi::Object& o, const char* key, const std::string& name) {
  const FloatInput f = read_float_array(o, key, name, false, false);  // a view; copied here
  return std::vector<float>(f.data, f.data + f.length);
}

nn::Pooling pooling(const Napi::Object& o, const std::string& name) {
  const std::string p = string(o, "pooling", name + ".pooling");
  if (p == "mean") return nn::Pooling::Mean;
  if (p == "cls") return nn::Pooling::Cls;
  range_error(name + ".pooling must be 'mean' or 'cls', got '" + p + "'");
}

int64_t layer(const Napi::Object& o, const std::string& name) {
  const int64_t last = -1;
  return integer(o, "layer", name + ".layer", 0, 1 << 20, &last);
}

nn::PooledRef pooled_ref(const Napi::Object& o, const std::string& name) {
  nn::PooledRef r;
  r.input = integer(o, "input", name + ".input", 0, INT32_MAX);
  r.pooling = pooling(o, name);
  r.layer = layer(o, name);
  return r;
}

nn::LossTerm read_term(const Napi::Value& v, const std::string& name) {
  const Napi::Object o = object(v, name);
  nn::LossTerm t;
  const double one = 1.0;
  t.weight = number(o, "weight", name + ".weight", &one);
  const std::string kind = string(o, "kind", name + ".kind");
  if (kind == "infonce") {
    t.kind = nn::TermKind::InfoNce;
    t.queries = pooled_ref(object(o.Get("queries"), name + ".queries"), name + ".queries");
    t.docs = pooled_ref(object(o.Get("docs"), name + ".docs"), name + ".docs");
    t.positive = int32s(o, "positive", name + ".positive");
    t.temperature = number(o, "temperature", name + ".temperature");
  } else if (kind == "infonce-target") {
    t.kind = nn::TermKind::InfoNceTarget;
    t.queries = pooled_ref(o, name);
    t.target = floats(o, "targets", name + ".targets");
    t.positive = int32s(o, "positive", name + ".positive");
    t.temperature = number(o, "temperature", name + ".temperature");
  } else if (kind == "mse" || kind == "cosine") {
    t.kind = kind == "mse" ? nn::TermKind::Mse : nn::TermKind::Cosine;
    t.queries = pooled_ref(o, name);
    t.target = floats(o, "target", name + ".target");
  } else if (kind == "bce") {
    t.kind = nn::TermKind::Bce;
    t.input = integer(o, "input", name + ".input", 0, INT32_MAX);
    t.labels = floats(o, "labels", name + ".labels");
  } else if (kind == "mlm") {
    t.kind = nn::TermKind::Mlm;
    t.input = integer(o, "input", name + ".input", 0, INT32_MAX);
    t.mlmLabels = int32s(o, "labels", name + ".labels");
  } else if (kind == "ot") {
    t.kind = nn::TermKind::Ot;
    t.input = integer(o, "input", name + ".input", 0, INT32_MAX);
    t.layer = layer(o, name);
    t.teacher = floats(o, "teacher", name + ".teacher");
    t.rows = int32s(o, "rows", name + ".rows");
    if (has(o, "a")) t.a = floats(o, "a", name + ".a");
    if (has(o, "b")) t.b = floats(o, "b", name + ".b");
    try {
      const ParsedOptions p = read_options(o.Get("options"));
      t.cost = p.kind;
      t.sinkhorn = p.sinkhorn;
    } catch (const ArgumentError& e) {
      throw ArgumentError(e.kind(), name + "." + e.what());
    }
  } else {
    range_error(name + ".kind '" + kind + "' is not a loss term (supported: infonce, infonce-target, bce, mse, cosine, mlm, ot)");
  }
  return t;
}

Napi::Object tensor_to_js(Napi::Env env, const std::vector<int64_t>& shape, const float* data, int64_t size) {
  Napi::Object t = Napi::Object::New(env);
  Napi::Array s = Napi::Array::New(env, shape.size());
  for (size_t i = 0; i < shape.size(); ++i) s.Set(static_cast<uint32_t>(i), Napi::Number::New(env, static_cast<double>(shape[i])));
  t.Set("shape", s);
  Napi::Float32Array a = allocate<Napi::Float32Array>(env, size, "tensor");
  std::copy(data, data + size, a.Data());
  t.Set("data", a);
  return t;
}

}  // namespace

nn::Config read_nn_config(const Napi::Value& v) {
  const Napi::Object o = object(v, "config");
  nn::Config c;
  c.vocabSize = integer(o, "vocabSize", "config.vocabSize", 1, INT32_MAX);
  c.hiddenSize = integer(o, "hiddenSize", "config.hiddenSize", 1, 1 << 16);
  c.numLayers = integer(o, "numHiddenLayers", "config.numHiddenLayers", 1, 1 << 10);
  c.numHeads = integer(o, "numAttentionHeads", "config.numAttentionHeads", 1, 1 << 10);
  c.intermediateSize = integer(o, "intermediateSize", "config.intermediateSize", 1, 1 << 20);
  const int64_t maxPos = 512, types = 2, pad = 0;
  c.maxPositions = integer(o, "maxPositionEmbeddings", "config.maxPositionEmbeddings", 1, INT32_MAX, &maxPos);
  c.typeVocabSize = integer(o, "typeVocabSize", "config.typeVocabSize", 1, 1 << 20, &types);
  const double eps = 1e-12, drop = 0.1;
  c.layerNormEps = number(o, "layerNormEps", "config.layerNormEps", &eps);
  c.hiddenDropout = number(o, "hiddenDropoutProb", "config.hiddenDropoutProb", &drop);
  c.attentionDropout = number(o, "attentionProbsDropoutProb", "config.attentionProbsDropoutProb", &drop);
  c.padTokenId = integer(o, "padTokenId", "config.padTokenId", 0, INT32_MAX, &pad);
  c.modelType = string(o, "modelType", "config.modelType", "bert");
  c.hiddenAct = string(o, "hiddenAct", "config.hiddenAct", "gelu");
  c.positionEmbeddingType = string(o, "positionEmbeddingType", "config.positionEmbeddingType", "absolute");
  nn::validate_config(c);
  return c;
}

std::vector<NamedTensor> read_tensor_map(const Napi::Value& v, const std::string& what) {
  const Napi::Object o = object(v, what);
  const Napi::Array names = o.GetPropertyNames();
  std::vector<NamedTensor> out;
  for (uint32_t i = 0; i < names.Length(); ++i) {
    const std::string name = names.Get(i).As<Napi::String>().Utf8Value();
    const std::string where = what + "['" + name + "']";
    const Napi::Object t = object(o.Get(name), where);
    NamedTensor nt;
    nt.name = name;
    const Napi::Value shape = t.Get("shape");
    if (!shape.IsArray()) type_error(where + ".shape must be an array of integers, got " + type_name(shape));
    const Napi::Array s = shape.As<Napi::Array>();
    for (uint32_t k = 0; k < s.Length(); ++k) {
      const Napi::Value d = s.Get(k);
      if (!d.IsNumber() || d.As<Napi::Number>().DoubleValue() < 0 ||
          d.As<Napi::Number>().DoubleValue() != std::floor(d.As<Napi::Number>().DoubleValue()))
        type_error(where + ".shape[" + std::to_string(k) + "] must be a non-negative integer, got " + type_name(d));
      nt.shape.push_back(static_cast<int64_t>(d.As<Napi::Number>().DoubleValue()));
    }
    nt.data = floats(t, "data", where + ".data");
    out.push_back(std::move(nt));
  }
  return out;
}

nn::EncodeInput read_encode_input(const Napi::Value& v, const std::string& name) {
  const Napi::Object o = object(v, name);
  nn::EncodeInput in;
  in.batch = integer(o, "batch", name + ".batch", 1, INT32_MAX);
  in.length = integer(o, "length", name + ".length", 1, INT32_MAX);
  in.ids = int32s(o, "ids", name + ".ids");
  in.mask = uint8s(o, "mask", name + ".mask");
  if (has(o, "types")) in.types = int32s(o, "types", name + ".types");
  return in;
}

nn::StepSpec read_step_spec(const Napi::Value& v) {
  const Napi::Object o = object(v, "spec");
  nn::StepSpec s;
  const Napi::Value inputs = o.Get("inputs");
  if (!inputs.IsArray()) type_error("spec.inputs must be an array, got " + type_name(inputs));
  const Napi::Array ia = inputs.As<Napi::Array>();
  for (uint32_t i = 0; i < ia.Length(); ++i) s.inputs.push_back(read_encode_input(ia.Get(i), "inputs[" + std::to_string(i) + "]"));
  const Napi::Value terms = o.Get("terms");
  if (!terms.IsArray()) type_error("spec.terms must be an array, got " + type_name(terms));
  const Napi::Array ta = terms.As<Napi::Array>();
  for (uint32_t i = 0; i < ta.Length(); ++i) s.terms.push_back(read_term(ta.Get(i), "terms[" + std::to_string(i) + "]"));
  s.training = boolean(o, "training", "spec.training", true);
  s.backward = boolean(o, "backward", "spec.backward", true);
  s.profile = boolean(o, "profile", "spec.profile", false);
  const int64_t zero = 0;
  s.seed = static_cast<uint64_t>(integer(o, "seed", "spec.seed", 0, (int64_t{1} << 53) - 1, &zero));
  return s;
}

nn::EncodeOptions read_encode_options(const Napi::Value& v) {
  nn::EncodeOptions e;
  if (v.IsUndefined()) {
    e.pooled = true;
    return e;
  }
  const Napi::Object o = object(v, "options");
  const Napi::Value layers = o.Get("layers");
  if (!layers.IsUndefined()) {
    if (!layers.IsArray()) type_error("options.layers must be an array of hidden-state indices, got " + type_name(layers));
    const Napi::Array a = layers.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      const Napi::Value x = a.Get(i);
      if (!x.IsNumber() || x.As<Napi::Number>().DoubleValue() != std::floor(x.As<Napi::Number>().DoubleValue()))
        type_error("options.layers[" + std::to_string(i) + "] must be an integer, got " + type_name(x));
      e.layers.push_back(static_cast<int64_t>(x.As<Napi::Number>().DoubleValue()));
    }
  }
  if (has(o, "pooling")) {
    e.pooled = true;
    e.pooling = pooling(o, "options");
  }
  e.normalize = boolean(o, "normalize", "options.normalize", false);
  e.logits = boolean(o, "logits", "options.logits", false);
  return e;
}

nn::AdamWOptions read_adamw_options(const Napi::Value& v) {
  const Napi::Object o = object(v, "options");
  nn::AdamWOptions a;
  a.lr = number(o, "lr", "options.lr");
  a.weightDecay = number(o, "weightDecay", "options.weightDecay", &a.weightDecay);
  a.beta1 = number(o, "beta1", "options.beta1", &a.beta1);
  a.beta2 = number(o, "beta2", "options.beta2", &a.beta2);
  a.epsilon = number(o, "epsilon", "options.epsilon", &a.epsilon);
  a.clipNorm = number(o, "clipNorm", "options.clipNorm", &a.clipNorm);
  const Napi::Value frozen = o.Get("frozen");
  if (!frozen.IsUndefined()) {
    if (!frozen.IsArray()) type_error("options.frozen must be an array of parameter names, got " + type_name(frozen));
    const Napi::Array f = frozen.As<Napi::Array>();
    for (uint32_t i = 0; i < f.Length(); ++i) {
      const Napi::Value x = f.Get(i);
      if (!x.IsString()) type_error("options.frozen[" + std::to_string(i) + "] must be a parameter name, got " + type_name(x));
      a.frozen.push_back(x.As<Napi::String>().Utf8Value());
    }
  }
  nn::validate_adamw(a);
  return a;
}

Napi::Object step_result_to_js(Napi::Env env, const nn::StepResult& r, bool profile) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("loss", Napi::Number::New(env, r.loss));
  Napi::Array terms = Napi::Array::New(env, r.terms.size());
  for (size_t i = 0; i < r.terms.size(); ++i) {
    Napi::Object t = Napi::Object::New(env);
    t.Set("kind", Napi::String::New(env, nn::to_string(r.terms[i].kind)));
    t.Set("value", Napi::Number::New(env, r.terms[i].value));
    Napi::Object extras = Napi::Object::New(env);
    for (const auto& e : r.terms[i].extras) extras.Set(e.first, Napi::Number::New(env, e.second));
    t.Set("extras", extras);
    terms.Set(static_cast<uint32_t>(i), t);
  }
  o.Set("terms", terms);
  if (profile) {
    const nn::Profile& p = r.profile;
    Napi::Object ms = Napi::Object::New(env);
    ms.Set("gemm", p.gemm);
    ms.Set("attention", p.attention);
    ms.Set("layernorm", p.layernorm);
    ms.Set("gelu", p.gelu);
    ms.Set("embeddings", p.embeddings);
    ms.Set("dropout", p.dropout);
    ms.Set("losses", p.losses);
    ms.Set("ot", p.ot);
    ms.Set("other", p.other);
    o.Set("profile", ms);
  }
  return o;
}

Napi::Object encode_result_to_js(Napi::Env env, const nn::EncodeResult& r) {
  Napi::Object o = Napi::Object::New(env);
  Napi::Array hidden = Napi::Array::New(env, r.hidden.size());
  for (size_t i = 0; i < r.hidden.size(); ++i) {
    Napi::Float32Array a = allocate<Napi::Float32Array>(env, static_cast<int64_t>(r.hidden[i].size()), "hidden");
    std::copy(r.hidden[i].begin(), r.hidden[i].end(), a.Data());
    hidden.Set(static_cast<uint32_t>(i), a);
  }
  o.Set("hidden", hidden);
  if (!r.pooled.empty()) {
    Napi::Float32Array a = allocate<Napi::Float32Array>(env, static_cast<int64_t>(r.pooled.size()), "pooled");
    std::copy(r.pooled.begin(), r.pooled.end(), a.Data());
    o.Set("pooled", a);
  }
  if (!r.logits.empty()) {
    Napi::Float32Array a = allocate<Napi::Float32Array>(env, static_cast<int64_t>(r.logits.size()), "logits");
    std::copy(r.logits.begin(), r.logits.end(), a.Data());
    o.Set("logits", a);
  }
  return o;
}

// Used by nn_model.cpp for getParameters / getGradients / moments.
Napi::Object tensors_to_js(Napi::Env env, const nn::Model& m, const std::vector<float>& flat) {
  Napi::Object out = Napi::Object::New(env);
  for (const nn::TensorInfo& t : m.tensors) {
    if (flat.empty()) {
      std::vector<float> zeros(static_cast<size_t>(t.size), 0.0f);
      out.Set(t.name, tensor_to_js(env, t.shape, zeros.data(), t.size));
    } else {
      out.Set(t.name, tensor_to_js(env, t.shape, flat.data() + t.offset, t.size));
    }
  }
  return out;
}

}  // namespace optical
