// The CPU addon (build/Release/optical.node): exports exactly the NativeAddon object of
// src/ot/native-addon.ts. Sync functions run the job on the calling thread; async ones validate and
// copy on the JS thread, run on a libuv worker (Napi::AsyncWorker) and settle a Promise.
#include <napi.h>

#include <new>
#include <string>

#include "../core/ot.h"
#include "jobs.h"

namespace optical {

namespace {

using JobFactory = std::unique_ptr<Job> (*)(const Napi::CallbackInfo&, bool, const Kernels&);

// How a C++ failure is presented in JS.
enum class Failure { None, Type, Range, Other };

Napi::Error to_js_error(Napi::Env env, Failure kind, const std::string& message) {
  switch (kind) {
    case Failure::Type: return Napi::TypeError::New(env, message);
    case Failure::Range: return Napi::RangeError::New(env, message);
    default: return Napi::Error::New(env, message);
  }
}

// Runs `fn`, translating C++ exceptions into (kind, message). Napi::Error passes through untouched.
template <class F>
Failure capture(F&& fn, std::string& message) {
  try {
    fn();
    return Failure::None;
  } catch (const Napi::Error&) {
    throw;
  } catch (const ot::ArgumentError& e) {
    message = e.what();
    return e.kind() == ot::ArgumentError::Kind::Type ? Failure::Type : Failure::Range;
  } catch (const std::bad_alloc&) {
    message = "out of memory: the problem is too large for the available memory";
    return Failure::Range;
  } catch (const std::exception& e) {
    message = std::string("optical native error: ") + e.what();
    return Failure::Other;
  }
}

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, std::unique_ptr<Job> job)
      : Napi::AsyncWorker(env, "optical:ot"), job_(std::move(job)), deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    failure_ = capture([&] { job_->execute(); }, message_);
    if (failure_ != Failure::None) SetError(message_);
  }

  void OnOK() override {
    Napi::HandleScope scope(Env());
    deferred_.Resolve(job_->result(Env()));
    job_.reset();
  }

  void OnError(const Napi::Error&) override {
    Napi::HandleScope scope(Env());
    deferred_.Reject(to_js_error(Env(), failure_, message_).Value());
    job_.reset();
  }

 private:
  std::unique_ptr<Job> job_;
  Napi::Promise::Deferred deferred_;
  Failure failure_ = Failure::None;
  std::string message_;
};

Napi::Value run_sync(const Napi::CallbackInfo& info, JobFactory make) {
  const Napi::Env env = info.Env();
  std::unique_ptr<Job> job;
  std::string message;
  const Failure f = capture(
      [&] {
        job = make(info, false, cpu_kernels());
        job->execute();
      },
      message);
  if (f != Failure::None) throw to_js_error(env, f, message);
  return job->result(env);
}

Napi::Value run_async(const Napi::CallbackInfo& info, JobFactory make) {
  const Napi::Env env = info.Env();
  std::unique_ptr<Job> job;
  std::string message;
  const Failure f = capture([&] { job = make(info, true, cpu_kernels()); }, message);
  if (f != Failure::None) {
    // Bad arguments reject the promise rather than throwing synchronously.
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(to_js_error(env, f, message).Value());
    return d.Promise();
  }
  auto* worker = new JobWorker(env, std::move(job));  // owned by Node-API: deleted after OnOK/OnError
  const Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

Napi::Value Threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ot::default_pool().size());
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::String::New(env, "cpu"));
  exports.Set("version", Napi::String::New(env, ot::kCoreVersion));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("sinkhornSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make_sinkhorn_job); }, "sinkhornSync"));
  exports.Set("sinkhorn", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make_sinkhorn_job); }, "sinkhorn"));
  exports.Set("costMatricesSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make_cost_job); }, "costMatricesSync"));
  exports.Set("costMatrices", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make_cost_job); }, "costMatrices"));
  exports.Set("otLossSync", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_sync(i, make_ot_loss_job); }, "otLossSync"));
  exports.Set("otLoss", Napi::Function::New(env, [](const Napi::CallbackInfo& i) { return run_async(i, make_ot_loss_job); }, "otLoss"));
  return exports;
}

}  // namespace optical

static Napi::Object InitOptical(Napi::Env env, Napi::Object exports) { return optical::Init(env, exports); }

NODE_API_MODULE(optical, InitOptical)
