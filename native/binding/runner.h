// The Node-API side of running a Job (jobs.h), shared by the CPU addon (addon.cpp) and the CUDA
// addon (native/cuda/binding_cuda.cc): C++ exceptions become JS errors, sync calls run on the JS
// thread, async calls on a libuv worker (Napi::AsyncWorker) and settle a Promise. Each addon
// describes its backend once (a Backend) and registers the same operations with export_jobs().
//
// Error mapping: ot::ArgumentError → TypeError / RangeError (its kind); std::bad_alloc → RangeError
// (the problem is too large); a backend's own exceptions through Backend::classify (e.g. CUDA
// failures with error.code); anything else → Error("<Backend::otherPrefix><what()>"). Failures
// before an async job starts (bad arguments) reject the promise, never throw synchronously.
#ifndef OPTICAL_NATIVE_BINDING_RUNNER_H
#define OPTICAL_NATIVE_BINDING_RUNNER_H

#include <napi.h>

#include <exception>
#include <new>
#include <string>

#include "jobs.h"

namespace optical {

enum class Failure { None, Type, Range, Other };

struct Captured {
  Failure kind = Failure::None;
  std::string message;
  std::string code;  // JS error.code ("" = none)
};

struct Backend {
  const char* name;                  // async resource name suffix: "optical:<name>"
  const Kernels& (*kernels)();       // the compute step of every job
  void (*before)();                  // optional: runs before the arguments are read (may throw)
  // Optional: recognises a backend exception, fills `c` and returns true.
  bool (*classify)(const std::exception& e, Captured& c);
  const char* otherPrefix;           // message prefix for unexpected exceptions
};

// Registers sinkhornSync/sinkhorn, costMatricesSync/costMatrices and otLossSync/otLoss on
// `exports`, running on `backend` (which must outlive the addon: a static).
void export_jobs(Napi::Env env, Napi::Object exports, const Backend& backend);

// Runs `fn`, translating C++ exceptions into a Captured (a Napi::Error passes through untouched).
// `what` (optional) names the work in the out-of-memory and unexpected-error messages, e.g.
// "running the step": "out of memory running the step", "<otherPrefix>running the step: <what()>".
template <class F>
Captured capture(const Backend& backend, F&& fn, const char* what = nullptr) {
  Captured c;
  try {
    fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const ot::ArgumentError& e) {
    c.kind = e.kind() == ot::ArgumentError::Kind::Type ? Failure::Type : Failure::Range;
    c.message = e.what();
  } catch (const std::bad_alloc&) {
    c.kind = Failure::Range;
    c.message = what ? std::string("out of memory ") + what
                     : "out of memory: the problem is too large for the available memory";
  } catch (const std::exception& e) {
    if (!(backend.classify && backend.classify(e, c))) {
      c.kind = Failure::Other;
      c.message = std::string(backend.otherPrefix) + (what ? std::string(what) + ": " : std::string()) + e.what();
    }
    if (c.kind == Failure::None) c.kind = Failure::Other;
  }
  return c;
}

// The JS error of a failure: TypeError / RangeError / Error with error.code when there is one.
Napi::Error to_js_error(Napi::Env env, const Captured& c);

}  // namespace optical

#endif  // OPTICAL_NATIVE_BINDING_RUNNER_H
