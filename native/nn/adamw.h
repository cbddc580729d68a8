// Fused AdamW over the model's flat buffers with global-norm clipping (torch.optim.AdamW after
// torch.nn.utils.clip_grad_norm_):
//   norm = ‖g‖₂ over every gradient (double, fixed chunks);  non-finite → nothing is applied
//   g ← g · min(1, clipNorm / (norm + 1e-6))                  (clipNorm > 0)
//   θ ← θ · (1 − lr·λ)                                        (tensors of rank ≥ 2 only)
//   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
//   θ ← θ − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
// Gradients are zeroed afterwards (also when the step was refused).
#ifndef OPTICAL_NATIVE_NN_ADAMW_H
#define OPTICAL_NATIVE_NN_ADAMW_H

#include "common.h"
#include "model.h"

namespace nn {

struct AdamWOptions {
  double lr = 1e-3;
  double weightDecay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double clipNorm = 0.0;  // ≤ 0: no clipping
};

// Throws ArgumentError naming the option ("options.lr must be ...").
void validate_adamw(const AdamWOptions& o);

struct AdamWResult {
  double gradNorm = 0;  // before clipping
  bool finite = true;   // false: nothing was applied
  double clipScale = 1;
};

AdamWResult adamw_step(Model& m, const Ctx& c, const AdamWOptions& o);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_ADAMW_H
