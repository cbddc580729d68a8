// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC 2011), the
// counter-based generator behind every dropout mask of the engine. A mask bit is a pure function of
// (seed, stream, input, element index), so it is the same whatever thread computes it, in whatever
// order, on the CPU or in a CUDA kernel, or in TypeScript (src/models/engine/philox.ts).
//
// Philox4x32-10, as in Random123:
//   counter c = (c0, c1, c2, c3), key k = (k0, k1), all uint32.
//   10 rounds; before every round but the first, k0 += 0x9E3779B9, k1 += 0xBB67AE85 (mod 2^32).
//   round: (hi0, lo0) = 0xD2511F53 · c0,  (hi1, lo1) = 0xCD9E8D57 · c2   (32×32 → 64-bit products)
//          c = (hi1 ^ c1 ^ k0,  lo1,  hi0 ^ c3 ^ k1,  lo0)
//   output: the final c.
//
// Dropout mask specification (engine-wide):
//   element e (0-based, row-major index into the tensor being dropped) of dropout site `stream`
//   for input `input` (its index in StepSpec.inputs) under step seed s (0 ≤ s < 2^53):
//     key     = (s mod 2^32, floor(s / 2^32))
//     counter = (floor(e/4) mod 2^32, floor(e / 2^34), stream, input)
//     u       = word (e mod 4) of Philox4x32-10(counter, key)
//     dropped ⇔ u < threshold(p),  threshold(p) = min(2^32 − 1, floor(p · 2^32))   (p in double)
//     kept values are multiplied by scale(p) = (float)(1 / (1 − p))                  (double, then rounded)
//   stream = 16 · layer + site, with site 1 = embeddings output (layer 0), 2 = attention
//   probabilities, 3 = attention output, 4 = feed-forward output (layer = encoder layer 0..N−1),
//   5 = classifier head (layer = N, the number of encoder layers).
#ifndef OPTICAL_NATIVE_NN_PHILOX_H
#define OPTICAL_NATIVE_NN_PHILOX_H

#include <cmath>
#include <cstdint>

#include "../core/fast_math.h"  // OT_INLINE: inlined into the per-ISA loops of kernels.inl

// The generator is also compiled as device code by the CUDA engine (native/cuda/nn), so that a GPU
// draws the very same mask bits.
#if defined(__CUDACC__)
#define NN_PHILOX_DEVICE __host__ __device__
#else
#define NN_PHILOX_DEVICE
#endif

namespace nn {

struct Philox4 {
  uint32_t v[4];
};

OT_INLINE NN_PHILOX_DEVICE Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
  for (int r = 0; r < 10; ++r) {
    if (r > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    const uint64_t p0 = uint64_t{0xD2511F53u} * c0;
    const uint64_t p1 = uint64_t{0xCD9E8D57u} * c2;
    const uint32_t hi0 = static_cast<uint32_t>(p0 >> 32), lo0 = static_cast<uint32_t>(p0);
    const uint32_t hi1 = static_cast<uint32_t>(p1 >> 32), lo1 = static_cast<uint32_t>(p1);
    c0 = hi1 ^ c1 ^ k0;
    c1 = lo1;
    c2 = hi0 ^ c3 ^ k1;
    c3 = lo0;
  }
  return {{c0, c1, c2, c3}};
}

enum class DropoutSite : uint32_t { Embeddings = 1, AttentionProbs = 2, AttentionOutput = 3, FeedForward = 4, Classifier = 5 };

inline uint32_t dropout_stream(int64_t layer, DropoutSite site) {
  return static_cast<uint32_t>(16 * layer) + static_cast<uint32_t>(site);
}

// Everything that selects one dropout mask.
struct DropoutKey {
  uint64_t seed = 0;
  uint32_t stream = 0;
  uint32_t input = 0;
  double rate = 0.0;  // the config's probability as given (double, as in the TypeScript engine)

  uint32_t threshold() const {
    const double t = std::floor(rate * 4294967296.0);
    return t >= 4294967295.0 ? 0xFFFFFFFFu : static_cast<uint32_t>(t);
  }
  float scale() const { return static_cast<float>(1.0 / (1.0 - rate)); }
};

// The four mask words of elements 4q … 4q+3.
OT_INLINE Philox4 dropout_words(const DropoutKey& k, uint64_t quad) {
  return philox4x32_10(static_cast<uint32_t>(quad), static_cast<uint32_t>(quad >> 32), k.stream, k.input,
                       static_cast<uint32_t>(k.seed), static_cast<uint32_t>(k.seed >> 32));
}

}  // namespace nn

#endif  // OPTICAL_NATIVE_NN_PHILOX_H
