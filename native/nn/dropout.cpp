// Dropout with counter-based masks (philox.h): the mask of element e is a pure function of
// (seed, stream, input, e), so forward and backward regenerate it instead of storing it.
#include "isa_dispatch.h"
#include "ops.h"

namespace nn {

namespace {

// Elements [first, first + n): mask words for up to 64 quads at a time (a branch-free loop over
// independent Philox evaluations, which gcc vectorises), then the select.
OT_INLINE void dropout_run_body(const DropoutKey* key, const float* x, float* y, int64_t n, uint64_t first) {
  const uint32_t th = key->threshold();
  const float scale = key->scale();
  constexpr int kQuads = 64;
  uint32_t words[4 * kQuads];
  int64_t i = 0;
  while (i < n) {
    const uint64_t e = first + static_cast<uint64_t>(i);
    const uint64_t q0 = e >> 2;
    const int64_t lastQuad = static_cast<int64_t>((first + static_cast<uint64_t>(n) - 1) >> 2);
    const int quads = static_cast<int>(std::min<int64_t>(kQuads, lastQuad - static_cast<int64_t>(q0) + 1));
    for (int q = 0; q < quads; ++q) {
      const Philox4 w = dropout_words(*key, q0 + static_cast<uint64_t>(q));
      words[4 * q] = w.v[0];
      words[4 * q + 1] = w.v[1];
      words[4 * q + 2] = w.v[2];
      words[4 * q + 3] = w.v[3];
    }
    const int64_t off = static_cast<int64_t>(e & 3);  // word of element e within the first quad
    const int64_t take = std::min<int64_t>(n - i, 4 * static_cast<int64_t>(quads) - off);
    for (int64_t k = 0; k < take; ++k) y[i + k] = words[off + k] < th ? 0.0f : x[i + k] * scale;
    i += take;
  }
}
NN_ISA_KERNEL(dropout_run, (const DropoutKey* key, const float* x, float* y, int64_t n, uint64_t first),
              (key, x, y, n, first))

}  // namespace

void dropout_apply_serial(const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first) {
  dropout_run(&key, x, y, n, first);
}

void dropout_apply(const Ctx& c, const DropoutKey& key, const float* x, float* y, int64_t n, uint64_t first) {
  Timed t(c, &Profile::dropout);
  for_chunks(c, n, int64_t{1} << 15, [&](int64_t b, int64_t e) {
    dropout_run(&key, x + b, y + b, e - b, first + static_cast<uint64_t>(b));
  });
}

}  // namespace nn
