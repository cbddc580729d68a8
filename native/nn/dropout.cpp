// Dropout with counter-based masks (philox.h): the mask of element e is a pure function of
// (seed, stream, input, e), so forward and backward regenerate it instead of storing it.
#include "kernels.h"
#include "ops.h"

namespace nn {

void dropout_apply_serial(const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first) {
  kernels::dropout(key, x, y, n, first);
}

void dropout_apply(const Ctx& c, const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first) {
  Timed t(c, &Profile::dropout);
  for_chunks(c, n, int64_t{1} << 15, [&](int64_t b, int64_t e) {
    kernels::dropout(key, x + b, y + b, e - b, first + static_cast<uint64_t>(b));
  });
}

}  // namespace nn
