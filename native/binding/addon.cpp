// The CPU addon (build/Release/optical.node): exports exactly the NativeAddon object of
// src/ot/native-addon.ts. The operations are the shared jobs of jobs.h run by runner.h (sync on the
// calling thread, async on a libuv worker settling a Promise); this file only names the backend and
// adds what is specific to the CPU: its thread pool and the ISA level its kernels run at.
#include <napi.h>

#include "../core/isa.h"
#include "../core/ot.h"
#include "jobs.h"
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

}  // namespace

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("backend", Napi::String::New(env, "cpu"));
  exports.Set("version", Napi::String::New(env, ot::kCoreVersion));
  exports.Set("threads", Napi::Function::New(env, Threads, "threads"));
  exports.Set("isa", Napi::Function::New(env, Isa, "isa"));
  export_jobs(env, exports, kCpu);
  return exports;
}

}  // namespace optical

static Napi::Object InitOptical(Napi::Env env, Napi::Object exports) { return optical::Init(env, exports); }

NODE_API_MODULE(optical, InitOptical)
