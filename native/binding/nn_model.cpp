// NnModel: an object-wrapped native/nn model. Construction copies the config and every tensor;
// step / optimizerStep / encode copy their arguments into C++ structs on the JS thread and run on
// a libuv worker (Napi::AsyncWorker), one at a time per model; the other methods are synchronous
// copies. C++ failures become JS errors: ot::ArgumentError → TypeError / RangeError (the message
// names the argument), std::bad_alloc → RangeError, anything else → Error.
#include <atomic>
#include <new>

#include "../core/fast_math.h"
#include "../core/isa.h"
#include "../nn/gemm.h"
#include "js_args.h"
#include "nn_binding.h"

namespace optical {

namespace {

enum class Failure { None, Type, Range, Other };

Napi::Error js_error(Napi::Env env, Failure kind, const std::string& message) {
  switch (kind) {
    case Failure::Type: return Napi::TypeError::New(env, message);
    case Failure::Range: return Napi::RangeError::New(env, message);
    default: return Napi::Error::New(env, message);
  }
}

template <class F>
Failure capture(F&& fn, std::string& message, const char* what) {
  try {
    fn();
    return Failure::None;
  } catch (const Napi::Error&) {
    throw;
  } catch (const ot::ArgumentError& e) {
    message = e.what();
    return e.kind() == ot::ArgumentError::Kind::Type ? Failure::Type : Failure::Range;
  } catch (const std::bad_alloc&) {
    message = std::string("out of memory ") + what;
    return Failure::Range;
  } catch (const std::exception& e) {
    message = std::string("optical native engine error ") + what + ": " + e.what();
    return Failure::Other;
  }
}

// Runs fn on the JS thread; a failure is thrown as the matching JS error.
template <class F>
void sync_or_throw(Napi::Env env, F&& fn, const char* what) {
  std::string message;
  const Failure f = capture(fn, message, what);
  if (f != Failure::None) throw js_error(env, f, message);
}

class NnModel;

// One async call: `run` on a worker, `result` on the JS thread.
class NnJob : public Napi::AsyncWorker {
 public:
  NnJob(Napi::Env env, NnModel* model, Napi::Object self, const char* what, std::function<void()> run,
        std::function<Napi::Value(Napi::Env)> result);
  ~NnJob() override;
  Napi::Promise promise() const { return deferred_.Promise(); }
  void Execute() override {
    failure_ = capture(run_, message_, what_);
    if (failure_ != Failure::None) SetError(message_);
  }
  void OnOK() override;
  void OnError(const Napi::Error&) override;

 private:
  NnModel* model_;
  Napi::ObjectReference self_;  // keeps the model alive while the job runs
  const char* what_;
  std::function<void()> run_;
  std::function<Napi::Value(Napi::Env)> result_;
  Napi::Promise::Deferred deferred_;
  Failure failure_ = Failure::None;
  std::string message_;
};

class NnModel : public Napi::ObjectWrap<NnModel> {
 public:
  static Napi::Function Define(Napi::Env env) {
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
                       });
  }

  // new NnModel(config, tensors, options?)
  explicit NnModel(const Napi::CallbackInfo& info) : Napi::ObjectWrap<NnModel>(info) {
    const Napi::Env env = info.Env();
    sync_or_throw(
        env,
        [&] {
          const nn::Config config = read_nn_config(info[0]);
          std::vector<NamedTensor> tensors = read_tensor_map(info[1], "tensors");
          nn::Heads heads;
          for (const NamedTensor& t : tensors) {
            heads.pooler = heads.pooler || t.name == "pooler.dense.weight";
            heads.classifier = heads.classifier || t.name == "classifier.weight";
            heads.mlm = heads.mlm || t.name == "cls.predictions.transform.dense.weight";
          }
          model_ = std::make_unique<nn::Model>(config, heads);
          model_->params = merged(tensors, true, model_->params, "tensors");
          if (info.Length() > 2 && !info[2].IsUndefined()) model_->threads = read_threads(info[2].As<Napi::Value>(), "options");
        },
        "allocating the model");
  }

  bool busy() const { return busy_.load(); }
  void release() { busy_.store(false); }

 private:
  std::unique_ptr<nn::Model> model_;
  std::atomic<bool> busy_{false};

  void require_idle(Napi::Env env, const char* method) {
    if (!model_) throw Napi::Error::New(env, std::string("NnModel.") + method + ": the model has been disposed");
    if (busy_.load())
      throw Napi::Error::New(env, std::string("NnModel.") + method +
                                      ": the model is busy with an earlier step/optimizerStep/encode call; await it first");
  }

