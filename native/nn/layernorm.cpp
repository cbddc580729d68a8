// LayerNorm over the last axis (post-LN BERT: after each residual sum and after the embeddings).
#include "kernels.h"
#include "ops.h"

namespace nn {

void layernorm_forward(const Ctx& c, const float* x, int64_t rows, int64_t H, const float* g, const float* b, double eps,
                       float* y, float* mean, float* rstd) {
  Timed t(c, &Profile::layernorm);
  for_chunks(c, rows, row_grain(H), [&](int64_t r0, int64_t r1) { kernels::layernorm_rows(x, r0, r1, H, g, b, eps, y, mean, rstd); });
}

void layernorm_backward(const Ctx& c, const float* dy, const float* x, const float* mean, const float* rstd,
                        int64_t rows, int64_t H, const float* g, float* dx, bool accumulate, float* dg, float* db) {
  Timed t(c, &Profile::layernorm);
  // Parameter gradients first (dx may overwrite dy): 64-column blocks, rows summed in order.
  const int64_t blocks = (H + 63) / 64;
  c.parallel(blocks, [&](int64_t blk, int) {
    const int64_t j0 = blk * 64;
    kernels::layernorm_param_grads(dy, x, mean, rstd, rows, H, j0, std::min<int64_t>(64, H - j0), dg, db);
  });
  for_chunks(c, rows, row_grain(H), [&](int64_t r0, int64_t r1) {
    kernels::layernorm_back_rows(dy, x, mean, rstd, r0, r1, H, g, dx, accumulate);
  });
}

}  // namespace nn
