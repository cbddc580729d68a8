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

// Keeps a JS output array alive from job creation until the result object is built.
template <class TA>
struct Output {
  Napi::Reference<TA> ref;
  decltype(std::declval<TA>().Data()) data = nullptr;

  void create(Napi::Env env, int64_t length, const char* what) {
    TA a = allocate<TA>(env, length, what);
    data = a.Data();
    ref = Napi::Persistent(a);
  }
  TA value() const { return ref.Value(); }
};

ot::RaggedLayout read_layout(const Napi::Object& input, int64_t dim = 0) {
  const IntInput rows = read_int32_array(input, "rows", "rows");
  const IntInput cols = read_int32_array(input, "cols", "cols");
  return ot::RaggedLayout::build(rows.values.data(), static_cast<int64_t>(rows.values.size()), cols.values.data(),
                                 static_cast<int64_t>(cols.values.size()), dim);
}

void check_problem_count(const ot::RaggedLayout& L) {
  // Problems become thread blocks indexed by int32.
  if (L.batch > 0x7fffffff)
    throw ot::ArgumentError(ot::ArgumentError::Kind::Range,
                            "rows: the CUDA backend takes at most 2147483647 problems per call, got " +
                                std::to_string(L.batch));
}

class SinkhornJob : public Job {
 public:
  SinkhornJob(const Napi::CallbackInfo& info, bool copy) {
    const Napi::Env env = info.Env();
    const Napi::Object problem = require_object(info[0], "problem");
    options_ = read_options(info[1]).sinkhorn;
    layout_ = read_layout(problem);
    check_problem_count(layout_);
    cost_ = read_float_array(problem, "cost", "cost", copy, false);
    ot::validate_cost(layout_, cost_.data, cost_.length, "cost");
    a_ = read_float_array(problem, "a", "a", copy, true);
    if (a_.present) ot::validate_marginal(layout_, a_.data, a_.length, true, "a");
    b_ = read_float_array(problem, "b", "b", copy, true);
    if (b_.present) ot::validate_marginal(layout_, b_.data, b_.length, false, "b");
    if (std::isinf(options_.rho)) ot::validate_balanced_mass(layout_, a_.data, b_.data);
    const int64_t B = layout_.batch;
    plan_.create(env, layout_.totalCells(), "plan");
    f_.create(env, layout_.totalRows(), "f");
    g_.create(env, layout_.totalCols(), "g");
    costOut_.create(env, B, "cost");
    value_.create(env, B, "value");
    iterations_.create(env, B, "iterations");
    error_.create(env, B, "error");
    converged_.create(env, B, "converged");
  }

  void execute() override {
    ot::SinkhornInputs in;
    in.cost = cost_.data;
    in.a = a_.present ? a_.data : nullptr;
    in.b = b_.present ? b_.data : nullptr;
    ot::SinkhornOutputs out;
    out.plan = plan_.data;
    out.f = f_.data;
    out.g = g_.data;
    out.cost = costOut_.data;
    out.value = value_.data;
    out.iterations = iterations_.data;
    out.error = error_.data;
    out.converged = converged_.data;
    optical::cuda::sinkhorn(layout_, in, options_, out);
  }

  Napi::Value result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("plan", plan_.value());
    r.Set("f", f_.value());
    r.Set("g", g_.value());
    r.Set("cost", costOut_.value());
    r.Set("value", value_.value());
    r.Set("iterations", iterations_.value());
    r.Set("error", error_.value());
    r.Set("converged", converged_.value());
    return r;
  }

 private:
  ot::SinkhornOptions options_;
  ot::RaggedLayout layout_;
  FloatInput cost_, a_, b_;
  Output<Napi::Float32Array> plan_, f_, g_;
  Output<Napi::Float64Array> costOut_, value_, error_;
  Output<Napi::Int32Array> iterations_;
  Output<Napi::Uint8Array> converged_;
};

class CostJob : public Job {
 public:
  CostJob(const Napi::CallbackInfo& info, bool copy) {
    const Napi::Env env = info.Env();
    const Napi::Object pairs = require_object(info[0], "pairs");
    kind_ = read_options(info[1]).kind;
    dim_ = read_positive_integer(pairs, "dim", "dim");
    layout_ = read_layout(pairs, dim_);
    check_problem_count(layout_);
    x_ = read_float_array(pairs, "x", "x", copy, false);
    ot::validate_embeddings(layout_, dim_, x_.data, x_.length, true, "x");
    y_ = read_float_array(pairs, "y", "y", copy, false);
    ot::validate_embeddings(layout_, dim_, y_.data, y_.length, false, "y");
    out_.create(env, layout_.totalCells(), "cost");
  }

