// The encoder's kernels, each forward next to its backward (one .cpp per op). Plain float buffers,
// row-major; T = batch · length tokens. Backward functions *accumulate* parameter gradients (+=) and
// say for each input gradient whether they overwrite or accumulate.
#ifndef OPTICAL_NATIVE_NN_OPS_H
#define OPTICAL_NATIVE_NN_OPS_H

#include <cstdint>

#include "common.h"
#include "philox.h"

namespace nn {

// ---- embeddings.cpp -------------------------------------------------------------------------
// out[b·L + l] = word[ids] + position[offset + l] + type[types] (types == nullptr: type 0).
void embeddings_forward(const Ctx& c, const int32_t* ids, const int32_t* types, int64_t B, int64_t L, int64_t H,
                        int64_t posOffset, const float* word, const float* pos, const float* type, float* out);
// Deterministic scatter-add of dout into the three tables' gradients. Tokens equal to padTokenId
// add nothing to the word embeddings (torch.nn.Embedding(padding_idx=pad) in HF BERT / RoBERTa; a
// tied MLM decoder still gives that row a gradient).
void embeddings_backward(const Ctx& c, const float* dout, const int32_t* ids, const int32_t* types, int64_t B,
                         int64_t L, int64_t H, int64_t posOffset, int64_t vocab, int64_t typeVocab, int64_t padId,
                         float* dword, float* dpos, float* dtype);

// ---- layernorm.cpp --------------------------------------------------------------------------
// y = (x − mean) / sqrt(var + eps) · g + b per row of H (biased variance, as torch); saves mean, rstd.
void layernorm_forward(const Ctx& c, const float* x, int64_t rows, int64_t H, const float* g, const float* b, double eps,
                       float* y, float* mean, float* rstd);
// dx (overwritten, or += when accumulate), dg += Σ dy·x̂, db += Σ dy. dx may alias dy when !accumulate.
void layernorm_backward(const Ctx& c, const float* dy, const float* x, const float* mean, const float* rstd,
                        int64_t rows, int64_t H, const float* g, float* dx, bool accumulate, float* dg, float* db);

// ---- linear.cpp -----------------------------------------------------------------------------
// Y[rows, out] = X[rows, in] · Wᵀ + b, W [out, in] (PyTorch layout). b may be null.
void linear_forward(const Ctx& c, const float* X, int64_t rows, int64_t in, const float* W, const float* b,
                    int64_t out, float* Y);
// dX = dY · W (overwritten, or += when accumulateDx; skipped when dX is null), dW += dYᵀ · X,
// db += Σ_rows dY (skipped when db is null).
void linear_backward(const Ctx& c, const float* dY, const float* X, int64_t rows, int64_t in, const float* W,
                     int64_t out, float* dX, bool accumulateDx, float* dW, float* db);

// ---- gelu.cpp -------------------------------------------------------------------------------
// Exact (erf) GELU: y = x/2 · (1 + erf(x/√2)). erfc is evaluated with a Chebyshev-fitted
// exponential form (relative error < 1.2e-7 everywhere), so 1 + erf keeps its relative accuracy in
// the negative tail.
// dydx (optional): also writes gelu'(x), so a backward pass can skip the erf (the encoder keeps it).
void gelu_forward(const Ctx& c, const float* x, float* y, int64_t n, float* dydx = nullptr);
// dx = dy · gelu'(x) (recomputed from x); dx may alias dy.
void gelu_backward(const Ctx& c, const float* x, const float* dy, float* dx, int64_t n);
// dx = dy · dydx (the derivative kept by gelu_forward); dx may alias dy.
void gelu_backward_saved(const Ctx& c, const float* dydx, const float* dy, float* dx, int64_t n);

// ---- dropout.cpp ----------------------------------------------------------------------------
// y[i] = keep(first + i) ? x[i] · scale : 0 (philox.h); x may alias y. Forward and backward are the
// same map (backward: x = dy, y = dx).
void dropout_apply(const Ctx& c, const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first = 0);
// Single-threaded form, for callers already inside a pool task.
void dropout_apply_serial(const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first);

// ---- attention.cpp --------------------------------------------------------------------------
// Multi-head self-attention core on the fused projection qkv [T, 3H] (per token: query | key |
// value, heads side by side). Per (sequence b, head h), in one task:
//   S = Q Kᵀ / √d,  masked keys (mask[b, j] = 0) get probability 0,  P = softmax(S) (saved),
//   P' = dropout(P) (site 2, element index ((b·heads + h)·L + i)·L + j),  ctx_bh = P' V.
// drop == nullptr: no dropout. Every sequence must have at least one real token.
struct AttentionShape {
  int64_t B, L, H, heads;
};
void attention_forward(const Ctx& c, const AttentionShape& s, const float* qkv, const uint8_t* mask,
                       const DropoutKey* drop, float* probs, float* ctx);
// dqkv [T, 3H] is overwritten.
void attention_backward(const Ctx& c, const AttentionShape& s, const float* qkv, const uint8_t* mask,
                        const DropoutKey* drop, const float* probs, const float* dctx, float* dqkv);

// ---- pooling.cpp ----------------------------------------------------------------------------
enum class Pooling { Mean, Cls };
// out [B, H]: Cls = h[b, 0]; Mean = Σ_l mask·h[b, l] / Σ_l mask.
void pool_forward(Pooling p, const float* h, const uint8_t* mask, int64_t B, int64_t L, int64_t H, float* out);
// dh [B, L, H] += the gradient of the pooled vectors.
void pool_backward(Pooling p, const float* dout, const uint8_t* mask, int64_t B, int64_t L, int64_t H, float* dh);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_OPS_H