  static int read_threads(const Napi::Value& v, const std::string& owner) {
    if (v.IsNumber()) {
      const double d = v.As<Napi::Number>().DoubleValue();
      if (!(d >= 0 && d <= 4096 && d == std::floor(d)))
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range, "threads must be an integer in [0, 4096] (0 = all), got " + std::to_string(d));
      return static_cast<int>(d);
    }
    if (!v.IsObject()) throw ot::ArgumentError(ot::ArgumentError::Kind::Type, owner + " must be an object");
    const Napi::Value t = v.As<Napi::Object>().Get("threads");
    if (t.IsUndefined()) return 0;
    return read_threads(t, owner + ".threads");
  }

  // `base` with the given tensors written in (checked completely before anything is returned, so a
  // bad argument changes nothing); `all`: every tensor of the model must be given.
  std::vector<float> merged(const std::vector<NamedTensor>& tensors, bool all, const std::vector<float>& base,
                            const std::string& what) const {
    std::vector<float> out = base.empty() ? std::vector<float>(model_->params.size(), 0.0f) : base;
    std::vector<bool> seen(model_->tensors.size(), false);
    for (const NamedTensor& t : tensors) {
      const std::string where = what + "['" + t.name + "']";
      const nn::TensorInfo* info = model_->find(t.name);
      if (!info)
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                                where + " is not a parameter of this model (it has " + std::to_string(model_->tensors.size()) +
                                    " tensors named as in HF BertModel, e.g. '" + model_->tensors[0].name + "')");
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
      seen[static_cast<size_t>(info - model_->tensors.data())] = true;
    }
    if (all)
      for (size_t i = 0; i < seen.size(); ++i)
        if (!seen[i]) throw ot::ArgumentError(ot::ArgumentError::Kind::Range, what + " lacks '" + model_->tensors[i].name + "'");
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

  Napi::Value rejected(Napi::Env env, Failure f, const std::string& message) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(js_error(env, f, message).Value());
    return d.Promise();
  }

  // step(spec) → Promise<{ loss, terms, profile? }>
  Napi::Value Step(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!model_) return rejected(env, Failure::Other, "NnModel.step: the model has been disposed");
    if (busy_.load()) return rejected(env, Failure::Other, "NnModel.step: the model is busy with an earlier call; await it first");
    auto spec = std::make_shared<nn::StepSpec>();
    std::string message;
    const Failure f = capture([&] {
      *spec = read_step_spec(info[0]);
      nn::validate_step(*model_, *spec);
    }, message, "reading the step");
    if (f != Failure::None) return rejected(env, f, message);
    auto out = std::make_shared<nn::StepResult>();
    nn::Model* m = model_.get();
    return queue(info, "running the step", [m, spec, out] { *out = nn::step(*m, *spec, ot::default_pool()); },
                 [spec, out](Napi::Env e) -> Napi::Value { return step_result_to_js(e, *out, spec->profile); });
  }

  // optimizerStep({ lr, weightDecay?, beta1?, beta2?, epsilon?, clipNorm? }) → Promise<{ gradNorm, finite, clipScale, step, nonFinite? }>
  Napi::Value OptimizerStep(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!model_) return rejected(env, Failure::Other, "NnModel.optimizerStep: the model has been disposed");
    if (busy_.load()) return rejected(env, Failure::Other, "NnModel.optimizerStep: the model is busy with an earlier call; await it first");
    nn::AdamWOptions o;
    std::string message;
    const Failure f = capture([&] { o = read_adamw_options(info[0]); }, message, "reading the optimizer options");
    if (f != Failure::None) return rejected(env, f, message);
    auto out = std::make_shared<nn::AdamWResult>();
    nn::Model* m = model_.get();
    return queue(info, "in the optimizer step", [m, o, out] {
      const ot::FlushDenormals ftz;
      const nn::Ctx c{&ot::default_pool(), m->threads, nullptr};
      *out = nn::adamw_step(*m, c, o);
    }, [out, m](Napi::Env e) -> Napi::Value {
      Napi::Object r = Napi::Object::New(e);
      r.Set("gradNorm", out->gradNorm);
      r.Set("finite", out->finite);
      r.Set("clipScale", out->clipScale);
      r.Set("step", static_cast<double>(m->adamSteps));
      if (!out->nonFinite.empty()) r.Set("nonFinite", out->nonFinite);
      return r;
    });
  }

  // encode(input, { layers?, pooling?, normalize?, logits? }) → Promise<{ hidden: Float32Array[], pooled?, logits? }>
  Napi::Value Encode(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    if (!model_) return rejected(env, Failure::Other, "NnModel.encode: the model has been disposed");
    if (busy_.load()) return rejected(env, Failure::Other, "NnModel.encode: the model is busy with an earlier call; await it first");
    auto in = std::make_shared<nn::EncodeInput>();
    nn::EncodeOptions o;
    std::string message;
    const Failure f = capture([&] {
      *in = read_encode_input(info[0], "input");
      o = read_encode_options(info[1]);
      nn::validate_input(*model_, *in, "input");
    }, message, "reading the input");
    if (f != Failure::None) return rejected(env, f, message);
    auto out = std::make_shared<nn::EncodeResult>();
    nn::Model* m = model_.get();
    return queue(info, "encoding", [m, in, o, out] { *out = nn::encode(*m, *in, o, ot::default_pool()); },
                 [out](Napi::Env e) -> Napi::Value { return encode_result_to_js(e, *out); });
  }

  Napi::Value GetParameters(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "getParameters");
    return tensors_to_js(info.Env(), *model_, model_->params);
  }

  Napi::Value SetParameters(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "setParameters");
    sync_or_throw(info.Env(), [&] { model_->params = merged(read_tensor_map(info[0], "tensors"), false, model_->params, "tensors"); },
                  "setting parameters");
    return info.Env().Undefined();
  }

  Napi::Value GetGradients(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "getGradients");
    return tensors_to_js(info.Env(), *model_, model_->grads);
  }

  Napi::Value ZeroGradients(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "zeroGradients");
    if (!model_->grads.empty()) model_->zero_grads();
    return info.Env().Undefined();
  }

  // { step, m: tensors, v: tensors }
  Napi::Value GetOptimizerState(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "getOptimizerState");
    const Napi::Env env = info.Env();
    Napi::Object r = Napi::Object::New(env);
    r.Set("step", static_cast<double>(model_->adamSteps));
    r.Set("m", tensors_to_js(env, *model_, model_->m));
    r.Set("v", tensors_to_js(env, *model_, model_->v));
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
      model_->m = std::move(m);
      model_->v = std::move(v);
      model_->adamSteps = static_cast<int64_t>(step);
    }, "setting the optimizer state");
    return env.Undefined();
  }

  // Frees the buffers now instead of at garbage collection.
  Napi::Value Dispose(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "dispose");
    model_.reset();
    return info.Env().Undefined();
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    const Napi::Env env = info.Env();
    require_idle(env, "info");
    Napi::Object r = Napi::Object::New(env);
    r.Set("parameters", static_cast<double>(model_->parameterCount()));
    Napi::Object heads = Napi::Object::New(env);
    heads.Set("pooler", model_->heads.pooler);
    heads.Set("classifier", model_->heads.classifier);
    heads.Set("mlm", model_->heads.mlm);
    r.Set("heads", heads);
    r.Set("gemm", Napi::String::New(env, nn::gemm_info().kernel));
    r.Set("isa", Napi::String::New(env, ot::to_string(ot::isa_choice().active)));
    r.Set("poolThreads", ot::default_pool().size());
    r.Set("optimizerStep", static_cast<double>(model_->adamSteps));
    return r;
  }

  Napi::Value GetThreads(const Napi::CallbackInfo& info) {
    require_idle(info.Env(), "threads");
    return Napi::Number::New(info.Env(), model_->threads);
  }

  void SetThreads(const Napi::CallbackInfo& info, const Napi::Value& value) {
    require_idle(info.Env(), "threads");
    sync_or_throw(info.Env(), [&] { model_->threads = read_threads(value, "threads"); }, "setting threads");
  }
};

NnJob::NnJob(Napi::Env env, NnModel* model, Napi::Object self, const char* what, std::function<void()> run,
             std::function<Napi::Value(Napi::Env)> result)
    : Napi::AsyncWorker(env, "optical:nn"),
      model_(model),
      self_(Napi::Persistent(self)),
      what_(what),
      run_(std::move(run)),
      result_(std::move(result)),
      deferred_(Napi::Promise::Deferred::New(env)) {}

NnJob::~NnJob() = default;

void NnJob::OnOK() {
  Napi::HandleScope scope(Env());
  model_->release();
  Napi::Value v;
  std::string message;
  const Failure f = capture([&] { v = result_(Env()); }, message, "building the result");
  if (f != Failure::None) deferred_.Reject(js_error(Env(), f, message).Value());
  else deferred_.Resolve(v);
}

void NnJob::OnError(const Napi::Error&) {
  Napi::HandleScope scope(Env());
  model_->release();
  deferred_.Reject(js_error(Env(), failure_, message_).Value());
}

}  // namespace

void init_nn(Napi::Env env, Napi::Object exports) { exports.Set("NnModel", NnModel::Define(env)); }

}  // namespace optical
