// Warp- and block-level reductions for the OT kernels. Log-sum-exp runs in base 2 (exp2f/log2f map
// to the SFU) on (max, sum) pairs that merge with warp shuffles; every helper is called by all
// threads of the block (or all lanes of a warp) with uniform control flow, which the shuffles with a
// full mask and the __syncthreads inside require.
#pragma once

// nvcc includes cuda_runtime.h in every .cu file. The host-side emulator in test/cuda/emulator
// defines OPTICAL_CUDA_EMULATION and supplies __syncthreads, shuffles, threadIdx, … itself, so the
// very same device code runs (and is checked) on a machine without a GPU.
#include <cmath>

namespace optical::cuda {

constexpr unsigned kFullMask = 0xffffffffu;
constexpr int kWarp = 32;
/** Largest block the kernels are launched with (sizes the static shared scratch). */
constexpr int kMaxThreads = 512;
constexpr float kLog2e = 1.4426950408889634f;
constexpr float kLn2 = 0.6931471805599453f;

#ifndef OPTICAL_CUDA_EMULATION
/** The block's dynamic shared memory (sized at launch). */
__device__ __forceinline__ float* dynamic_shared_floats() {
  extern __shared__ __align__(16) float dynamicShared[];
  return dynamicShared;
}
#endif

/** Running log2-sum-exp2: the value is mx + log2(sum); an empty sum is (−inf, 0). */
struct Lse {
  float mx = -INFINITY;
  float sum = 0.f;

  /** Adds 2^x. One exp2 per term: rescale only when the maximum moves. −inf terms (zero weights)
   *  are skipped, which also keeps exp2(−inf − (−inf)) = NaN out. */
  __device__ __forceinline__ void add(float x) {
    if (x > mx) {
      sum = sum * exp2f(mx - x) + 1.f;  // mx = −inf: 0 · 0 + 1
      mx = x;
    } else if (x > -INFINITY) {
      sum += exp2f(x - mx);
    }
  }

  __device__ __forceinline__ void merge(float omx, float osum) {
    const float nmx = fmaxf(mx, omx);
    if (nmx == -INFINITY) return;  // both empty
    sum = sum * exp2f(mx - nmx) + osum * exp2f(omx - nmx);
    mx = nmx;
  }

  __device__ __forceinline__ float value() const { return mx == -INFINITY ? -INFINITY : mx + log2f(sum); }
};

/** Merges the lanes' partial LSEs; every lane ends with the warp's total. */
__device__ __forceinline__ void warp_merge(Lse& s) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const float omx = __shfl_xor_sync(kFullMask, s.mx, o);
    const float osum = __shfl_xor_sync(kFullMask, s.sum, o);
    s.merge(omx, osum);
  }
}

template <class T>
__device__ __forceinline__ T warp_sum(T v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v += __shfl_xor_sync(kFullMask, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
  for (int o = kWarp / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(kFullMask, v, o));
  return v;
}

/** Block sum returned to every thread. `red` holds ≥ blockDim/32 entries. The warps' partials are
 *  added in warp order by every thread, so all threads get bit-identical totals (the kernels branch
 *  on them: early exit must be block-uniform). */
template <class T>
__device__ __forceinline__ T block_sum(T v, T* red) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  v = warp_sum(v);
  if (lane == 0) red[warp] = v;
  __syncthreads();
  T total = 0;
  for (int w = 0; w < warps; ++w) total += red[w];
  __syncthreads();  // `red` may be reused right after
  return total;
}

__device__ __forceinline__ float block_max(float v, float* red) {
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  v = warp_max(v);
  if (lane == 0) red[warp] = v;
  __syncthreads();
  float total = -INFINITY;
  for (int w = 0; w < warps; ++w) total = fmaxf(total, red[w]);
  __syncthreads();
  return total;
}

}  // namespace optical::cuda
