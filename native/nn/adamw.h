// Fused AdamW over the model's flat buffers with global-norm clipping (torch.optim.AdamW after
// torch.nn.utils.clip_grad_norm_):
//   norm = ‖g‖₂ over every gradient (double, fixed chunks);  non-finite → nothing is applied
//   g ← g · min(1, clipNorm / (norm + 1e-6))                  (clipNorm > 0)
//   θ ← θ · (1 − lr·λ)                                        (tensors of rank ≥ 2 only)
//   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
//   θ ← θ − lr / (1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
// Frozen parameters (options.frozen) take no part. Gradients are zeroed afterwards (also when the
// step was refused). After an applied step the
// weights are checked: `nonFinite` names the first tensor the update left with NaN/Inf (e.g. a
// learning rate that overflows float32), so a training loop can stop before saving it.
#ifndef OPTICAL_NATIVE_NN_ADAMW_H
#define OPTICAL_NATIVE_NN_ADAMW_H

#include <string>
#include <vector>

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
  // Parameters left as they are (no update, no decay, moments unchanged; their gradients count
  // neither in the norm): e.g. the ranking head while distillation trains the encoder only.
  std::vector<std::string> frozen;
};

// Throws ArgumentError naming the option ("options.lr must be ...").
void validate_adamw(const AdamWOptions& o);

struct AdamWResult {
  double gradNorm = 0;  // before clipping
  bool finite = true;   // false: nothing was applied
  double clipScale = 1;
  std::string nonFinite;  // first tensor holding NaN/Inf after the update; empty when all are finite
};

AdamWResult adamw_step(Model& m, const Ctx& c, const AdamWOptions& o);

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_ADAMW_H
