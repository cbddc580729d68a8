// The CUDA addon (build-cuda/Release/optical_cuda.node): exports the NativeAddon object of
// src/ot/native-addon.ts with backend 'cuda', plus probe() and the encoder engine's NnModel (the
// CPU addon's class over a GPU runtime: native/cuda/nn).
//
// Arguments are read and checked by the CPU binding's code (native/binding/js_args.h) and the
// core's validators (ot::validate_*), so both addons accept and reject exactly the same inputs with
// the same TypeError/RangeError messages. Only the compute step differs: optical::cuda::* instead of
// ot::*. Each call is a Job (native/binding/jobs.h) run by the shared runner (native/binding/
// runner.h): built on the JS thread (inputs read, copied for async calls, outputs allocated),
// executed without Node-API (on a libuv worker for the async entry points, where the GPU work runs
// on the job's own CUDA stream), then turned into the JS result. This file names the backend: its
// kernels, the device check before every call, and how CUDA failures become JS errors.
//
// Errors: with no usable device every compute entry point throws (or rejects with) an Error whose
// message is "optical cuda: no usable CUDA device: <probe().reason>" and whose code is
// 'ERR_OPTICAL_NO_CUDA_DEVICE'; a CUDA runtime failure becomes an Error whose message and `code`
// carry the cudaError_t name (cudaGetErrorName). A sticky failure resets the device (DeviceJob), so
// the process stays usable.
#include <napi.h>

#include <exception>
#include <string>

#include "binding/jobs.h"
#include "binding/runner.h"
#include "core/ot.h"
#include "cuda/cuda_errors.h"
#include "cuda/cuda_ot.h"
#include "cuda/nn_runtime_cuda.h"
#include "cuda/probe.h"

namespace optical::cuda {

namespace {

// ---- the backend ---------------------------------------------------------------------------------

// CUDA failures become Errors whose `code` a user can search for (runner.h maps everything else).
bool classify(const std::exception& e, Captured& c) {
  if (const auto* d = dynamic_cast<const DeviceUnavailable*>(&e)) {
    c.kind = Failure::Other;
    c.message = std::string("optical cuda: ") + d->what();
    c.code = "ERR_OPTICAL_NO_CUDA_DEVICE";
    return true;
  }
  if (const auto* x = dynamic_cast<const CudaError*>(&e)) {
    c.kind = Failure::Other;
    c.message = std::string("optical cuda: ") + x->what();
    c.code = cudaGetErrorName(x->code());
    return true;
  }
  return false;
}

/** Checked before reading arguments: on a machine without a GPU every call fails the same way. */
void require_device() {
  const ProbeResult& p = probe();
  if (!p.available) throw DeviceUnavailable("no usable CUDA device: " + p.reason);
}

void check_problem_count(const ot::RaggedLayout& L) {
  // Problems become thread blocks indexed by int32.
  if (L.batch > 0x7fffffff)
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "rows: the CUDA backend takes at most 2147483647 problems per call, got " +
                                std::to_string(L.batch));
}

// The CUDA kernels as the compute step of the shared jobs (native/binding/jobs.cpp). They neither
// check the cost entries nor run without a plan buffer: the jobs do the one and lend the other.
const Kernels& cuda_kernels() {
  static const Kernels k{
      [](const ot::RaggedLayout& L, const ot::SinkhornInputs& in, const ot::SinkhornOptions& o,
         const ot::SinkhornOutputs& out) { optical::cuda::sinkhorn(L, in, o, out); },
      [](const ot::RaggedLayout& L, int64_t dim, const float* x, const float* y, ot::CostKind kind, float* out,
         int /*threads: the device decides*/) { optical::cuda::cost_matrices(L, dim, x, y, kind, out); },
      [](const ot::RaggedLayout& L, const ot::OtLossInputs& in, ot::CostKind kind, const ot::SinkhornOptions& o,
         const ot::OtLossOutputs& out) { optical::cuda::ot_loss(L, in, kind, o, out); },
      check_problem_count,
      false,
      false,
  };
  return k;
}

const Backend kCuda{"cuda", cuda_kernels, require_device, classify, "optical cuda native error: "};

// ---- probe ---------------------------------------------------------------------------------------

Napi::Value Probe(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const ProbeResult& p = probe();
  Napi::Array devices = Napi::Array::New(env, p.devices.size());
  for (std::size_t d = 0; d < p.devices.size(); ++d) {
    const DeviceInfo& di = p.devices[d];
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", di.name);
    o.Set("computeCapability", std::to_string(di.major) + "." + std::to_string(di.minor));
    o.Set("totalMemory", static_cast<double>(di.totalMemory));
    devices.Set(static_cast<uint32_t>(d), o);
  }
  Napi::Object r = Napi::Object::New(env);
  r.Set("available", p.available);
  r.Set("deviceCount", p.deviceCount);
  r.Set("devices", devices);
  r.Set("driverVersion", p.driverVersion);
  r.Set("runtimeVersion", p.runtimeVersion);
  r.Set("reason", p.reason);
  return r;
}

Napi::Value Threads(const Napi::CallbackInfo& info) {
  // Host threads a call uses: one (it drives the GPU; the work itself runs on the device).
  return Napi::Number::New(info.Env(), 1);
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::String::New(env, "cuda"));
  exports.Set("version", Napi::String::New(env, ot::kCoreVersion));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("probe", Napi::Function::New(env, Probe, "probe"));
  export_jobs(env, exports, kCuda);
  init_nn(env, exports, kCuda, make_cuda_runtime);  // the encoder engine on the GPU
  return exports;
}

}  // namespace

}  // namespace optical::cuda

static Napi::Object InitOpticalCuda(Napi::Env env, Napi::Object exports) { return optical::cuda::Init(env, exports); }

NODE_API_MODULE(optical_cuda, InitOpticalCuda)
