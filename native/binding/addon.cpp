// The CPU addon (build/Release/optical.node): exports exactly the NativeAddon object of
// src/ot/native-addon.ts. The operations are the shared jobs of jobs.h run by runner.h (sync on the
// calling thread, async on a libuv worker settling a Promise); this file only names the backend and
// adds what is specific to the CPU: its thread pool, the ISA level its kernels run at, and the
// benchmark probe of the work floor of a call.
#include <napi.h>

#include "../core/isa.h"
#include "../core/ot.h"
#include "jobs.h"
#include "js_args.h"
#include "runner.h"

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

// workFloor(cost: Float32Array, eps: number, threads = 0): Float32Array — the benchmark probe of
// ot::work_floor, writing its plan into a fresh array exactly as a Sinkhorn call would.
Napi::Value WorkFloor(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  Napi::Float32Array out;
  try {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw ot::ArgumentError(ot::ArgumentError::Kind::Type, "workFloor: cost must be a Float32Array");
    if (!info[1].IsNumber() || !(info[1].As<Napi::Number>().DoubleValue() > 0))
      throw ot::ArgumentError(ot::ArgumentError::Kind::Range, "workFloor: eps must be a number > 0");
    const int threads = info[2].IsNumber() ? info[2].As<Napi::Number>().Int32Value() : 0;
    const auto cost = info[0].As<Napi::Float32Array>();
    const int64_t cells = static_cast<int64_t>(cost.ElementLength());
    out = allocate<Napi::Float32Array>(env, cells, "plan");
    ot::work_floor(cost.Data(), cells, info[1].As<Napi::Number>().DoubleValue(), out.Data(), ot::default_pool(),
                   threads);
  } catch (const ot::ArgumentError& e) {
    if (e.kind() == ot::ArgumentError::Kind::Type) throw Napi::TypeError::New(env, e.what());
    throw Napi::RangeError::New(env, e.what());
  }
  return out;
}

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::String::New(env, "cpu"));
  exports.Set("version", Napi::String::New(env, ot::kCoreVersion));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("isa", Napi::Function::New(env, Isa, "isa"));
  exports.Set("workFloor", Napi::Function::New(env, WorkFloor, "workFloor"));
  export_jobs(env, exports, kCpu);
  return exports;
}

}  // namespace optical

static Napi::Object InitOptical(Napi::Env env, Napi::Object exports) { return optical::Init(env, exports); }

NODE_API_MODULE(optical, InitOptical)
