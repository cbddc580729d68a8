// Multi-head self-attention core, fused per (sequence, head): scores, masked softmax, dropout and
// the product with V run in one task on an L×L block that stays in cache; the backward pass
// recomputes the dropout mask instead of storing it.
#include <cmath>
#include <vector>

#include "gemm.h"
#include "kernels.h"
#include "ops.h"

namespace nn {

namespace {

constexpr float kMasked = -1e30f;  // additive score of a padding key: exp underflows to exactly 0

std::vector<float> additive_mask(const uint8_t* mask, int64_t B, int64_t L) {
  std::vector<float> add(static_cast<size_t>(B * L));
  for (int64_t i = 0; i < B * L; ++i) add[i] = mask[i] ? 0.0f : kMasked;
  return add;
}

}  // namespace

void attention_forward(const Ctx& c, const AttentionShape& s, const float* qkv, const uint8_t* mask,
                       const DropoutKey* drop, float* probs, float* ctx) {
  Timed t(c, &Profile::attention);
  const int64_t L = s.L, H = s.H, nh = s.heads, dh = H / nh, ld = 3 * H, tasks = s.B * nh;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  const std::vector<float> add = additive_mask(mask, s.B, L);
  std::vector<float> scratch(drop ? static_cast<size_t>(c.slots(tasks) * L * L) : 0);
  c.parallel(tasks, [&](int64_t task, int slot) {
    const int64_t b = task / nh, h = task % nh;
    const float* Q = qkv + b * L * ld + h * dh;
    const float* K = Q + H;
    const float* V = Q + 2 * H;
    float* P = probs + task * L * L;
    sgemm(false, true, L, L, dh, scale, Q, ld, K, ld, 0.0f, P, L, *c.pool, 1);
    kernels::softmax_rows(P, add.data() + b * L, L);
    const float* Pd = P;
    if (drop) {
      float* d = scratch.data() + slot * L * L;
      dropout_apply_serial(*drop, P, d, L * L, static_cast<uint64_t>(task * L * L));
      Pd = d;
    }
    sgemm(false, false, L, dh, L, 1.0f, Pd, L, V, ld, 0.0f, ctx + b * L * H + h * dh, H, *c.pool, 1);
  });
}

void attention_backward(const Ctx& c, const AttentionShape& s, const float* qkv, const uint8_t* mask,
                        const DropoutKey* drop, const float* probs, const float* dctx, float* dqkv) {
  Timed t(c, &Profile::attention);
  (void)mask;  // padding keys have P = 0, hence dS = 0: the mask acts through the saved probabilities
  const int64_t L = s.L, H = s.H, nh = s.heads, dh = H / nh, ld = 3 * H, tasks = s.B * nh;
  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh)));
  std::vector<float> scratch(static_cast<size_t>(c.slots(tasks) * 2 * L * L));
  c.parallel(tasks, [&](int64_t task, int slot) {
    const int64_t b = task / nh, h = task % nh;
    const float* Q = qkv + b * L * ld + h * dh;
    const float* K = Q + H;
    const float* V = Q + 2 * H;
    const float* P = probs + task * L * L;
    const float* dC = dctx + b * L * H + h * dh;
    float* dQ = dqkv + b * L * ld + h * dh;
    float* dK = dQ + H;
    float* dV = dQ + 2 * H;
    float* dP = scratch.data() + slot * 2 * L * L;
    float* Pd = dP + L * L;
    const uint64_t first = static_cast<uint64_t>(task * L * L);
    sgemm(false, true, L, L, dh, 1.0f, dC, H, V, ld, 0.0f, dP, L, *c.pool, 1);  // d(P') = dC · Vᵀ
    const float* pd = P;
    if (drop) {
      dropout_apply_serial(*drop, P, Pd, L * L, first);
      dropout_apply_serial(*drop, dP, dP, L * L, first);  // d(P) = dropout(d(P'))
      pd = Pd;
    }
    sgemm(true, false, L, dh, L, 1.0f, pd, L, dC, H, 0.0f, dV, ld, *c.pool, 1);  // dV = P'ᵀ · dC
    kernels::softmax_back_rows(P, dP, L);                                        // dP → dS
    sgemm(false, false, L, dh, L, scale, dP, L, K, ld, 0.0f, dQ, ld, *c.pool, 1);  // dQ = dS · K / √d
    sgemm(true, false, L, dh, L, scale, dP, L, Q, ld, 0.0f, dK, ld, *c.pool, 1);   // dK = dSᵀ · Q / √d
  });
}

}  // namespace nn
