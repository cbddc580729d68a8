// One job per exported operation. A job is built on the JS thread (arguments read, checked and, for
// async calls, copied; output typed arrays allocated and referenced), runs `execute()` without
// touching Node-API (so it may run on a libuv worker thread), and turns into a JS result on the JS
// thread again. Sync and async calls share this code path, so they give bit-identical results.
#ifndef OPTICAL_NATIVE_BINDING_JOBS_H
#define OPTICAL_NATIVE_BINDING_JOBS_H

#include <napi.h>

#include <memory>

#include "../core/big_buffer.h"
#include "../core/ot.h"
#include "js_args.h"

namespace optical {

class Job {
 public:
  virtual ~Job() = default;
  virtual void execute() = 0;                        // no Node-API in here
  virtual Napi::Value result(Napi::Env env) = 0;     // JS thread
};

// The compute step of each job. The CPU addon runs native/core on its thread pool; the CUDA addon
// passes its kernels here, so both addons share the argument reading, the checks and the result
// objects and differ only in where the arithmetic happens.
struct Kernels {
  void (*sinkhorn)(const ot::RaggedLayout&, const ot::SinkhornInputs&, const ot::SinkhornOptions&,
                   const ot::SinkhornOutputs&);
  void (*costMatrices)(const ot::RaggedLayout&, int64_t dim, const float* x, const float* y, ot::CostKind,
                       float* out, int threads);
  void (*otLoss)(const ot::RaggedLayout&, const ot::OtLossInputs&, ot::CostKind, const ot::SinkhornOptions&,
                 const ot::OtLossOutputs&);
  // Limits of this backend beyond the core's (throws ot::ArgumentError); may be null.
  void (*checkLayout)(const ot::RaggedLayout&);
  // True when `sinkhorn` checks the cost entries itself (ot::sinkhorn does, in its first pass over
  // each block: finite, and eps above their float32 resolution): the job then only checks the
  // length, unless a copy already found a bad entry. Otherwise the job checks both.
  bool checksCostEntries;
  // True when `sinkhorn` accepts out.plan = nullptr (no plan wanted); otherwise the job passes a
  // scratch plan that is not returned.
  bool planOptional;
};

const Kernels& cpu_kernels();

// `copyInputs`: true for async calls (JS may run and mutate the inputs while the job executes).
using MakeJob = std::unique_ptr<Job> (*)(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels);
std::unique_ptr<Job> make_sinkhorn_job(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels);
std::unique_ptr<Job> make_cost_job(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels);
std::unique_ptr<Job> make_ot_loss_job(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels);

}  // namespace optical

#endif  // OPTICAL_NATIVE_BINDING_JOBS_H
