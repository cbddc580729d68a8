// Branch-free float exp and log for the hot loops, and the flush-to-zero guard they run under.
//
// fast_exp is written so that gcc auto-vectorises loops that call it (no branches, no libm call):
// range reduction x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2), the Cephes expf
// polynomial on r (relative error ≈ 1e-7 over the whole range), and 2^n assembled in the exponent
// bits. Results below 2^-126 (x < −87) are flushed to 0 rather than returned as subnormals — the
// OT kernels only use exp on max-shifted arguments, where such terms are negligible.
#ifndef OPTICAL_NATIVE_CORE_FAST_MATH_H
#define OPTICAL_NATIVE_CORE_FAST_MATH_H

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define OT_HAVE_MXCSR 1
#endif

// Every function here is always inlined: the per-ISA kernels (isa_dispatch.h) inline them and so
// compile them with their own instruction set; an out-of-line copy would only ever be the baseline.
#if defined(__GNUC__)
#define OT_INLINE inline __attribute__((always_inline))
#else
#define OT_INLINE inline
#endif

namespace ot {

constexpr float kExpLowest = -87.0f;   // below: result flushed to 0
constexpr float kExpHighest = 88.0f;   // above: clamped (e^88 ≈ 1.65e38 < FLT_MAX)

// exp of the clamped argument: the core of fast_exp without the flush to zero.
OT_INLINE float exp_clamped(float x) {
  const float xc = std::min(std::max(x, kExpLowest), kExpHighest);
  const float n = std::nearbyint(xc * 1.44269504088896341f);
  float r = xc - n * 0.693359375f;   // ln2 high part (exact in float)
  r = r - n * -2.12194440e-4f;       // ln2 low part
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

OT_INLINE float fast_exp(float x) { return x < kExpLowest ? 0.0f : exp_clamped(x); }

// For terms of a shifted sum of exponentials (the log-domain inner loop): a degree-5 minimax
// polynomial (relative error 1.8e-7 instead of 8e-8, two multiply-adds fewer), and below e^−87 it
// returns ≈1.6e-38 instead of 0, which is invisible next to the sum (≥ e^−60 by construction).
OT_INLINE float exp_term(float x) {
  const float xc = std::min(std::max(x, kExpLowest), kExpHighest);
  const float n = std::nearbyint(xc * 1.44269504088896341f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 0.00831253f;  // near-minimax for (e^r − 1 − r)/r² on |r| ≤ ln2/2
  p = p * r + 0.04189011f;
  p = p * r + 0.16667114f;
  p = p * r + 0.49999232f;
  p = p * r * r + r + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return p * scale;
}

// Branch-free natural log for positive normal floats (the shifted sums of the log-domain updates
// lie in [e^-60, e^60]). x = 2^e · m with m in [√½, √2), log m = 2·atanh((m−1)/(m+1)) by its odd
// series to t^9 (|t| ≤ 0.172, truncation < 4e-10); absolute error ≈ 1e-7.
OT_INLINE float fast_log(float x) {
  int32_t bits;
  std::memcpy(&bits, &x, sizeof bits);
  int32_t e = ((bits >> 23) & 0xff) - 127;
  int32_t mbits = (bits & 0x007fffff) | 0x3f800000;
  float m;
  std::memcpy(&m, &mbits, sizeof m);
  const bool big = m > 1.41421356f;
  m = big ? m * 0.5f : m;
  e = big ? e + 1 : e;
  const float t = (m - 1.0f) / (m + 1.0f);
  const float t2 = t * t;
  float p = 0.11111111f;  // 1/9
  p = p * t2 + 0.14285714f;
  p = p * t2 + 0.2f;
  p = p * t2 + 0.33333333f;
  p = p * t2 + 1.0f;
  return static_cast<float>(e) * 0.69314718f + 2.0f * t * p;
}

// Subnormal floats cost ~100 cycles per operation on x86. At small eps the scaling form multiplies
// kernel entries near FLT_MIN by weights < 1 and would produce them in bulk, so the kernels run
// with flush-to-zero / denormals-are-zero; the effect on results is below 1e-38 absolute. The
// guard restores the caller's mode (V8 needs IEEE subnormals for JavaScript).
class FlushDenormals {
 public:
  FlushDenormals() {
#ifdef OT_HAVE_MXCSR
    saved_ = _mm_getcsr();
    _mm_setcsr(saved_ | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
#endif
  }
  ~FlushDenormals() {
#ifdef OT_HAVE_MXCSR
    _mm_setcsr(saved_);
#endif
  }
  FlushDenormals(const FlushDenormals&) = delete;
  FlushDenormals& operator=(const FlushDenormals&) = delete;

 private:
  unsigned saved_ = 0;
};

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_FAST_MATH_H
