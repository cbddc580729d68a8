// Token + position + token-type embeddings (native/nn/embeddings.cpp) and their deterministic
// scatter-add backward: the host groups the tokens by id with a stable counting sort (as the CPU
// engine does), so each word-embedding row is summed by one thread per column in token order — no
// atomics, the same bits on every run.
#pragma once

#include <cstdint>

#include "cuda/nn/elementwise.cuh"

namespace optical::cuda::nn {

/** out[t, j] = (word[ids[t], j] + pos[posOffset + t mod L, j]) + type[types[t], j] (types null: 0). */
__global__ void __launch_bounds__(kThreads) embeddings_forward_kernel(const int32_t* ids, const int32_t* types,
                                                                      int64_t T, int64_t L, int64_t H,
                                                                      int64_t posOffset, const float* word,
                                                                      const float* pos, const float* type, float* out) {
  const int64_t i = global_index();
  if (i >= T * H) return;
  const int64_t t = i / H, j = i % H;
  const float w = word[static_cast<int64_t>(ids[t]) * H + j];
  const float p = pos[(posOffset + t % L) * H + j];
  const float y = type[(types ? static_cast<int64_t>(types[t]) : 0) * H + j];
  out[i] = (w + p) + y;
}

/** Word rows: group d (id groupId[d]) owns tokens order[bounds[2d] … bounds[2d+1]); the row gets
 *  their gradients added in token order. Grid: groups × ⌈H/256⌉. */
__global__ void __launch_bounds__(kThreads) embeddings_word_backward_kernel(const float* dout, const int64_t* order,
                                                                            const int64_t* bounds,
                                                                            const int32_t* groupId, int64_t groups,
                                                                            int64_t H, float* dword) {
  const int64_t colBlocks = (H + kThreads - 1) / kThreads;
  const int64_t d = blockIdx.x / colBlocks, j = (blockIdx.x % colBlocks) * kThreads + threadIdx.x;
  if (d >= groups || j >= H) return;
  float* row = dword + static_cast<int64_t>(groupId[d]) * H;
  float r = row[j];
  for (int64_t k = bounds[2 * d]; k < bounds[2 * d + 1]; ++k) r += dout[order[k] * H + j];
  row[j] = r;
}

/** Position rows: dpos[posOffset + l, j] += Σ_b dout[b·L + l, j], b in order (one thread per entry). */
__global__ void __launch_bounds__(kThreads) embeddings_position_backward_kernel(const float* dout, int64_t B,
                                                                                int64_t L, int64_t H,
                                                                                int64_t posOffset, float* dpos) {
  const int64_t i = global_index();
  if (i >= L * H) return;
  const int64_t l = i / H, j = i % H;
  float* cell = dpos + (posOffset + l) * H + j;
  float r = *cell;
  for (int64_t b = 0; b < B; ++b) r += dout[(b * L + l) * H + j];
  *cell = r;
}

/** Type rows: dtype[y, j] += Σ_{t: types[t] = y} dout[t, j], tokens in order (types null: all 0). */
__global__ void __launch_bounds__(kThreads) embeddings_type_backward_kernel(const float* dout, const int32_t* types,
                                                                            int64_t T, int64_t H, int64_t typeVocab,
                                                                            float* dtype) {
  const int64_t i = global_index();
  if (i >= typeVocab * H) return;
  const int64_t y = i / H, j = i % H;
  float acc = 0.f;
  for (int64_t t = 0; t < T; ++t)
    if ((types ? static_cast<int64_t>(types[t]) : 0) == y) acc += dout[t * H + j];
  dtype[i] += acc;
}

}  // namespace optical::cuda::nn
