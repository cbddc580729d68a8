// Node-API access to the native/nn GEMM for tests and benchmarks (the engine calls it from C++):
//
//   gemm({ a, b, c, m, n, k, transA?, transB?, alpha?, beta?, lda?, ldb?, ldc?,
//          batch?, strideA?, strideB?, strideC?, threads?, backend? })   → undefined, writes c
//   gemmInfo()                                → { backend, kernel, isa, isaSupported, openblasAvailable, openblas, note, threads }
//   gemmPeak({ isa?, threads?, seconds? })    → measured GFLOP/s (nn::measure_peak_gflops)
//
// a, b, c are Float32Arrays holding row-major matrices as in native/nn/gemm.h (C = alpha·op(A)·op(B)
// + beta·C, one product per batch entry, consecutive entries `stride` floats apart). Defaults:
// transA/transB false, alpha 1, beta 0, lda = transA ? m : k, ldb = transB ? k : n, ldc = n,
// batch 1, strides = the dense size of one matrix, threads 0 (the whole pool), backend 'auto'.
// Calls are synchronous (c is written in place). Every problem is a TypeError or RangeError naming
// the argument: wrong types, non-integers, leading dimensions too small, arrays too short for the
// shapes, c overlapping a or b, batch entries of c overlapping each other.
#include "nn_gemm.h"
#include "js_args.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <stdexcept>
#include <string>

#include "../core/isa.h"
#include "../core/thread_pool.h"
#include "../nn/gemm.h"

namespace optical {

namespace {

[[noreturn]] void type_error(Napi::Env env, const std::string& msg) { throw Napi::TypeError::New(env, msg); }
[[noreturn]] void range_error(Napi::Env env, const std::string& msg) { throw Napi::RangeError::New(env, msg); }

// Largest dimension / stride accepted: beyond any typed array (2^53 keeps products exact in double).
constexpr double kMaxIndex = 9007199254740991.0;

int64_t read_int(const Napi::Object& o, const char* key, const char* fn, bool required, int64_t fallback, int64_t lo) {
  const Napi::Env env = o.Env();
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) {
    if (required) type_error(env, std::string(fn) + ": args." + key + " is required (an integer)");
    return fallback;
  }
  if (!v.IsNumber()) type_error(env, std::string(fn) + ": args." + key + " must be an integer, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!(std::isfinite(d) && d == std::floor(d)))
    type_error(env, std::string(fn) + ": args." + key + " must be an integer, got " + num(d));
  if (d < static_cast<double>(lo) || d > kMaxIndex)
    range_error(env, std::string(fn) + ": args." + key + " must be an integer ≥ " + std::to_string(lo) + ", got " + num(d));
  return static_cast<int64_t>(d);
}

bool read_bool(const Napi::Object& o, const char* key, const char* fn) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return false;
  if (!v.IsBoolean()) type_error(o.Env(), std::string(fn) + ": args." + key + " must be a boolean, got " + describe(v));
  return v.As<Napi::Boolean>().Value();
}

float read_scalar(const Napi::Object& o, const char* key, const char* fn, float fallback) {
  const Napi::Value v = o.Get(key);
  if (v.IsUndefined()) return fallback;
  if (!v.IsNumber()) type_error(o.Env(), std::string(fn) + ": args." + key + " must be a number, got " + describe(v));
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::fabs(d) > 3.4028234663852886e38)
    range_error(o.Env(), std::string(fn) + ": args." + key + " must be a finite float32 number, got " + num(d));
  return static_cast<float>(d);
}

Napi::Float32Array read_matrix(const Napi::Object& o, const char* key, const char* fn) {
  const Napi::Value v = o.Get(key);
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
    type_error(o.Env(), std::string(fn) + ": args." + key + " must be a Float32Array, got " + describe(v));
  return v.As<Napi::Float32Array>();
}

// Floats spanned by `batch` matrices of rows × cols (row stride ld), `stride` apart; 0 when empty.
double span(int64_t batch, int64_t stride, int64_t rows, int64_t cols, int64_t ld) {
  if (batch == 0 || rows == 0 || cols == 0) return 0.0;
  return double(batch - 1) * double(stride) + double(rows - 1) * double(ld) + double(cols);
}

// The byte range [begin, end) of `floats` elements of a typed array, in its ArrayBuffer.
struct Range {
  const void* buffer;
  double begin, end;
};
Range bytes_of(const Napi::Float32Array& a, double floats) {
  const double off = static_cast<double>(a.ByteOffset());
  return {a.ArrayBuffer().Data(), off, off + floats * sizeof(float)};
}
bool overlap(const Range& x, const Range& y) {
  return x.buffer == y.buffer && x.begin < y.end && y.begin < x.end && x.end > x.begin && y.end > y.begin;
}

