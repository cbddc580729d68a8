// Loss functions of the training objectives. Each returns the loss value (in double) and writes the
// gradient of `scale · loss` with respect to its input (the caller passes the term weight as scale).
// Reductions are serial or in fixed chunks: deterministic for any thread count.
#ifndef OPTICAL_NATIVE_NN_LOSSES_H
#define OPTICAL_NATIVE_NN_LOSSES_H

#include <cstdint>
#include <vector>

#include "../core/ot.h"
#include "common.h"

namespace nn {

// ---- loss_infonce.cpp -----------------------------------------------------------------------
// y = x / sqrt(‖x‖² + 1e-12) per row (the bi-encoder's normalisation); backward dx += r·dy − r³ (x·dy) x.
void l2_normalize_forward(const float* x, int64_t n, int64_t H, float* y);
void l2_normalize_backward(const float* x, const float* dy, int64_t n, int64_t H, float* dx);  // dx +=

// InfoNCE over unit vectors: logits S = q·dᵀ / τ (nq × nd), loss = mean_i CE(S_i, positive[i]).
// dq (nq × H) and dd (nd × H, may be null for fixed targets) are overwritten. accuracy: share of
// queries whose positive has the highest logit.
double infonce(const float* q, int64_t nq, const float* d, int64_t nd, int64_t H, const int32_t* positive,
               double temperature, double scale, float* dq, float* dd, double* accuracy);

// ---- loss_bce.cpp ---------------------------------------------------------------------------
// mean over n of  max(x, 0) − x·y + log(1 + e^−|x|)   (BCE with logits); dx overwritten.
double bce_with_logits(const float* x, const float* y, int64_t n, double scale, float* dx, double* accuracy);

// ---- loss_mse.cpp ---------------------------------------------------------------------------
// mean over all n·H entries of (p − t)²; dp overwritten.
double mse(const float* p, const float* t, int64_t n, int64_t H, double scale, float* dp);

// ---- loss_cosine.cpp ------------------------------------------------------------------------
// mean over rows of 1 − cos(p_i, t_i), cos = p·t / (max(‖p‖, 1e-8) · max(‖t‖, 1e-8)); dp overwritten.
double cosine_loss(const float* p, const float* t, int64_t n, int64_t H, double scale, float* dp);

// ---- loss_cross_entropy.cpp -----------------------------------------------------------------
// Softmax cross-entropy of N rows of V logits against labels (all valid), mean over rows. The
// logits are overwritten by the gradient.
double cross_entropy(const Ctx& c, float* logits, const int32_t* labels, int64_t N, int64_t V, double scale,
                     double* accuracy);

// ---- loss_ot.cpp ----------------------------------------------------------------------------
// OPTICAL's token-level OT distillation term through native/core's fused step (ot::ot_loss): the
// student tokens are the real tokens (mask = 1) of each row of hidden [B, L, H], in order; teacher
// row k has rows[k] tokens. loss = mean over rows of <P, C>; the gradient (the envelope gradient,
// see src/ot/loss-step.ts) is added to dHidden at the student positions.
struct OtTerm {
  const float* teacher = nullptr;  // Σ rows × H
  const int32_t* rows = nullptr;   // B
  const float* a = nullptr;        // Σ rows, optional
  const float* b = nullptr;        // Σ cols, optional
  ot::CostKind cost = ot::CostKind::Cosine;
  ot::SinkhornOptions sinkhorn;
};
struct OtExtras {
  double iterations = 0, converged = 0, planEntropy = 0, entropicValue = 0, maxError = 0;
};
double ot_distill(const Ctx& c, const float* hidden, const uint8_t* mask, int64_t B, int64_t L, int64_t H,
                  const OtTerm& term, double scale, float* dHidden, OtExtras* extras);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_LOSSES_H
