// scan_kernels.h: the loops of scan_kernels.inl compiled once per ISA level, and the entry points
// that call the level ot::isa_choice() picked (see isa_dispatch.h).
#include "scan_kernels.h"

#include <algorithm>
#include <cfloat>
#include <cstring>
#include <limits>

#include "fast_math.h"

#define OT_ISA_KERNELS "scan_kernels.inl"
#include "isa_instantiate.h"

namespace ot {
namespace kernels {

int64_t first_non_finite(const float* x, int64_t n) {
  static const auto impl = OT_ISA_SELECT(first_non_finite);
  return impl(x, n);
}

int64_t copy_find_non_finite(const float* src, float* dst, int64_t n) {
  static const auto impl = OT_ISA_SELECT(copy_find_non_finite);
  return impl(src, dst, n);
}

int64_t convert_find_non_finite(const double* src, float* dst, int64_t n) {
  static const auto impl = OT_ISA_SELECT(convert_find_non_finite);
  return impl(src, dst, n);
}

}  // namespace kernels
}  // namespace ot