nn::GemmBackend read_backend(const Napi::Object& o, const char* fn) {
  const Napi::Value v = o.Get("backend");
  if (v.IsUndefined()) return nn::GemmBackend::Auto;
  if (!v.IsString()) type_error(o.Env(), std::string(fn) + ": args.backend must be a string, got " + describe(v));
  const std::string s = v.As<Napi::String>().Utf8Value();
  if (s == "auto") return nn::GemmBackend::Auto;
  if (s == "own") return nn::GemmBackend::Own;
  if (s == "openblas") {
    const nn::GemmInfo& info = nn::gemm_info();
    if (!info.openblasAvailable)
      range_error(o.Env(), std::string(fn) + ": args.backend is 'openblas' but OpenBLAS is not available (" +
                               info.openblas + (info.note.empty() ? "" : "; " + info.note) + ")");
    return nn::GemmBackend::OpenBlas;
  }
  range_error(o.Env(), std::string(fn) + ": args.backend must be 'auto', 'own' or 'openblas', got '" + s + "'");
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  constexpr const char* fn = "gemm";
  if (info.Length() < 1 || !info[0].IsObject() || info[0].IsArray() || info[0].IsTypedArray())
    type_error(env, std::string(fn) + ": args must be an object, got " + (info.Length() < 1 ? "nothing" : describe(info[0])));
  const Napi::Object o = info[0].As<Napi::Object>();

  const Napi::Float32Array a = read_matrix(o, "a", fn), b = read_matrix(o, "b", fn);
  Napi::Float32Array c = read_matrix(o, "c", fn);
  const bool transA = read_bool(o, "transA", fn), transB = read_bool(o, "transB", fn);
  const int64_t m = read_int(o, "m", fn, true, 0, 0), n = read_int(o, "n", fn, true, 0, 0),
                k = read_int(o, "k", fn, true, 0, 0);
  const float alpha = read_scalar(o, "alpha", fn, 1.0f), beta = read_scalar(o, "beta", fn, 0.0f);
  // Stored shapes: A is (transA ? k×m : m×k), B is (transB ? n×k : k×n), C is m×n.
  const int64_t aRows = transA ? k : m, aCols = transA ? m : k;
  const int64_t bRows = transB ? n : k, bCols = transB ? k : n;
  const int64_t lda = read_int(o, "lda", fn, false, std::max<int64_t>(1, aCols), std::max<int64_t>(1, aCols));
  const int64_t ldb = read_int(o, "ldb", fn, false, std::max<int64_t>(1, bCols), std::max<int64_t>(1, bCols));
  const int64_t ldc = read_int(o, "ldc", fn, false, std::max<int64_t>(1, n), std::max<int64_t>(1, n));
  const int64_t batch = read_int(o, "batch", fn, false, 1, 0);
  const int64_t strideA = read_int(o, "strideA", fn, false, aRows * lda, 0);
  const int64_t strideB = read_int(o, "strideB", fn, false, bRows * ldb, 0);
  const int64_t strideC = read_int(o, "strideC", fn, false, m * ldc, 0);
  const int64_t threads64 = read_int(o, "threads", fn, false, 0, 0);
  if (threads64 > 1024) range_error(env, std::string(fn) + ": args.threads must be ≤ 1024 (0 = the whole pool), got " + std::to_string(threads64));
  const int threads = static_cast<int>(threads64);
  const nn::GemmBackend backend = read_backend(o, fn);

  // Batch entries of C must not overlap (they are written concurrently).
  const double cOne = span(1, 0, m, n, ldc);
  if (batch > 1 && cOne > 0 && double(strideC) < cOne)
    range_error(env, std::string(fn) + ": args.strideC must be ≥ (m − 1)·ldc + n = " + num(cOne) +
                         " so that the batch's C matrices do not overlap, got " + std::to_string(strideC));
  // Only what the product reads must exist: A and B are not read when k = 0 or alpha = 0.
  const bool reads = k > 0 && alpha != 0.0f && m > 0 && n > 0;
  const double needA = reads ? span(batch, strideA, aRows, aCols, lda) : 0.0;
  const double needB = reads ? span(batch, strideB, bRows, bCols, ldb) : 0.0;
  const double needC = span(batch, strideC, m, n, ldc);
  const auto too_short = [&](const char* key, size_t have, double need, const char* how) {
    if (double(have) < need)
      range_error(env, std::string(fn) + ": args." + key + " has " + std::to_string(have) + " elements but " + how +
                           " need " + num(need));
  };
  too_short("a", a.ElementLength(), needA, "m, k, lda, batch and strideA");
  too_short("b", b.ElementLength(), needB, "k, n, ldb, batch and strideB");
  too_short("c", c.ElementLength(), needC, "m, n, ldc, batch and strideC");
  const Range rc = bytes_of(c, needC);
  if (overlap(rc, bytes_of(a, needA))) range_error(env, std::string(fn) + ": args.c overlaps args.a in memory");
  if (overlap(rc, bytes_of(b, needB))) range_error(env, std::string(fn) + ": args.c overlaps args.b in memory");

  try {
    if (batch == 1)
      nn::sgemm_with(backend, transA, transB, m, n, k, alpha, a.Data(), lda, b.Data(), ldb, beta, c.Data(), ldc,
                     ot::default_pool(), threads);
    else
      nn::sgemm_strided_batched_with(backend, transA, transB, m, n, k, alpha, a.Data(), lda, strideA, b.Data(), ldb,
                                     strideB, beta, c.Data(), ldc, strideC, batch, ot::default_pool(), threads);
  } catch (const std::bad_alloc&) {
    range_error(env, std::string(fn) + ": out of memory for the packing buffers of this product");
  } catch (const std::length_error& e) {
    range_error(env, std::string(fn) + ": " + e.what());
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, std::string("optical native error: ") + e.what());
  }
  return env.Undefined();
}

