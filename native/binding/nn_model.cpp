// NnModel: an object-wrapped encoder-engine model over a runtime (nn_runtime.h: native/nn on the
// CPU, or the CUDA engine). Construction copies the config and every tensor; step /
// optimizerStep / encode copy their arguments into C++ structs on the JS thread and run on a
// libuv worker (Napi::AsyncWorker), one at a time per model; the other methods are synchronous
// copies. C++ failures become JS errors through the addon's Backend (runner.h): ot::ArgumentError
// → TypeError / RangeError (the message names the argument), std::bad_alloc → RangeError, the
// backend's own errors (CUDA: error.code), anything else → Error.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <functional>

#include "../core/fast_math.h"
#include "../core/isa.h"
#include "../nn/gemm.h"
#include "js_args.h"
#include "nn_binding.h"
#include "nn_runtime.h"
#include "runner.h"

namespace optical {

int read_nn_threads(const Napi::Value& v, const std::string& name) {
  if (!v.IsNumber()) throw ot::ArgumentError(ot::ArgumentError::Kind::Type, name + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(d >= 0 && d <= 4096 && d == std::floor(d)))
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "threads must be an integer in [0, 4096] (0 = all), got " + std::to_string(d));
  return static_cast<int>(d);
}

void check_nn_option_keys(const Napi::Value& options, const std::vector<std::string>& known) {
  if (options.IsUndefined()) return;
  if (!options.IsObject() || options.IsArray())
    throw ot::ArgumentError(ot::ArgumentError::Kind::Type, "options must be an object");
  const Napi::Array keys = options.As<Napi::Object>().GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); ++i) {
    const std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    std::string list;
    for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "unknown option options." + key + " of this NnModel; known options: " + list);
  }
}

namespace {

// ---- the CPU runtime: native/nn on the addon's thread pool ----------------------------------------

class CpuRuntime : public NnRuntime {
 public:
  CpuRuntime(const nn::Config& config, const nn::Heads& heads) : model_(config, heads) {}
  nn::Model& model() override { return model_; }
  nn::StepResult step(const nn::StepSpec& spec) override { return nn::step(model_, spec, ot::default_pool()); }
  nn::AdamWResult optimizer_step(const nn::AdamWOptions& o) override {
    const ot::FlushDenormals ftz;
    const nn::Ctx c{&ot::default_pool(), model_.threads, nullptr};
    return nn::adamw_step(model_, c, o);
  }
  nn::EncodeResult encode(const nn::EncodeInput& in, const nn::EncodeOptions& o) override {
    return nn::encode(model_, in, o, ot::default_pool());
  }
  void zero_grads() override {
    if (!model_.grads.empty()) model_.zero_grads();
  }
  int threads() const override { return model_.threads; }
  void set_threads(int t) override { model_.threads = t; }
  InfoList describe() const override {
    return {{"engine", InfoValue::of(std::string("cpu"))},
            {"gemm", InfoValue::of(nn::gemm_info().kernel)},
            {"isa", InfoValue::of(std::string(ot::to_string(ot::isa_choice().active)))},
            {"poolThreads", InfoValue::of(static_cast<double>(ot::default_pool().size()))}};
  }

 private:
  nn::Model model_;
};

class NnModel;

// One async call: `run` on a worker, `result` on the JS thread.
class NnJob : public Napi::AsyncWorker {
 public:
  NnJob(Napi::Env env, NnModel* model, Napi::Object self, const char* what, std::function<void()> run,
        std::function<Napi::Value(Napi::Env)> result);
  ~NnJob() override;
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override;
  void OnOK() override;
  void OnError(const Napi::Error&) override;

