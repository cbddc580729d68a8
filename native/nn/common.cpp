#include "common.h"

#include <cstring>

namespace nn {

void column_sums_add(const Ctx& c, const float* X, int64_t rows, int64_t cols, int64_t ld, float* out) {
  constexpr int64_t kBlock = 64;
  const int64_t blocks = (cols + kBlock - 1) / kBlock;
  c.parallel(blocks, [&](int64_t blk, int) {
    const int64_t j0 = blk * kBlock, j1 = std::min(cols, j0 + kBlock), w = j1 - j0;
    float acc[kBlock];
    for (int64_t j = 0; j < w; ++j) acc[j] = 0.0f;
    for (int64_t t = 0; t < rows; ++t) {
      const float* x = X + t * ld + j0;
      for (int64_t j = 0; j < w; ++j) acc[j] += x[j];
    }
    for (int64_t j = 0; j < w; ++j) out[j0 + j] += acc[j];
  });
}

double sum_squares(const Ctx& c, const float* x, int64_t n) {
  constexpr int64_t kChunk = int64_t{1} << 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<double> part(static_cast<size_t>(chunks), 0.0);
  c.parallel(chunks, [&](int64_t k, int) {
    const int64_t b = k * kChunk, e = std::min(n, b + kChunk);
    double s = 0.0;
    for (int64_t i = b; i < e; ++i) s += static_cast<double>(x[i]) * x[i];
    part[k] = s;
  });
  double total = 0.0;
  for (double p : part) total += p;
  return total;
}

bool all_finite(const Ctx& c, const float* x, int64_t n) {
  constexpr int64_t kChunk = int64_t{1} << 16;
  const int64_t chunks = (n + kChunk - 1) / kChunk;
  std::vector<unsigned char> bad(static_cast<size_t>(chunks), 0);
  c.parallel(chunks, [&](int64_t k, int) {
    const int64_t b = k * kChunk, e = std::min(n, b + kChunk);
    uint32_t any = 0;
    for (int64_t i = b; i < e; ++i) {
      uint32_t bits;
      std::memcpy(&bits, x + i, sizeof bits);
      any |= static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
    }
    bad[k] = static_cast<unsigned char>(any);
  });
  for (unsigned char v : bad)
    if (v) return false;
  return true;
}

}  // namespace nn
