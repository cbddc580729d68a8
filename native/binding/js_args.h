// Reading JS arguments into plain C++ values, checking each one at the boundary. Everything that can
// be wrong with an argument is reported as ot::ArgumentError (TypeError/RangeError in JS) naming it.
#ifndef OPTICAL_NATIVE_BINDING_JS_ARGS_H
#define OPTICAL_NATIVE_BINDING_JS_ARGS_H

#include <napi.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "../core/big_buffer.h"
#include "../core/ot.h"

namespace optical {

// How an argument is named in error messages: the JS type of a value ("Float32Array", "number", ...),
// a typed array kind, and a number with all 17 significant digits.
const char* typed_array_name(napi_typedarray_type t);
std::string describe(const Napi::Value& v);
std::string num(double v);

// A float32 view of a Float32Array/Float64Array argument. `data` points either into the JS buffer
// (sync calls with Float32 input: JS cannot run meanwhile) or into `owned` (Float64 input is
// converted; async calls always copy, so JS cannot mutate the data while a worker reads it).
// A copy or conversion also finds the first non-finite entry on the way (`firstNonFinite`: its
// index, −1 for none, ot::kScanCost when the data was not copied and so not looked at).
struct FloatInput {
  const float* data = nullptr;
  int64_t length = 0;
  ot::BigBuffer owned;
  bool present = false;
  int64_t firstNonFinite = ot::kScanCost;
};

struct IntInput {
  std::vector<int32_t> values;
};

// Throws ot::ArgumentError(Type) unless `v` is an object; returns it.
Napi::Object require_object(const Napi::Value& v, const char* name);

// Int32Array only (shapes). Copies.
IntInput read_int32_array(const Napi::Object& owner, const char* key, const std::string& name);

// Float32Array or Float64Array. `optional`: undefined/null → present = false.
FloatInput read_float_array(const Napi::Object& owner, const char* key, const std::string& name, bool copy,
                            bool optional);

// options → ot::SinkhornOptions (+ kind and returnPlan). Missing fields take the documented
// defaults of src/ot/options.ts; present fields must have the right type and range.
struct ParsedOptions {
  ot::SinkhornOptions sinkhorn;
  ot::CostKind kind = ot::CostKind::Cosine;
  std::optional<bool> returnPlan;  // absent: the operation's default (sinkhorn: true, otLoss: false)
};
ParsedOptions read_options(const Napi::Value& v);

// A positive integer argument such as `dim`.
int64_t read_positive_integer(const Napi::Object& owner, const char* key, const std::string& name);

// Allocates a typed array of `length` elements; allocation failure → ArgumentError(Range) naming `what`.
// Writing a 64 MiB plan into fresh memory page-faults 16384 times and has the kernel zero every
// page, which costs as much as the computation that fills it. So large arrays either
// - (`reusable`, for the results of async calls) get ot::BigBuffer memory — huge pages, reused
//   from earlier results once the garbage collector has freed them — as an external ArrayBuffer;
//   Node frees those when the event loop turns, which the completion of an async call guarantees;
// - or (sync calls: a loop of them never lets the event loop turn, so external buffers would pile
//   up) stay V8-owned and are only advised to use huge pages (ot::advise_huge_pages).
// Runtimes that refuse external buffers get the second kind.
template <class TA>
TA allocate(Napi::Env env, int64_t length, const char* what, bool reusable = false);

}  // namespace optical

#endif  // OPTICAL_NATIVE_BINDING_JS_ARGS_H
