// CudaEngine (engine.h): engine_core.h run as GPU jobs, with the real OT chain and the real GEMMs.
// The only translation unit that compiles the engine's kernels (nvcc needs a kernel defined where
// it is launched; no relocatable device code).
#include "cuda/nn/engine.h"

#include <string>

#include "cuda/batch_device.h"
#include "cuda/device_job.h"
#include "cuda/nn/engine_core.h"
#include "cuda/probe.h"

namespace optical::cuda::nn {

namespace {

/** The fused OT chain of the CUDA backend on the engine's device buffers. */
class DeviceOt : public OtRunner {
 public:
  explicit DeviceOt(DeviceJob& job) : job_(job) {}
  void run(const Ctx& c, const ot::RaggedLayout& L, int64_t dim, const float* teacher, const float* student,
           const float* a, const float* b, ot::CostKind kind, const ot::SinkhornOptions& o,
           const OtTermOutputs& out) override {
    (void)c;  // the job's stream is the call's stream
    const DeviceLayout dL = upload_layout(job_, L);
    DeviceOtLossOutputs d{};
    d.plan = out.plan;
    d.grad = out.grad;
    d.cost = out.cost;
    d.value = out.value;
    d.iterations = out.iterations;
    d.error = out.error;
    d.converged = out.converged;
    ot_loss_on_device(job_, L, dL, dim, teacher, student, a, b, kind, o, d);
  }

 private:
  DeviceJob& job_;
};

GemmPrecision parse_precision(const std::string& p) {
  if (p == "fp32") return GemmPrecision::Fp32;
  if (p == "tf32") return GemmPrecision::Tf32;
  if (p == "bf16") return GemmPrecision::Bf16;
  throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                          "options.precision must be 'fp32', 'tf32' or 'bf16', got '" + p + "'");
}

}  // namespace

struct CudaEngine::Impl {
  Impl(::nn::Model& host, GemmPrecision precision, int device) : core(host, precision), device(device) {}
  EngineCore core;
  int device;
  int resets = 0;  // device_resets(device) when the model's memory was allocated

  template <class Body>
  void run(const char* what, Body&& body) {
    run_on_device(device, [&](DeviceJob& job) {
      if (device_resets(device) != resets)
        throw std::runtime_error(std::string("optical cuda engine: cannot run ") + what + ": device " +
                                 std::to_string(device) +
                                 " was reset after a CUDA failure poisoned its context, and this model's parameters, "
                                 "gradients and optimizer state on it are gone; create the model again (from its last "
                                 "checkpoint)");
      Stream s;
      s.s = job.stream();
      body(job, s);
    });
  }
};

CudaEngine::CudaEngine(::nn::Model& host, const EngineOptions& options) {
  const ProbeResult& p = probe();
  if (!p.available) throw DeviceUnavailable("no usable CUDA device: " + p.reason);
  int device = options.device < 0 ? p.device : options.device;
  if (device >= p.deviceCount) {
    std::string list;
    for (std::size_t d = 0; d < p.devices.size(); ++d)
      list += (d ? ", " : "") + std::to_string(d) + ": " + p.devices[d].name;
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "options.device = " + std::to_string(options.device) + " is not a CUDA device of this machine (" +
                                std::to_string(p.deviceCount) + " device(s): " + list + ")");
  }
  const DeviceInfo& info = p.devices[static_cast<std::size_t>(device)];
  if (!info.supported)
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "options.device = " + std::to_string(device) + " (" + info.name + ", sm_" +
                                std::to_string(info.major) + std::to_string(info.minor) +
                                ") is older than compute capability 8.0, the oldest this build carries code for");
  const GemmPrecision precision = parse_precision(options.precision);
  run_on_device(device, [&](DeviceJob& job) {
    impl_ = std::make_unique<Impl>(host, precision, device);
    impl_->resets = device_resets(device);
    Stream s;
    s.s = job.stream();
    impl_->core.upload_params(s);
    std::size_t freeBytes = 0, totalBytes = 0;
    device_memory(freeBytes, totalBytes);
    facts_.freeMemory = freeBytes;
    facts_.totalMemory = totalBytes;
  });
  facts_.device = device;
  facts_.name = info.name;
  facts_.computeCapability = std::to_string(info.major) + "." + std::to_string(info.minor);
  facts_.gemm = impl_->core.gemm().kernel();
  facts_.gemmNote = impl_->core.gemm().note();
  facts_.precision = to_string(precision);
}

CudaEngine::~CudaEngine() {
  if (!impl_) return;
  // Device memory is freed on the model's device, under the device lock (a job of another model
  // may be running).
  try {
    run_on_device(impl_->device, [&](DeviceJob&) { impl_.reset(); });
  } catch (...) {
    impl_.release();  // the device is gone (reset or unusable): leak rather than free foreign pointers
  }
}

::nn::StepResult CudaEngine::step(const ::nn::StepSpec& spec) {
  ::nn::StepResult r;
  impl_->run("a step", [&](DeviceJob& job, const Stream& s) {
    DeviceOt ot(job);
    r = impl_->core.step(s, spec, ot);
  });
  return r;
}

::nn::AdamWResult CudaEngine::optimizer_step(const ::nn::AdamWOptions& o) {
  ::nn::AdamWResult r;
  impl_->run("an optimizer step", [&](DeviceJob&, const Stream& s) { r = impl_->core.adamw(s, o); });
  return r;
}

::nn::EncodeResult CudaEngine::encode(const ::nn::EncodeInput& in, const ::nn::EncodeOptions& o) {
  ::nn::EncodeResult r;
  impl_->run("encode", [&](DeviceJob&, const Stream& s) { r = impl_->core.encode(s, in, o); });
  return r;
}

void CudaEngine::pull_params() {
  impl_->run("getParameters", [&](DeviceJob&, const Stream& s) { impl_->core.download_params(s); });
}
void CudaEngine::push_params() {
  impl_->run("setParameters", [&](DeviceJob&, const Stream& s) { impl_->core.upload_params(s); });
}
void CudaEngine::pull_grads() {
  impl_->run("getGradients", [&](DeviceJob&, const Stream& s) { impl_->core.download_grads(s); });
}
void CudaEngine::pull_moments() {
  impl_->run("getOptimizerState", [&](DeviceJob&, const Stream& s) { impl_->core.download_moments(s); });
}
void CudaEngine::push_moments() {
  impl_->run("setOptimizerState", [&](DeviceJob&, const Stream& s) { impl_->core.upload_moments(s); });
}
void CudaEngine::zero_grads() {
  impl_->run("zeroGradients", [&](DeviceJob&, const Stream& s) { impl_->core.zero_grads(s); });
}

}  // namespace optical::cuda::nn
