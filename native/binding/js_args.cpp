#include "js_args.h"

#include <cfloat>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>
#include <sstream>
#include <type_traits>
#include <utility>

namespace optical {

namespace {

[[noreturn]] void type_error(const std::string& msg) { throw ot::ArgumentError(ot::ArgumentError::Kind::Type, msg); }
[[noreturn]] void range_error(const std::string& msg) {
  throw ot::ArgumentError(ot::ArgumentError::Kind::Range, msg);
}

}  // namespace

const char* typed_array_name(napi_typedarray_type t) {
  switch (t) {
    case napi_int8_array: return "Int8Array";
    case napi_uint8_array: return "Uint8Array";
    case napi_uint8_clamped_array: return "Uint8ClampedArray";
    case napi_int16_array: return "Int16Array";
    case napi_uint16_array: return "Uint16Array";
    case napi_int32_array: return "Int32Array";
    case napi_uint32_array: return "Uint32Array";
    case napi_float32_array: return "Float32Array";
    case napi_float64_array: return "Float64Array";
    case napi_bigint64_array: return "BigInt64Array";
    case napi_biguint64_array: return "BigUint64Array";
    default: return "typed array";
  }
}

std::string describe(const Napi::Value& v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) return typed_array_name(v.As<Napi::TypedArray>().TypedArrayType());
  if (v.IsArray()) return "Array";
  if (v.IsNumber()) return "number";
  if (v.IsString()) return "string";
  if (v.IsBoolean()) return "boolean";
  if (v.IsFunction()) return "function";
  return "object";
}

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

Napi::Object require_object(const Napi::Value& v, const char* name) {
  if (!v.IsObject() || v.IsArray() || v.IsTypedArray() || v.IsFunction())
    type_error(std::string(name) + " must be an object, got " + describe(v));
  return v.As<Napi::Object>();
}

IntInput read_int32_array(const Napi::Object& owner, const char* key, const std::string& name) {
  const Napi::Value v = owner.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_int32_array)
    type_error(name + " must be an Int32Array, got " + describe(v));
  const auto a = v.As<Napi::Int32Array>();
  IntInput out;
  out.values.assign(a.Data(), a.Data() + a.ElementLength());
  return out;
}

FloatInput read_float_array(const Napi::Object& owner, const char* key, const std::string& name, bool copy,
                            bool optional) {
  const Napi::Value v = owner.Get(key);
  FloatInput out;
  if (optional && (v.IsUndefined() || v.IsNull())) return out;
  const bool typed = v.IsTypedArray();
  const napi_typedarray_type t = typed ? v.As<Napi::TypedArray>().TypedArrayType() : napi_int8_array;
  if (!typed || (t != napi_float32_array && t != napi_float64_array))
    type_error(name + " must be a Float32Array or Float64Array, got " + describe(v));
  out.present = true;
  if (t == napi_float32_array) {
    const auto a = v.As<Napi::Float32Array>();
    out.length = static_cast<int64_t>(a.ElementLength());
    if (copy) {
      out.owned = ot::BigBuffer(a.ElementLength() * sizeof(float));
      out.firstNonFinite = ot::copy_checked(a.Data(), out.owned.as<float>(), out.length, ot::default_pool());
      out.data = out.owned.as<float>();
    } else {
      out.data = a.Data();
    }
  } else {
    // Float64 is converted at the boundary; values beyond float range become ±Inf and are then
    // rejected like any other non-finite entry.
    const auto a = v.As<Napi::Float64Array>();
    out.length = static_cast<int64_t>(a.ElementLength());
    out.owned = ot::BigBuffer(a.ElementLength() * sizeof(float));
    out.firstNonFinite = ot::convert_checked(a.Data(), out.owned.as<float>(), out.length, ot::default_pool());
    out.data = out.owned.as<float>();
  }
  return out;
}

namespace {

double read_number(const Napi::Object& o, const char* key, double fallback, bool* present = nullptr) {
  const Napi::Value v = o.Get(key);
  if (present) *present = !v.IsUndefined();
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) type_error(std::string("options.") + key + " must be a number, got " + describe(v));
  return v.As<Napi::Number>().DoubleValue();
}

int64_t read_integer(const Napi::Object& o, const char* key, int64_t fallback, int64_t lo, int64_t hi) {
  const double d = read_number(o, key, static_cast<double>(fallback));
  if (!(std::isfinite(d) && d == std::floor(d)))
    type_error(std::string("options.") + key + " must be an integer, got " + num(d));
  if (!(d >= static_cast<double>(lo) && d <= static_cast<double>(hi)))
    range_error(std::string("options.") + key + " must be an integer in [" + std::to_string(lo) + ", " +
                std::to_string(hi) + "], got " + num(d));
  return static_cast<int64_t>(d);
}

