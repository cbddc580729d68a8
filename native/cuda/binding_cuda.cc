// The CUDA addon (build-cuda/Release/optical_cuda.node): exports the NativeAddon object of
// src/ot/native-addon.ts with backend 'cuda', plus probe().
//
// Arguments are read and checked by the CPU binding's code (native/binding/js_args.h) and the
// core's validators (ot::validate_*), so both addons accept and reject exactly the same inputs with
// the same TypeError/RangeError messages. Only the compute step differs: optical::cuda::* instead of
// ot::*. Each call is a Job (native/binding/jobs.h): built on the JS thread (inputs read, copied for
// async calls, outputs allocated), executed without Node-API (on a libuv worker for the async entry
// points, where the GPU work runs on the job's own CUDA stream), then turned into the JS result.
//
// Errors: with no usable device every compute entry point throws (or rejects with) an Error whose
// message is "optical cuda: no usable CUDA device: <probe().reason>" and whose code is
// 'ERR_OPTICAL_NO_CUDA_DEVICE'; a CUDA runtime failure becomes an Error whose message and `code`
// carry the cudaError_t name (cudaGetErrorName). A sticky failure resets the device (DeviceJob), so
// the process stays usable.
#include <napi.h>

#include <cmath>
#include <memory>
#include <new>
#include <string>

#include "binding/jobs.h"
#include "binding/js_args.h"
#include "core/ot.h"
#include "cuda/cuda_errors.h"
#include "cuda/cuda_ot.h"
#include "cuda/probe.h"

namespace optical::cuda {

namespace {

// ---- failures -----------------------------------------------------------------------------------

enum class Failure { None, Type, Range, NoDevice, Cuda, Other };

struct Captured {
  Failure kind = Failure::None;
  std::string message;
  std::string code;  // JS error.code
};

Napi::Error to_js_error(Napi::Env env, const Captured& c) {
  Napi::Error err;
  switch (c.kind) {
    case Failure::Type: err = Napi::TypeError::New(env, c.message); break;
    case Failure::Range: err = Napi::RangeError::New(env, c.message); break;
    default: err = Napi::Error::New(env, c.message); break;
  }
  if (!c.code.empty()) err.Set("code", Napi::String::New(env, c.code));
  return err;
}

template <class F>
Captured capture(F&& fn) {
  Captured c;
  try {
    fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const ot::ArgumentError& e) {
    c.kind = e.kind() == ot::ArgumentError::Kind::Type ? Failure::Type : Failure::Range;
    c.message = e.what();
  } catch (const DeviceUnavailable& e) {
    c.kind = Failure::NoDevice;
    c.message = std::string("optical cuda: ") + e.what();
    c.code = "ERR_OPTICAL_NO_CUDA_DEVICE";
  } catch (const CudaError& e) {
    c.kind = Failure::Cuda;
    c.message = std::string("optical cuda: ") + e.what();
    c.code = cudaGetErrorName(e.code());
  } catch (const std::bad_alloc&) {
    c.kind = Failure::Range;
    c.message = "out of memory: the problem is too large for the available host memory";
  } catch (const std::exception& e) {
    c.kind = Failure::Other;
    c.message = std::string("optical cuda native error: ") + e.what();
  }
  return c;
}

/** Checked before reading arguments: on a machine without a GPU every call fails the same way. */
void require_device() {
  const ProbeResult& p = probe();
  if (!p.available) throw DeviceUnavailable("no usable CUDA device: " + p.reason);
}

// ---- jobs ---------------------------------------------------------------------------------------

void check_problem_count(const ot::RaggedLayout& L) {
  // Problems become thread blocks indexed by int32.
  if (L.batch > 0x7fffffff)
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "rows: the CUDA backend takes at most 2147483647 problems per call, got " +
                                std::to_string(L.batch));
}

// The CUDA kernels as the compute step of the shared jobs (native/binding/jobs.cpp).
const Kernels& cuda_kernels() {
  static const Kernels k{
      [](const ot::RaggedLayout& L, const ot::SinkhornInputs& in, const ot::SinkhornOptions& o,
         const ot::SinkhornOutputs& out) { optical::cuda::sinkhorn(L, in, o, out); },
      [](const ot::RaggedLayout& L, int64_t dim, const float* x, const float* y, ot::CostKind kind, float* out,
         int /*threads: the device decides*/) { optical::cuda::cost_matrices(L, dim, x, y, kind, out); },
      [](const ot::RaggedLayout& L, const ot::OtLossInputs& in, ot::CostKind kind, const ot::SinkhornOptions& o,
         const ot::OtLossOutputs& out) { optical::cuda::ot_loss(L, in, kind, o, out); },
      check_problem_count,
  };
  return k;
}

using MakeJob = std::unique_ptr<Job> (*)(const Napi::CallbackInfo&, bool, const Kernels&);

template <MakeJob Make>
std::unique_ptr<Job> make(const Napi::CallbackInfo& info, bool copy) {
  require_device();
  return Make(info, copy, cuda_kernels());
}

using JobFactory = std::unique_ptr<Job> (*)(const Napi::CallbackInfo&, bool);

// ---- sync / async runners ------------------------------------------------------------------------

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, std::unique_ptr<Job> job)
      : Napi::AsyncWorker(env, "optical:cuda"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    failure_ = capture([&] { job_->execute(); });
    if (failure_.kind != Failure::None) SetError(failure_.message);
  }

  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(job_->result(Env()));
    job_.reset();
  }

  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(to_js_error(Env(), failure_).Value());
    job_.reset();
  }

 private:
  std::unique_ptr<Job> job_;
  Napi::Promise::Deferred deferred_;
  Captured failure_;
};

Napi::Value run_sync(const Napi::CallbackInfo& info, JobFactory factory) {
  std::unique_ptr<Job> job;
  const Captured c = capture([&] {
    job = factory(info, false);
    job->execute();
  });
  if (c.kind != Failure::None) throw to_js_error(info.Env(), c);
  return job->result(info.Env());
}

Napi::Value run_async(const Napi::CallbackInfo& info, JobFactory factory) {
  const Napi::Env env = info.Env();
  std::unique_ptr<Job> job;
  const Captured c = capture([&] { job = factory(info, true); });
  if (c.kind != Failure::None) {
    // Like the CPU addon: failures before the job starts reject the promise, never throw.
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(to_js_error(env, c).Value());
    return d.Promise();
  }
  auto* worker = new JobWorker(env, std::move(job));  // deleted by Node-API after OnOK/OnError
  const Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

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
  exports.Set("sinkhornSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make<make_sinkhorn_job>); }, "sinkhornSync"));
  exports.Set("sinkhorn", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make<make_sinkhorn_job>); }, "sinkhorn"));
  exports.Set("costMatricesSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make<make_cost_job>); }, "costMatricesSync"));
  exports.Set("costMatrices", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make<make_cost_job>); }, "costMatrices"));
  exports.Set("otLossSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make<make_ot_loss_job>); }, "otLossSync"));
  exports.Set("otLoss", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make<make_ot_loss_job>); }, "otLoss"));
  return exports;
}

}  // namespace

}  // namespace optical::cuda

static Napi::Object InitOpticalCuda(Napi::Env env, Napi::Object exports) { return optical::cuda::Init(env, exports); }

NODE_API_MODULE(optical_cuda, InitOpticalCuda)