 private:
  NnModel* model_;
  Napi::ObjectReference self_;  // keeps the model alive while the job runs
  const char* what_;
  std::function<void()> run_;
  std::function<Napi::Value(Napi::Env)> result_;
  Napi::Promise::Deferred deferred_;
  Captured failure_;
};

class NnModel : public Napi::ObjectWrap<NnModel> {
 public:
  static Napi::Function Define(Napi::Env env, const Backend& backend, NnRuntimeFactory factory) {
    auto* binding = new Binding{&backend, factory};  // freed with this environment
    env.AddCleanupHook([binding] { delete binding; });
    return DefineClass(env, "NnModel",
                                   {
                                       InstanceMethod<&NnModel::Step>("step"),
                                       InstanceMethod<&NnModel::OptimizerStep>("optimizerStep"),
                                       InstanceMethod<&NnModel::Encode>("encode"),
                                       InstanceMethod<&NnModel::GetParameters>("getParameters"),
                                       InstanceMethod<&NnModel::SetParameters>("setParameters"),
                                       InstanceMethod<&NnModel::GetGradients>("getGradients"),
                                       InstanceMethod<&NnModel::ZeroGradients>("zeroGradients"),
                                       InstanceMethod<&NnModel::GetOptimizerState>("getOptimizerState"),
                                       InstanceMethod<&NnModel::SetOptimizerState>("setOptimizerState"),
                                       InstanceMethod<&NnModel::Info>("info"),
                                       InstanceMethod<&NnModel::Dispose>("dispose"),
                                       InstanceAccessor<&NnModel::GetThreads, &NnModel::SetThreads>("threads"),
                                   },
                                   binding);
  }

  // new NnModel(config, tensors, options?)
  explicit NnModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NnModel>(info) {
    const Napi::Env env = info.Env();
    const auto* binding = static_cast<const Binding*>(info.Data());
    backend_ = binding->backend;
    sync_or_throw(
        env,
        [&] {
          if (backend_->before) backend_->before();  // e.g. the CUDA addon without a usable device
          const nn::Config config = read_nn_config(info[0]);
          std::vector<NamedTensor> tensors = read_tensor_map(info[1], "tensors");
          nn::Heads heads;
          for (const NamedTensor& t : tensors) {
            heads.pooler = heads.pooler || t.name == "pooler.dense.weight";
            heads.classifier = heads.classifier || t.name == "classifier.weight";
            heads.mlm = heads.mlm || t.name == "cls.predictions.transform.dense.weight";
          }
          const Napi::Value options = info.Length() > 2 ? info[2] : env.Undefined();
          runtime_ = binding->factory(config, heads, options);
          nn::Model& m = runtime_->model();
          m.params = merged(tensors, true, m.params, "tensors");
          runtime_->push(NnRuntime::kParams);
        },
        "allocating the model");
  }

  bool busy() const { return busy_.load(); }
  void release() { busy_.store(false); }
  const Backend& backend() const { return *backend_; }

 private:
  struct Binding {
    const Backend* backend;
    NnRuntimeFactory factory;
  };

  const Backend* backend_ = nullptr;
  std::unique_ptr<NnRuntime> runtime_;
  std::atomic<bool> busy_{false};

  // Runs fn on the JS thread; a failure is thrown as the matching JS error.
  template <class F>
  void sync_or_throw(Napi::Env env, F&& fn, const char* what) {
    const Captured c = capture(*backend_, fn, what);
    if (c.kind != Failure::None) throw to_js_error(env, c);
  }

  void require_idle(Napi::Env env, const char* method) {
    if (!runtime_) throw Napi::Error::New(env, std::string("NnModel.") + method + ": the model has been disposed");
    if (busy_.load())
      throw Napi::Error::New(env, std::string("NnModel.") + method +
                                      ": the model is busy with an earlier step/optimizerStep/encode call; await it first");
  }