  void execute() override { optical::cuda::cost_matrices(layout_, dim_, x_.data, y_.data, kind_, out_.data); }

  Napi::Value result(Napi::Env) override { return out_.value(); }

 private:
  ot::CostKind kind_ = ot::CostKind::Cosine;
  int64_t dim_ = 0;
  ot::RaggedLayout layout_;
  FloatInput x_, y_;
  Output<Napi::Float32Array> out_;
};

class OtLossJob : public Job {
 public:
  OtLossJob(const Napi::CallbackInfo& info, bool copy) {
    const Napi::Env env = info.Env();
    const Napi::Object input = require_object(info[0], "input");
    const ParsedOptions o = read_options(info[1]);
    options_ = o.sinkhorn;
    kind_ = o.kind;
    returnPlan_ = o.returnPlan;
    dim_ = read_positive_integer(input, "dim", "dim");
    layout_ = read_layout(input, dim_);
    check_problem_count(layout_);
    teacher_ = read_float_array(input, "teacher", "teacher", copy, false);
    ot::validate_embeddings(layout_, dim_, teacher_.data, teacher_.length, true, "teacher");
    student_ = read_float_array(input, "student", "student", copy, false);
    ot::validate_embeddings(layout_, dim_, student_.data, student_.length, false, "student");
    a_ = read_float_array(input, "a", "a", copy, true);
    if (a_.present) ot::validate_marginal(layout_, a_.data, a_.length, true, "a");
    b_ = read_float_array(input, "b", "b", copy, true);
    if (b_.present) ot::validate_marginal(layout_, b_.data, b_.length, false, "b");
    if (std::isinf(options_.rho)) ot::validate_balanced_mass(layout_, a_.data, b_.data);
    const int64_t B = layout_.batch;
    cost_.create(env, B, "cost");
    value_.create(env, B, "value");
    grad_.create(env, layout_.totalCols() * dim_, "grad");
    iterations_.create(env, B, "iterations");
    error_.create(env, B, "error");
    converged_.create(env, B, "converged");
    if (returnPlan_) plan_.create(env, layout_.totalCells(), "plan");
  }

  void execute() override {
    ot::OtLossInputs in;
    in.dim = dim_;
    in.teacher = teacher_.data;
    in.student = student_.data;
    in.a = a_.present ? a_.data : nullptr;
    in.b = b_.present ? b_.data : nullptr;
    ot::OtLossOutputs out;
    out.cost = cost_.data;
    out.value = value_.data;
    out.grad = grad_.data;
    out.iterations = iterations_.data;
    out.error = error_.data;
    out.converged = converged_.data;
    out.plan = returnPlan_ ? plan_.data : nullptr;
    optical::cuda::ot_loss(layout_, in, kind_, options_, out);
  }

  Napi::Value result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("cost", cost_.value());
    r.Set("value", value_.value());
    r.Set("grad", grad_.value());
    r.Set("iterations", iterations_.value());
    r.Set("error", error_.value());
    r.Set("converged", converged_.value());
    if (returnPlan_) r.Set("plan", plan_.value());
    return r;
  }

 private:
  ot::SinkhornOptions options_;
  ot::CostKind kind_ = ot::CostKind::Cosine;
  bool returnPlan_ = false;
  int64_t dim_ = 0;
  ot::RaggedLayout layout_;
  FloatInput teacher_, student_, a_, b_;
  Output<Napi::Float64Array> cost_, value_, error_;
  Output<Napi::Float32Array> grad_, plan_;
  Output<Napi::Int32Array> iterations_;
  Output<Napi::Uint8Array> converged_;
};

template <class J>
std::unique_ptr<Job> make(const Napi::CallbackInfo& info, bool copy) {
  require_device();
  return std::make_unique<J>(info, copy);
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
  exports.Set("sinkhornSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make<SinkhornJob>); }, "sinkhornSync"));
  exports.Set("sinkhorn", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make<SinkhornJob>); }, "sinkhorn"));
  exports.Set("costMatricesSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make<CostJob>); }, "costMatricesSync"));
  exports.Set("costMatrices", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make<CostJob>); }, "costMatrices"));
  exports.Set("otLossSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make<OtLossJob>); }, "otLossSync"));
  exports.Set("otLoss", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make<OtLossJob>); }, "otLoss"));
  return exports;
}

}  // namespace

}  // namespace optical::cuda

static Napi::Object InitOpticalCuda(Napi::Env env, Napi::Object exports) { return optical::cuda::Init(env, exports); }

NODE_API_MODULE(optical_cuda, InitOpticalCuda)
