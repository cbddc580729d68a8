// Sentence vectors from token states: [CLS] (first token) or the mean over real tokens.
#include "ops.h"

namespace nn {

void pool_forward(Pooling p, const float* h, const uint8_t* mask, int64_t B, int64_t L, int64_t H, float* out) {
  for (int64_t b = 0; b < B; ++b) {
    float* o = out + b * H;
    const float* hb = h + b * L * H;
    if (p == Pooling::Cls) {
      std::copy(hb, hb + H, o);
      continue;
    }
    std::fill(o, o + H, 0.0f);
    int64_t n = 0;
    for (int64_t l = 0; l < L; ++l) {
      if (!mask[b * L + l]) continue;
      ++n;
      for (int64_t j = 0; j < H; ++j) o[j] += hb[l * H + j];
    }
    const float inv = 1.0f / static_cast<float>(n);
    for (int64_t j = 0; j < H; ++j) o[j] *= inv;
  }
}

void pool_backward(Pooling p, const float* dout, const uint8_t* mask, int64_t B, int64_t L, int64_t H, float* dh) {
  for (int64_t b = 0; b < B; ++b) {
    const float* d = dout + b * H;
    float* g = dh + b * L * H;
    if (p == Pooling::Cls) {
      for (int64_t j = 0; j < H; ++j) g[j] += d[j];
      continue;
    }
    int64_t n = 0;
    for (int64_t l = 0; l < L; ++l) n += mask[b * L + l] ? 1 : 0;
    const float inv = 1.0f / static_cast<float>(n);
    for (int64_t l = 0; l < L; ++l) {
      if (!mask[b * L + l]) continue;
      for (int64_t j = 0; j < H; ++j) g[l * H + j] += d[j] * inv;
    }
  }
}

}  // namespace nn