  // `base` with the given tensors written in (checked completely before anything is returned, so a
  // bad argument changes nothing); `all`: every tensor of the model must be given.
  std::vector<float> merged(const std::vector<NamedTensor>& tensors, bool all, const std::vector<float>& base,
                            const std::string& what) {
    const nn::Model& model = runtime_->model();
    std::vector<float> out = base.empty() ? std::vector<float>(model.params.size(), 0.0f) : base;
    std::vector<bool> seen(model.tensors.size(), false);
    for (const NamedTensor& t : tensors) {
      const std::string where = what + "['" + t.name + "']";
      const nn::TensorInfo* info = model.find(t.name);
      if (!info)
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                                where + " is not a parameter of this model (it has " + std::to_string(model.tensors.size()) +
                                    " tensors named as in HF BertModel, e.g. '" + model.tensors[0].name + "')");
      if (t.shape != info->shape) {
        std::string got, want;
        for (int64_t d : t.shape) got += (got.empty() ? "" : ", ") + std::to_string(d);
        for (int64_t d : info->shape) want += (want.empty() ? "" : ", ") + std::to_string(d);
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                                where + " has shape [" + got + "], the config implies [" + want + "]");
      }
      if (static_cast<int64_t>(t.data.size()) != info->size)
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range, where + ".data has " + std::to_string(t.data.size()) +
                                                                    " values, its shape needs " + std::to_string(info->size));
      for (size_t i = 0; i < t.data.size(); ++i)
        if (!std::isfinite(t.data[i]))
          throw ot::ArgumentError(ot::ArgumentError::Kind::Range, where + ".data[" + std::to_string(i) + "] is not finite");
      std::copy(t.data.begin(), t.data.end(), out.begin() + info->offset);
      seen[static_cast<size_t>(info - model.tensors.data())] = true;
    }
    if (all)
      for (size_t i = 0; i < seen.size(); ++i)
        if (!seen[i]) throw ot::ArgumentError(ot::ArgumentError::Kind::Range, what + " lacks '" + model.tensors[i].name + "'");
    return out;
  }

  Napi::Value queue(const Napi::CallbackInfo& info, const char* what, std::function<void()> run,
                    std::function<Napi::Value(Napi::Env)> result) {
    busy_.store(true);
    auto* job = new NnJob(info.Env(), this, info.This().As<Napi::Object>(), what, std::move(run), std::move(result));
    const Napi::Promise p = job->promise();
    job->Queue();
    return p;
  }

  Napi::Value rejected(Napi::Env env, const Captured& c) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(to_js_error(env, c).Value());
    return d.Promise();
  }
  Napi::Value rejected(Napi::Env env, const std::string& message) {
    Captured c;
    c.kind = Failure::Other;
    c.message = message;
    return rejected(env, c);
  }

  // step(spec) → Promise<{ loss, terms, profile? }>
  Napi::Value Step(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!runtime_) return rejected(env, "NnModel.step: the model has been disposed");
    if (busy_.load()) return rejected(env, "NnModel.step: the model is busy with an earlier call; await it first");
    auto spec = std::make_shared<nn::StepSpec>();
    const Captured c = capture(*backend_, [&] {
      *spec = read_step_spec(info[0]);
      nn::validate_step(runtime_->model(), *spec);
    }, "reading the step");
    if (c.kind != Failure::None) return rejected(env, c);
    auto out = std::make_shared<nn::StepResult>();
    NnRuntime* rt = runtime_.get();
    return queue(info, "running the step", [rt, spec, out] { *out = rt->step(*spec); },
                 [spec, out](Napi::Env e) -> Napi::Value { return step_result_to_js(e, *out, spec->profile); });
  }

  // optimizerStep({ lr, weightDecay?, beta1?, beta2?, epsilon?, clipNorm? }) → Promise<{ gradNorm, finite, clipScale, step, nonFinite? }>
  Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!runtime_) return rejected(env, "NnModel.optimizerStep: the model has been disposed");
    if (busy_.load()) return rejected(env, "NnModel.optimizerStep: the model is busy with an earlier call; await it first");
    nn::AdamWOptions o;
    const Captured c = capture(*backend_, [&] { o = read_adamw_options(info[0]); }, "reading the optimizer options");
    if (c.kind != Failure::None) return rejected(env, c);
    auto out = std::make_shared<nn::AdamWResult>();
    NnRuntime* rt = runtime_.get();
    return queue(info, "in the optimizer step", [rt, o, out] { *out = rt->optimizer_step(o); },
                 [out, rt](Napi::Env e) -> Napi::Value {
                   Napi::Object r = Napi::Object::New(e);
                   r.Set("gradNorm", out->gradNorm);
                   r.Set("finite", out->finite);
                   r.Set("clipScale", out->clipScale);
                   r.Set("step", static_cast<double>(rt->model().adamSteps));
                   if (!out->nonFinite.empty()) r.Set("nonFinite", out->nonFinite);
                   return r;
                 });
  }

  // encode(input, { layers?, pooling?, normalize?, logits? }) → Promise<{ hidden: Float32Array[], pooled?, logits? }>
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!runtime_) return rejected(env, "NnModel.encode: the model has been disposed");
    if (busy_.load()) return rejected(env, "NnModel.encode: the model is busy with an earlier call; await it first");
    auto in = std::make_shared<nn::EncodeInput>();
    nn::EncodeOptions o;
    const Captured c = capture(*backend_, [&] {
      *in = read_encode_input(info[0], "input");
      o = read_encode_options(info[1]);
      nn::validate_input(runtime_->model(), *in, "input");
    }, "reading the input");
    if (c.kind != Failure::None) return rejected(env, c);
    auto out = std::make_shared<nn::EncodeResult>();
    NnRuntime* rt = runtime_.get();
    return queue(info, "encoding", [rt, in, o, out] { *out = rt->encode(*in, o); },
                 [out](Napi::Env e) -> Napi::Value { return encode_result_to_js(e, *out); });
  }

  Napi::Value GetParameters(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "getParameters");
    sync_or_throw(info.Env(), [&] { runtime_->pull(NnRuntime::kParams); }, "reading the parameters");
    return tensors_to_js(info.Env(), runtime_->model(), runtime_->model().params);
  }

  Napi::Value SetParameters(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "setParameters");
    sync_or_throw(info.Env(), [&] {
      const std::vector<NamedTensor> tensors = read_tensor_map(info[0], "tensors");
      runtime_->pull(NnRuntime::kParams);
      nn::Model& m = runtime_->model();
      m.params = merged(tensors, false, m.params, "tensors");
      runtime_->push(NnRuntime::kParams);
    }, "setting parameters");
    return info.Env().Undefined();
  }

  Napi::Value GetGradients(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "getGradients");
    sync_or_throw(info.Env(), [&] { runtime_->pull(NnRuntime::kGrads); }, "reading the gradients");
    return tensors_to_js(info.Env(), runtime_->model(), runtime_->model().grads);
  }

  Napi::Value ZeroGradients(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "zeroGradients");
    sync_or_throw(info.Env(), [&] { runtime_->zero_grads(); }, "zeroing the gradients");
    return info.Env().Undefined();
  }

  // { step, m: tensors, v: tensors }
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "getOptimizerState");
    const Napi::Env env = info.Env();
    sync_or_throw(env, [&] { runtime_->pull(NnRuntime::kMoments); }, "reading the optimizer state");
    const nn::Model& m = runtime_->model();
    Napi::Object r = Napi::Object::New(env);
    r.Set("step", static_cast<double>(m.adamSteps));
    r.Set("m", tensors_to_js(env, m, m.m));
    r.Set("v", tensors_to_js(env, m, m.v));
    return r;
  }

  Napi::Value SetOptimizerState(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "setOptimizerState");
    const Napi::Env env = info.Env();
    sync_or_throw(env, [&] {
      if (!info[0].IsObject()) throw ot::ArgumentError(ot::ArgumentError::Kind::Type, "state must be an object { step, m, v }");
      const Napi::Object s = info[0].As<Napi::Object>();
      const Napi::Value stepValue = s.Get("step");
      if (!stepValue.IsNumber()) throw ot::ArgumentError(ot::ArgumentError::Kind::Type, "state.step must be a number");
      const double step = stepValue.As<Napi::Number>().DoubleValue();
      if (!(step >= 0 && step == std::floor(step) && step < 9e15))
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range, "state.step must be an integer >= 0, got " + std::to_string(step));
      const std::vector<NamedTensor> mt = read_tensor_map(s.Get("m"), "state.m");
      const std::vector<NamedTensor> vt = read_tensor_map(s.Get("v"), "state.v");
      // Both read completely before either replaces the model's moments.
      std::vector<float> m = merged(mt, step > 0, {}, "state.m");
      std::vector<float> v = merged(vt, step > 0, {}, "state.v");
      for (size_t i = 0; i < v.size(); ++i)
        if (v[i] < 0) throw ot::ArgumentError(ot::ArgumentError::Kind::Range, "state.v holds a negative second moment");
      nn::Model& model = runtime_->model();
      model.m = std::move(m);
      model.v = std::move(v);
      model.adamSteps = static_cast<int64_t>(step);
      runtime_->push(NnRuntime::kMoments);
    }, "setting the optimizer state");
    return env.Undefined();
  }

  // Frees the buffers now instead of at garbage collection.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "dispose");
    runtime_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    require_idle(env, "info");
    const nn::Model& m = runtime_->model();
    Napi::Object r = Napi::Object::New(env);
    r.Set("parameters", static_cast<double>(m.parameterCount()));
    Napi::Object heads = Napi::Object::New(env);
    heads.Set("pooler", m.heads.pooler);
    heads.Set("classifier", m.heads.classifier);
    heads.Set("mlm", m.heads.mlm);
    r.Set("heads", heads);
    for (const auto& [key, value] : runtime_->describe()) {
      if (value.isNumber) r.Set(key, value.number);
      else r.Set(key, Napi::String::New(env, value.text));
    }
    r.Set("optimizerStep", static_cast<double>(m.adamSteps));
    return r;
  }

  Napi::Value GetThreads(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "threads");
    return Napi::Number::New(info.Env(), runtime_->threads());
  }

  void SetThreads(const Napi::CallbackInfo& info, const Napi::Value& value) {
    require_idle(info.Env(), "threads");
    sync_or_throw(info.Env(), [&] { runtime_->set_threads(read_nn_threads(value, "threads")); }, "setting threads");
  }
};

