#include "runner.h"

#include <iterator>
#include <memory>
#include <new>
#include <vector>

namespace optical {

namespace {

class JobWorker : public Napi::AsyncWorker {
 public:
  JobWorker(Napi::Env env, const Backend& backend, std::unique_ptr<Job> job)
      : Napi::AsyncWorker(env, (std::string("optical:") + backend.name).c_str()),
        backend_(backend),
        job_(std::move(job)),
        deferred_(Napi::Promise::Deferred::New(env)) {}

  Napi::Promise promise() const { return deferred_.Promise(); }

  void Execute() override {
    failure_ = capture(backend_, [&] { job_->execute(); });
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
  const Backend& backend_;
  std::unique_ptr<Job> job_;
  Napi::Promise::Deferred deferred_;
  Captured failure_;
};

// What one exported function runs: an operation on a backend.
struct Entry {
  const Backend* backend;
  MakeJob make;
};

std::unique_ptr<Job> make_job(const Entry& e, const Napi::CallbackInfo& info, bool copyInputs) {
  if (e.backend->before) e.backend->before();
  return e.make(info, copyInputs, e.backend->kernels());
}

Napi::Value run_sync(const Napi::CallbackInfo& info) {
  const Entry& e = *static_cast<const Entry*>(info.Data());
  std::unique_ptr<Job> job;
  const Captured c = capture(*e.backend, [&] {
    job = make_job(e, info, false);
    job->execute();
  });
  if (c.kind != Failure::None) throw to_js_error(info.Env(), c);
  return job->result(info.Env());
}

Napi::Value run_async(const Napi::CallbackInfo& info) {
  const Entry& e = *static_cast<const Entry*>(info.Data());
  const Napi::Env env = info.Env();
  std::unique_ptr<Job> job;
  const Captured c = capture(*e.backend, [&] { job = make_job(e, info, true); });
  if (c.kind != Failure::None) {
    auto d = Napi::Promise::Deferred::New(env);
    d.Reject(to_js_error(env, c).Value());
    return d.Promise();
  }
  auto* worker = new JobWorker(env, *e.backend, std::move(job));  // deleted by Node-API after OnOK/OnError
  const Napi::Promise p = worker->promise();
  worker->Queue();
  return p;
}

}  // namespace

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

void export_jobs(Napi::Env env, Napi::Object exports, const Backend& backend) {
  struct Operation {
    const char* name;
    MakeJob make;
  };
  static constexpr Operation kOperations[] = {
      {"sinkhorn", make_sinkhorn_job},
      {"costMatrices", make_cost_job},
      {"otLoss", make_ot_loss_job},
  };
  // The functions' data: one Entry per operation, freed when this environment (the main thread or
  // a worker thread that loaded the addon) shuts down.
  auto* entries = new std::vector<Entry>();
  entries->reserve(std::size(kOperations));
  for (const Operation& op : kOperations) entries->push_back(Entry{&backend, op.make});
  env.AddCleanupHook([entries] { delete entries; });
  for (Entry& entry : *entries) {
    const char* name = kOperations[&entry - entries->data()].name;
    const std::string syncName = std::string(name) + "Sync";
    exports.Set(syncName, Napi::Function::New(env, run_sync, syncName, &entry));
    exports.Set(name, Napi::Function::New(env, run_async, name, &entry));
  }
}

}  // namespace optical
