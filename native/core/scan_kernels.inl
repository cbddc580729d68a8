// The bodies of scan_kernels.h, included once per ISA level by scan_kernels.cpp (see
// isa_dispatch.h). No include guard on purpose.

namespace ot {
namespace kernels {
namespace OT_ISA_NS {

namespace {

// Blocks are checked with a branch-free OR over the exponent bits (vectorised; inputs are large
// and almost always clean); only a block that has a bad entry is searched again.
constexpr int64_t kBlock = 4096;

OT_ISA_TARGET OT_INLINE uint32_t non_finite_bit(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return static_cast<uint32_t>((bits & 0x7f800000u) == 0x7f800000u);
}

OT_ISA_TARGET OT_INLINE int64_t first_in_block(const float* x, int64_t b0, int64_t b1) {
  for (int64_t i = b0; i < b1; ++i)
    if (non_finite_bit(x[i])) return i;
  return -1;
}

}  // namespace

OT_ISA_TARGET
int64_t first_non_finite(const float* x, int64_t n) {
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t b1 = std::min(n, b0 + kBlock);
    uint32_t bad = 0;
    for (int64_t i = b0; i < b1; ++i) bad |= non_finite_bit(x[i]);
    if (bad) return first_in_block(x, b0, b1);
  }
  return -1;
}

OT_ISA_TARGET
int64_t copy_find_non_finite(const float* src, float* dst, int64_t n) {
  int64_t first = -1;
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t b1 = std::min(n, b0 + kBlock);
    const float* __restrict s = src;
    float* __restrict d = dst;
    uint32_t bad = 0;
    for (int64_t i = b0; i < b1; ++i) {
      const float v = s[i];
      bad |= non_finite_bit(v);
      d[i] = v;
    }
    if (bad && first < 0) first = first_in_block(dst, b0, b1);
  }
  return first;
}

OT_ISA_TARGET
int64_t convert_find_non_finite(const double* src, float* dst, int64_t n) {
  int64_t first = -1;
  constexpr double kMax = FLT_MAX;
  constexpr float kInf = std::numeric_limits<float>::infinity();
  for (int64_t b0 = 0; b0 < n; b0 += kBlock) {
    const int64_t b1 = std::min(n, b0 + kBlock);
    const double* __restrict s = src;
    float* __restrict d = dst;
    uint32_t bad = 0;
    for (int64_t i = b0; i < b1; ++i) {
      const double v = s[i];
      const float f = v > kMax ? kInf : v < -kMax ? -kInf : static_cast<float>(v);
      bad |= non_finite_bit(f);
      d[i] = f;
    }
    if (bad && first < 0) first = first_in_block(dst, b0, b1);
  }
  return first;
}

}  // namespace OT_ISA_NS
}  // namespace kernels
}  // namespace ot
