// The encoder engine's element-wise and row-wise loops, compiled once per ISA level from
// kernels.inl (native/core/isa_instantiate.h) and called at the level ot::isa_choice() picked.
// The ops (layernorm.cpp, gelu.cpp, attention.cpp, dropout.cpp, adamw.cpp) split the work over the
// thread pool and call these on their slices. Results may differ between ISA levels in the last
// bits (vector width, fused multiply-add), never between thread counts.
#ifndef OPTICAL_NATIVE_NN_KERNELS_H
#define OPTICAL_NATIVE_NN_KERNELS_H

#include <cstdint>

#include "philox.h"

namespace nn {
namespace kernels {

// LayerNorm rows [r0, r1) of width H: y, mean, rstd (rstd = 1/sqrt(biased var + eps), in double).
void layernorm_rows(const float* x, int64_t r0, int64_t r1, int64_t H, const float* g, const float* b, double eps,
                    float* y, float* mean, float* rstd);
// dx rows [r0, r1) (overwritten or accumulated); dx may alias dy when !accumulate.
void layernorm_back_rows(const float* dy, const float* x, const float* mean, const float* rstd, int64_t r0, int64_t r1,
                         int64_t H, const float* g, float* dx, bool accumulate);
// dg[j0, j0+w) += Σ_r dy·x̂, db += Σ_r dy over all rows in order (w ≤ 64).
void layernorm_param_grads(const float* dy, const float* x, const float* mean, const float* rstd, int64_t rows,
                           int64_t H, int64_t j0, int64_t w, float* dg, float* db);

// Exact GELU; with_derivative also writes gelu'(x); backward recomputes it from x.
void gelu(const float* x, float* y, int64_t n);
void gelu_with_derivative(const float* x, float* y, float* dydx, int64_t n);
void gelu_backward(const float* x, const float* dy, float* dx, int64_t n);
// out = a ⊙ b (out may alias either).
void multiply(const float* a, const float* b, float* out, int64_t n);

// Masked softmax of the L rows of an L × L score block in place (add[j]: 0 or the padding score),
// and its backward: dP ← P ⊙ (dP − rowsum(P ⊙ dP)).
void softmax_rows(float* P, const float* add, int64_t L);
void softmax_back_rows(const float* P, float* dP, int64_t L);

// y[i] = keep(first + i) ? x[i]·scale : 0 for the mask of philox.h; x may alias y.
void dropout(const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first);

// One AdamW update of n entries (see adamw.h); also clears g.
struct AdamWScalars {
  float gradScale, decay, beta1, oneMinusBeta1, beta2, oneMinusBeta2, stepSize, invSqrtBc2, eps;
};
void adamw(float* p, float* g, float* m, float* v, int64_t n, bool decay, const AdamWScalars& s);

}  // namespace kernels
}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_KERNELS_H