Napi::Value GemmInfo(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const nn::GemmInfo& g = nn::gemm_info();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", g.backend);
  o.Set("kernel", g.kernel);
  o.Set("isa", g.isa);
  o.Set("isaSupported", g.isaSupported);
  o.Set("openblasAvailable", g.openblasAvailable);
  o.Set("openblas", g.openblas);
  o.Set("note", g.note);
  o.Set("threads", ot::default_pool().size());
  return o;
}

Napi::Value GemmPeak(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  constexpr const char* fn = "gemmPeak";
  Napi::Object o = Napi::Object::New(env);
  if (info.Length() >= 1 && !info[0].IsUndefined()) {
    if (!info[0].IsObject() || info[0].IsArray() || info[0].IsTypedArray())
      type_error(env, std::string(fn) + ": args must be an object, got " + describe(info[0]));
    o = info[0].As<Napi::Object>();
  }
  ot::Isa isa = ot::isa_choice().active;
  const Napi::Value iv = o.Get("isa");
  if (!iv.IsUndefined()) {
    if (!iv.IsString()) type_error(env, std::string(fn) + ": args.isa must be a string, got " + describe(iv));
    const std::string s = iv.As<Napi::String>().Utf8Value();
    if (s == "baseline") isa = ot::Isa::Baseline;
    else if (s == "x86-64-v3") isa = ot::Isa::X86_64_V3;
    else if (s == "x86-64-v4") isa = ot::Isa::X86_64_V4;
    else range_error(env, std::string(fn) + ": args.isa must be 'baseline', 'x86-64-v3' or 'x86-64-v4', got '" + s + "'");
    if (static_cast<int>(isa) > static_cast<int>(ot::isa_choice().supported))
      range_error(env, std::string(fn) + ": args.isa '" + s + "' is not supported by this CPU (best: " +
                           ot::to_string(ot::isa_choice().supported) + ")");
  }
  const int64_t threads = read_int(o, "threads", fn, false, 1, 1);
  if (threads > 1024) range_error(env, std::string(fn) + ": args.threads must be ≤ 1024, got " + std::to_string(threads));
  double seconds = 0.5;
  const Napi::Value sv = o.Get("seconds");
  if (!sv.IsUndefined()) {
    if (!sv.IsNumber()) type_error(env, std::string(fn) + ": args.seconds must be a number, got " + describe(sv));
    seconds = sv.As<Napi::Number>().DoubleValue();
    if (!(seconds > 0 && seconds <= 60))
      range_error(env, std::string(fn) + ": args.seconds must be in (0, 60], got " + num(seconds));
  }
  return Napi::Number::New(env, nn::measure_peak_gflops(isa, static_cast<int>(threads), seconds));
}

}  // namespace

void init_gemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("gemmInfo", Napi::Function::New(env, GemmInfo, "gemmInfo"));
  exports.Set("gemmPeak", Napi::Function::New(env, GemmPeak, "gemmPeak"));
}

}  // namespace optical
