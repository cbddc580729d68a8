// The CUDA addon's NnModel runtime (native/binding/nn_runtime.h): the model's state lives on one
// GPU and every call runs there (native/cuda/nn/engine.h). Options: device (index, default the
// first GPU with compute capability ≥ 8.0), precision ('fp32' | 'tf32' | 'bf16': the GEMMs'
// tensor-core autocast; default fp32) and threads (kept for the API; the GPU does the work).
#include "cuda/nn_runtime_cuda.h"

#include <cmath>

#include "cuda/cuda_errors.h"
#include "cuda/nn/engine.h"
#include "cuda/probe.h"

namespace optical::cuda {

namespace {

class CudaRuntime : public NnRuntime {
 public:
  CudaRuntime(const ::nn::Config& config, const ::nn::Heads& heads, const nn::EngineOptions& o)
      : model_(config, heads), engine_(model_, o) {}

  ::nn::Model& model() override { return model_; }
  void pull(unsigned parts) override {
    if (parts & kParams) engine_.pull_params();
    if (parts & kGrads) engine_.pull_grads();
    if (parts & kMoments) engine_.pull_moments();
  }
  void push(unsigned parts) override {
    if (parts & kParams) engine_.push_params();
    if (parts & kMoments) engine_.push_moments();
  }
  ::nn::StepResult step(const ::nn::StepSpec& spec) override { return engine_.step(spec); }
  ::nn::AdamWResult optimizer_step(const ::nn::AdamWOptions& o) override { return engine_.optimizer_step(o); }
  ::nn::EncodeResult encode(const ::nn::EncodeInput& in, const ::nn::EncodeOptions& o) override {
    return engine_.encode(in, o);
  }
  void zero_grads() override { engine_.zero_grads(); }
  int threads() const override { return threads_; }
  void set_threads(int t) override { threads_ = t; }
  InfoList describe() const override {
    const nn::EngineFacts& f = engine_.facts();
    return {{"engine", InfoValue::of(std::string("cuda"))},
            {"device", InfoValue::of(static_cast<double>(f.device))},
            {"deviceName", InfoValue::of(f.name)},
            {"computeCapability", InfoValue::of(f.computeCapability)},
            {"totalMemory", InfoValue::of(static_cast<double>(f.totalMemory))},
            {"freeMemory", InfoValue::of(static_cast<double>(f.freeMemory))},
            {"gemm", InfoValue::of(f.gemm)},
            {"gemmNote", InfoValue::of(f.gemmNote)},
            {"precision", InfoValue::of(f.precision)}};
  }

 private:
  ::nn::Model model_;
  nn::CudaEngine engine_;
  int threads_ = 0;
};

}  // namespace

std::unique_ptr<NnRuntime> make_cuda_runtime(const ::nn::Config& config, const ::nn::Heads& heads,
                                             const Napi::Value& options) {
  const ProbeResult& p = probe();
  if (!p.available) throw DeviceUnavailable("no usable CUDA device: " + p.reason);
  check_nn_option_keys(options, {"threads", "device", "precision"});
  nn::EngineOptions o;
  int threads = 0;
  if (!options.IsUndefined()) {
    const Napi::Object opts = options.As<Napi::Object>();
    const Napi::Value d = opts.Get("device");
    if (!d.IsUndefined()) {
      if (!d.IsNumber()) throw ot::ArgumentError(ot::ArgumentError::Kind::Type, "options.device must be a device index (a number)");
      const double v = d.As<Napi::Number>().DoubleValue();
      if (!(v >= 0 && v == std::floor(v) && v < 1024))
        throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                                "options.device must be an integer device index >= 0, got " + std::to_string(v));
      o.device = static_cast<int>(v);
    }
    const Napi::Value pr = opts.Get("precision");
    if (!pr.IsUndefined()) {
      if (!pr.IsString()) throw ot::ArgumentError(ot::ArgumentError::Kind::Type, "options.precision must be 'fp32', 'tf32' or 'bf16'");
      o.precision = pr.As<Napi::String>().Utf8Value();
    }
    const Napi::Value t = opts.Get("threads");
    if (!t.IsUndefined()) threads = read_nn_threads(t, "options.threads");
  }
  auto rt = std::make_unique<CudaRuntime>(config, heads, o);
  rt->set_threads(threads);
  return rt;
}

}  // namespace optical::cuda
