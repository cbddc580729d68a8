// Token + position + token-type embeddings (before the embedding LayerNorm).
#include <vector>

#include "ops.h"

namespace nn {

void embeddings_forward(const Ctx& c, const int32_t* ids, const int32_t* types, int64_t B, int64_t L, int64_t H,
                        int64_t posOffset, const float* word, const float* pos, const float* type, float* out) {
  Timed t(c, &Profile::embeddings);
  const int64_t T = B * L;
  for_chunks(c, T, row_grain(H), [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const float* w = word + static_cast<int64_t>(ids[t]) * H;
      const float* p = pos + (posOffset + t % L) * H;
      const float* y = type + (types ? static_cast<int64_t>(types[t]) : 0) * H;
      float* o = out + t * H;
      // Same association as the reference: (word + position) + type.
      for (int64_t j = 0; j < H; ++j) o[j] = (w[j] + p[j]) + y[j];
    }
  });
}

void embeddings_backward(const Ctx& c, const float* dout, const int32_t* ids, const int32_t* types, int64_t B,
                         int64_t L, int64_t H, int64_t posOffset, int64_t vocab, int64_t typeVocab, int64_t padId,
                         float* dword, float* dpos, float* dtype) {
  Timed t(c, &Profile::embeddings);
  const int64_t T = B * L;
  // Word embeddings: tokens grouped by id with a stable counting sort, so each row of the table is
  // summed by one task in token order (no atomics, the same bits for any thread count).
  std::vector<int64_t> start(static_cast<size_t>(vocab) + 1, 0);
  for (int64_t t = 0; t < T; ++t) ++start[static_cast<size_t>(ids[t]) + 1];
  for (int64_t v = 0; v < vocab; ++v) start[v + 1] += start[v];
  std::vector<int64_t> order(static_cast<size_t>(T));
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t t = 0; t < T; ++t) order[fill[ids[t]]++] = t;
  }
  std::vector<int32_t> distinct;
  for (int64_t v = 0; v < vocab; ++v)
    if (start[v + 1] > start[v] && v != padId) distinct.push_back(static_cast<int32_t>(v));
  const int64_t D = static_cast<int64_t>(distinct.size());
  for_chunks(c, D, 16, [&](int64_t d0, int64_t d1) {
    for (int64_t d = d0; d < d1; ++d) {
      const int32_t v = distinct[d];
      float* row = dword + static_cast<int64_t>(v) * H;
      for (int64_t k = start[v]; k < start[v + 1]; ++k) {
        const float* g = dout + order[k] * H;
        for (int64_t j = 0; j < H; ++j) row[j] += g[j];
      }
    }
  });
  // Positions: row offset + l sums the batch in order.
  for_chunks(c, L, 8, [&](int64_t l0, int64_t l1) {
    for (int64_t l = l0; l < l1; ++l) {
      float* row = dpos + (posOffset + l) * H;
      for (int64_t b = 0; b < B; ++b) {
        const float* g = dout + (b * L + l) * H;
        for (int64_t j = 0; j < H; ++j) row[j] += g[j];
      }
    }
  });
  // Token types (few rows): column blocks, tokens in order.
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (H + kBlock - 1) / kBlock;
  c.parallel(blocks, [&](int64_t blk, int) {
    const int64_t j0 = blk * kBlock, w = std::min(H, j0 + kBlock) - j0;
    std::vector<float> acc(static_cast<size_t>(typeVocab * kBlock), 0.0f);
    for (int64_t t = 0; t < T; ++t) {
      float* a = acc.data() + (types ? static_cast<int64_t>(types[t]) : 0) * kBlock;
      const float* g = dout + t * H + j0;
      for (int64_t j = 0; j < w; ++j) a[j] += g[j];
    }
    for (int64_t y = 0; y < typeVocab; ++y)
      for (int64_t j = 0; j < w; ++j) dtype[y * H + j0 + j] += acc[y * kBlock + j];
  });
}

}  // namespace nn
