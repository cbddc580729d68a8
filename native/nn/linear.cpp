// Dense layer y = x·Wᵀ + b through the engine's GEMM (gemm.h).
#include "gemm.h"
#include "ops.h"

namespace nn {

void linear_forward(const Ctx& c, const float* X, int64_t rows, int64_t in, const float* W, const float* b,
                    int64_t out, float* Y) {
  if (b) {
    Timed t(c, &Profile::other);
    for_chunks(c, rows, row_grain(out), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) std::copy(b, b + out, Y + r * out);
    });
  }
  Timed t(c, &Profile::gemm);
  sgemm(false, true, rows, out, in, 1.0f, X, in, W, in, b ? 1.0f : 0.0f, Y, out, *c.pool, c.threads);
}

void linear_backward(const Ctx& c, const float* dY, const float* X, int64_t rows, int64_t in, const float* W,
                     int64_t out, float* dX, bool accumulateDx, float* dW, float* db) {
  if (db) {
    Timed t(c, &Profile::other);
    column_sums_add(c, dY, rows, out, out, db);
  }
  Timed t(c, &Profile::gemm);
  // dW [out, in] += dYᵀ [out, rows] · X [rows, in]
  sgemm(true, false, out, in, rows, 1.0f, dY, out, X, in, 1.0f, dW, in, *c.pool, c.threads);
  // dX [rows, in] = dY [rows, out] · W [out, in]
  if (dX) sgemm(false, false, rows, in, out, 1.0f, dY, out, W, in, accumulateDx ? 1.0f : 0.0f, dX, in, *c.pool, c.threads);
}

}  // namespace nn
