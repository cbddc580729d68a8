// The CPU addon (build/Release/optical.node): exports exactly the NativeAddon object of
// src/ot/native-addon.ts. The operations are the shared jobs of jobs.h run by runner.h (sync on the
// calling thread, async on a libuv worker settling a Promise); this file only names the backend and
// adds what is specific to the CPU: its thread pool, the ISA level its kernels run at, and the
// benchmark probe of the work floor of a call.
#include <napi.h>

#include "../core/isa.h"
#include "../core/ot.h"
#include "jobs.h"
#include "nn_gemm.h"
#include "runner.h"
#include "nn_runtime.h"

namespace optical {

namespace {

const Backend kCpu{"ot", cpu_kernels, nullptr, nullptr, "optical native error: "};

Napi::Value Threads(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), ot::default_pool().size());
}

// The instruction-set level the kernels run at (native/core/isa.h): what OPTICAL_ISA asked for,
// what the CPU supports, and the levels a test may force on this machine.
Napi::Value Isa(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const ot::IsaChoice& c = ot::isa_choice();
  Napi::Object r = Napi::Object::New(env);
  r.Set("active", ot::to_string(c.active));
  r.Set("supported", ot::to_string(c.supported));
  r.Set("forced", c.forced);
  r.Set("requested", c.requested);
  r.Set("note", c.note);
  Napi::Array levels = Napi::Array::New(env);
  for (int l = 0; l <= static_cast<int>(c.supported); ++l) levels.Set(l, ot::to_string(static_cast<ot::Isa>(l)));
  r.Set("levels", levels);
  return r;
}

// workFloor(cost: Float32Array, eps: number, out: Float32Array, threads = 0): number — the benchmark
// probe of ot::work_floor, writing its plan into `out` (the caller reuses one array across runs, as
// repeated calls reuse their result memory).
Napi::Value WorkFloor(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const auto isF32 = [](const Napi::Value& v) {
    return v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_float32_array;
  };
  if (!isF32(info[0])) throw Napi::TypeError::New(env, "workFloor: cost must be a Float32Array");
  if (!info[1].IsNumber() || !(info[1].As<Napi::Number>().DoubleValue() > 0))
    throw Napi::RangeError::New(env, "workFloor: eps must be a number > 0");
  if (!isF32(info[2])) throw Napi::TypeError::New(env, "workFloor: out must be a Float32Array");
  const auto cost = info[0].As<Napi::Float32Array>();
  auto out = info[2].As<Napi::Float32Array>();
  if (out.ElementLength() != cost.ElementLength())
    throw Napi::RangeError::New(env, "workFloor: out must have the length of cost");
  const int threads = info[3].IsNumber() ? info[3].As<Napi::Number>().Int32Value() : 0;
  const double sum = ot::work_floor(cost.Data(), static_cast<int64_t>(cost.ElementLength()),
                                    info[1].As<Napi::Number>().DoubleValue(), out.Data(), ot::default_pool(), threads);
  return Napi::Number::New(env, sum);
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::String::New(env, "cpu"));
  exports.Set("version", Napi::String::New(env, ot::kCoreVersion));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("isa", Napi::Function::New(env, Isa, "isa"));
  exports.Set("workFloor", Napi::Function::New(env, WorkFloor, "workFloor"));
  export_jobs(env, exports, kCpu);
  init_nn(env, exports, kCpu, make_cpu_runtime);
  init_gemm(env, exports);
  return exports;
}

}  // namespace optical

static Napi::Object InitOptical(Napi::Env env, Napi::Object exports) { return optical::Init(env, exports); }

NODE_API_MODULE(optical, InitOptical)
