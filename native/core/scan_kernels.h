// Whole-array passes of the input checks: find the first non-finite entry, optionally while copying
// (async calls copy their inputs anyway, so the check costs no extra pass). Internal to native/core;
// the binding reaches them through ot.h (copy_checked / convert_checked).
#ifndef OPTICAL_NATIVE_CORE_SCAN_KERNELS_H
#define OPTICAL_NATIVE_CORE_SCAN_KERNELS_H

#include <cstdint>

namespace ot {
namespace kernels {

// Index of the first NaN/±Inf in x[0, n), or −1.
int64_t first_non_finite(const float* x, int64_t n);

// dst[i] = src[i] for i in [0, n); returns the index of the first NaN/±Inf, or −1.
int64_t copy_find_non_finite(const float* src, float* dst, int64_t n);

// dst[i] = (float) src[i], saturating to ±Inf beyond the float range (an out-of-range conversion
// is undefined behaviour in C++); returns the index of the first non-finite result, or −1.
int64_t convert_find_non_finite(const double* src, float* dst, int64_t n);

}  // namespace kernels
}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_SCAN_KERNELS_H