NnJob::NnJob(Napi::Env env, NnModel* model, Napi::Object self, const char* what, std::function<void()> run,
             std::function<Napi::Value(Napi::Env)> result)
    : Napi::AsyncWorker(env, (std::string("optical:nn:") + model->backend().name).c_str()),
      model_(model),
      self_(Napi::Persistent(self)),
      what_(what),
      run_(std::move(run)),
      result_(std::move(result)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

NnJob::~NnJob() = default;

void NnJob::Execute() {
  failure_ = capture(model_->backend(), run_, what_);
  if (failure_.kind != Failure::None) SetError(failure_.message);
}

void NnJob::OnOK() {
  Napi::HandleScope scope(Env());
  model_->release();
  Napi::Value v;
  const Captured c = capture(model_->backend(), [&] { v = result_(Env()); }, "building the result");
  if (c.kind != Failure::None) deferred_.Reject(to_js_error(Env(), c).Value());
  else deferred_.Resolve(v);
}

void NnJob::OnError(const Napi::Error&) {
  Napi::HandleScope scope(Env());
  model_->release();
  deferred_.Reject(to_js_error(Env(), failure_).Value());
}

}  // namespace

std::unique_ptr<NnRuntime> make_cpu_runtime(const nn::Config& config, const nn::Heads& heads, const Napi::Value& options) {
  check_nn_option_keys(options, {"threads"});
  auto rt = std::make_unique<CpuRuntime>(config, heads);
  if (!options.IsUndefined()) {
    const Napi::Value t = options.As<Napi::Object>().Get("threads");
    if (!t.IsUndefined()) rt->set_threads(read_nn_threads(t, "options.threads"));
  }
  return rt;
}

void init_nn(Napi::Env env, Napi::Object exports, const Backend& backend, NnRuntimeFactory factory) {
  exports.Set("NnModel", NnModel::Define(env, backend, factory));
}

}  // namespace optical