std::string read_string(const Napi::Object& o, const char* key, const char* fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsString()) type_error(std::string("options.") + key + " must be a string, got " + describe(v));
  return v.As<Napi::String>().Utf8Value();
}

}  // namespace

ParsedOptions read_options(const Napi::Value& v) {
  const Napi::Object o = require_object(v, "options");
  ParsedOptions p;
  ot::SinkhornOptions& s = p.sinkhorn;
  s.eps = read_number(o, "eps", 0.05);
  if (!(std::isfinite(s.eps) && s.eps > 0)) range_error("options.eps must be a finite number > 0, got " + num(s.eps));
  s.maxIter = read_integer(o, "maxIter", 1000, 1, INT32_MAX);
  s.tol = read_number(o, "tol", 1e-6);
  s.checkEvery = read_integer(o, "checkEvery", 10, 1, INT32_MAX);
  s.method = ot::parse_method(read_string(o, "method", "auto"));
  s.errorNorm = ot::parse_error_norm(read_string(o, "errorNorm", "l1"));
  s.rho = read_number(o, "rho", std::numeric_limits<double>::infinity());
  s.epsInit = read_number(o, "epsInit", s.eps);
  s.epsDecay = read_number(o, "epsDecay", 1.0);
  s.threads = static_cast<int>(read_integer(o, "threads", 0, 0, 1 << 16));
  p.kind = ot::parse_cost_kind(read_string(o, "kind", "cosine"));
  const Napi::Value rp = o.Get("returnPlan");
  if (!rp.IsUndefined()) {
    if (!rp.IsBoolean()) type_error("options.returnPlan must be a boolean, got " + describe(rp));
    p.returnPlan = rp.As<Napi::Boolean>().Value();
  }
  ot::validate_options(s);
  return p;
}

int64_t read_positive_integer(const Napi::Object& owner, const char* key, const std::string& name) {
  const Napi::Value v = owner.Get(key);
  if (!v.IsNumber()) type_error(name + " must be a number, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(std::isfinite(d) && d == std::floor(d) && d >= 1 && d <= static_cast<double>(ot::kMaxElements)))
    range_error(name + " must be an integer >= 1, got " + num(d));
  return static_cast<int64_t>(d);
}

namespace {

// An ArrayBuffer over ot::BigBuffer memory (reused, huge pages), or an empty value when the runtime
// refuses external buffers.
Napi::ArrayBuffer external_buffer(Napi::Env env, size_t bytes) {
  ot::BigBuffer buf(bytes);
  auto* size = new size_t(buf.size());
  void* data = buf.release();
  try {
    return Napi::ArrayBuffer::New(
        env, data, bytes,
        [](Napi::Env, void* p, size_t* n) {
          ot::BigBuffer::free_memory(p, *n);
          delete n;
        },
        size);
  } catch (const Napi::Error&) {
    ot::BigBuffer::free_memory(data, *size);
    delete size;
    return Napi::ArrayBuffer();
  }
}

}  // namespace

template <class TA>
TA allocate(Napi::Env env, int64_t length, const char* what, bool reusable) {
  if (length < 0 || length > ot::kMaxElements)
    range_error(std::string(what) + ": " + num(static_cast<double>(length)) + " elements exceed the typed-array limit");
  using Element = std::remove_pointer_t<decltype(std::declval<TA>().Data())>;
  const size_t bytes = static_cast<size_t>(length) * sizeof(Element);
  try {
    if (reusable && bytes >= ot::BigBuffer::kHugeMin) {
      const Napi::ArrayBuffer ab = external_buffer(env, bytes);
      if (!ab.IsEmpty()) return TA::New(env, static_cast<size_t>(length), ab, 0);
    }
    TA a = TA::New(env, static_cast<size_t>(length));
    // Untouched so far: its pages can still become huge pages (one fault per 2 MiB, see big_buffer.h).
    ot::advise_huge_pages(a.Data(), a.ByteLength());
    return a;
  } catch (const std::bad_alloc&) {
  } catch (const Napi::Error&) {
  }
  range_error(std::string(what) + ": cannot allocate " + num(static_cast<double>(length)) + " elements (out of memory)");
}

template Napi::Float32Array allocate<Napi::Float32Array>(Napi::Env, int64_t, const char*, bool);
template Napi::Float64Array allocate<Napi::Float64Array>(Napi::Env, int64_t, const char*, bool);
template Napi::Int32Array allocate<Napi::Int32Array>(Napi::Env, int64_t, const char*, bool);
template Napi::Uint8Array allocate<Napi::Uint8Array>(Napi::Env, int64_t, const char*, bool);

}  // namespace optical
