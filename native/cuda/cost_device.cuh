// Cost builders and the OT-loss gradient on the GPU, with the formulas of
// src/ot/reference/cost.ts and loss.ts:
//   cosine:      C_ij = 1 − x_i·y_j / (max(‖x_i‖,1e-8) · max(‖y_j‖,1e-8))
//   sqeuclidean: C_ij = Σ_d (x_id − y_jd)²   (summed directly: no ‖x‖²+‖y‖²−2x·y cancellation)
//   dot:         C_ij = −x_i·y_j
// fp32 FMAs and fp32 accumulation (never TF32).
//
// cost_kernel: one 32×32 output tile per block (a ragged batch becomes a flat list of tiles, so the
// whole batch is one launch); the block stages 32-wide slices of the 32 x rows and 32 y rows in
// shared memory (stride 33: conflict-free column reads) and each of the 256 threads owns 4 outputs.
// grad_kernel: the gradient is a batched small GEMM, Z = Pᵀ T̃ per problem, followed by a per-entry
// combination with the student token; one 32-token × 64-dim tile per block, tiles of P and T staged
// in shared memory, the whole batch one launch.
// Device code only; launched from cost_kernels.cu (and run by the host emulator in test/cuda).
#pragma once

#include <cstdint>

#include "cuda/reduce.cuh"

namespace optical::cuda {

constexpr int kTile = 32;
constexpr int kTileThreads = 256;  // 32 × 8: each thread computes 4 rows of one column
constexpr float kNormFloor = 1e-8f;

struct CostTile {
  int32_t k, i0, j0;
};

/** Embedding dimensions per gradient tile (two per thread). */
constexpr int kGradDims = 64;

struct GradTile {
  int32_t k, j0, d0;  // student tokens j0 … j0+31 and dimensions d0 … d0+63 of problem k
};

enum Kind : int { kCosine = 0, kSqEuclidean = 1, kDot = 2 };

__global__ void __launch_bounds__(256) clamped_norms_kernel(const float* v, int64_t count, int64_t dim, float* out) {
  const int lane = threadIdx.x % kWarp;
  const int64_t row = (static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x) / kWarp;
  if (row >= count) return;  // whole warps leave together (row is warp-uniform); no barriers here
  const float* x = v + row * dim;
  float s = 0.f;
  for (int64_t d = lane; d < dim; d += kWarp) s = fmaf(x[d], x[d], s);
  s = warp_sum(s);
  if (lane == 0) out[row] = fmaxf(sqrtf(s), kNormFloor);
}

/** max |C| of each problem's block (one block of 256 threads per problem): the float32 resolution
 *  check of eps (ot::validate_eps_resolution) for costs built on the device. */
__global__ void __launch_bounds__(256) max_abs_cost_kernel(const int64_t* blockOffset, const float* cost, float* out) {
  __shared__ float red[256 / kWarp];
  const int k = blockIdx.x;
  const int64_t b0 = blockOffset[k], b1 = blockOffset[k + 1];
  float mx = 0.f;
  for (int64_t x = b0 + threadIdx.x; x < b1; x += blockDim.x) mx = fmaxf(mx, fabsf(cost[x]));
  mx = block_max(mx, red);
  if (threadIdx.x == 0) out[k] = mx;
}

template <int kKind>
__global__ void __launch_bounds__(kTileThreads) cost_kernel(const CostTile* tiles, const int32_t* rows,
                                                            const int32_t* cols, const int64_t* rowOffset,
                                                            const int64_t* colOffset, const int64_t* blockOffset,
                                                            int64_t dim, const float* x, const float* y,
                                                            const float* xNorms, const float* yNorms, float* out) {
  __shared__ float xs[kTile][kTile + 1];
  __shared__ float ys[kTile][kTile + 1];
  const CostTile tile = tiles[blockIdx.x];
  const int n = rows[tile.k], m = cols[tile.k];
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;  // ty ∈ [0, 8)
  const int64_t xr = rowOffset[tile.k] + tile.i0, yr = colOffset[tile.k] + tile.j0;
  const int xRows = min(kTile, n - tile.i0), yRows = min(kTile, m - tile.j0);
  float acc[4] = {0.f, 0.f, 0.f, 0.f};
  for (int64_t d0 = 0; d0 < dim; d0 += kTile) {
    const bool inDim = d0 + tx < dim;
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int row = ty + 8 * r;
      // Zero padding: contributes 0 to x·y and (0 − 0)² = 0 to the squared distance.
      xs[row][tx] = (row < xRows && inDim) ? x[(xr + row) * dim + d0 + tx] : 0.f;
      ys[row][tx] = (row < yRows && inDim) ? y[(yr + row) * dim + d0 + tx] : 0.f;
    }
    __syncthreads();
#pragma unroll 8
    for (int dd = 0; dd < kTile; ++dd) {
      const float yv = ys[tx][dd];
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const float xv = xs[ty + 8 * r][dd];
        if constexpr (kKind == kSqEuclidean) {
          const float t = xv - yv;
          acc[r] = fmaf(t, t, acc[r]);
        } else {
          acc[r] = fmaf(xv, yv, acc[r]);
        }
      }
    }
    __syncthreads();  // the tiles are overwritten by the next slice
  }
  const int j = tile.j0 + tx;
  if (j >= m) return;
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int i = tile.i0 + ty + 8 * r;
    if (i >= n) continue;
    float c;
    if constexpr (kKind == kCosine) {
      c = 1.f - acc[r] / (xNorms[rowOffset[tile.k] + i] * yNorms[colOffset[tile.k] + j]);
    } else if constexpr (kKind == kSqEuclidean) {
      c = acc[r];
    } else {
      c = -acc[r];
    }
    out[blockOffset[tile.k] + static_cast<int64_t>(i) * m + j] = c;
  }
}

template <int kKind>
__global__ void __launch_bounds__(kTileThreads) grad_kernel(const GradTile* tiles, const int32_t* rows,
                                                            const int32_t* cols, const int64_t* rowOffset,
                                                            const int64_t* colOffset, const int64_t* blockOffset,
                                                            int64_t dim, const float* teacher, const float* student,
                                                            const float* tNorms, const float* sNorms,
                                                            const float* cost, const float* plan, float* grad) {
  // Z = Pᵀ T̃ for a 32-column × 64-dim tile (T̃ = T, or T/‖T‖ for cosine), staged through shared
  // memory 32 rows of P and T at a time; each thread owns 4 columns × 2 dims. The column scalars
  // Σ_i P_ij and Σ_i P_ij cos_ij are summed on the way (partials per thread row, merged at the end).
  __shared__ float ps[kTile][kTile];        // P_ij (/‖t_i‖ for cosine), [i][j]
  __shared__ float xs[kTile][kGradDims];    // t_id, [i][d]
  __shared__ float massPart[kTileThreads / kTile][kTile];
  __shared__ float cosPart[kTileThreads / kTile][kTile];
  const GradTile tile = tiles[blockIdx.x];
  const int k = tile.k;
  const int n = rows[k], m = cols[k];
  const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;  // ty ∈ [0, 8)
  const int64_t ro = rowOffset[k], co = colOffset[k];
  const float* P = plan + blockOffset[k];
  const float* C = cost + blockOffset[k];
  const int jLoad = tile.j0 + tx;  // the column this thread loads
  float acc[4][2] = {{0.f, 0.f}, {0.f, 0.f}, {0.f, 0.f}, {0.f, 0.f}};
  float mass = 0.f, pcos = 0.f;  // partial column scalars of column jLoad
  for (int i0 = 0; i0 < n; i0 += kTile) {
#pragma unroll
    for (int r = 0; r < 4; ++r) {
      const int ii = ty + 8 * r, i = i0 + ii;
      float pv = 0.f;
      if (i < n && jLoad < m) {
        const int64_t x = static_cast<int64_t>(i) * m + jLoad;
        pv = P[x];
        mass += pv;
        if constexpr (kKind == kCosine) pcos = fmaf(pv, 1.f - C[x], pcos);
        if constexpr (kKind == kCosine) pv /= tNorms[ro + i];
      }
      ps[ii][tx] = pv;
      const float* t = teacher + (ro + i) * dim + tile.d0;
#pragma unroll
      for (int e = 0; e < 2; ++e) {
        const int dd = tx + kTile * e;
        xs[ii][dd] = (i < n && tile.d0 + dd < dim) ? t[dd] : 0.f;
      }
    }
    __syncthreads();
#pragma unroll 8
    for (int ii = 0; ii < kTile; ++ii) {
      const float x0 = xs[ii][tx], x1 = xs[ii][tx + kTile];
#pragma unroll
      for (int r = 0; r < 4; ++r) {
        const float pv = ps[ii][ty + 8 * r];
        acc[r][0] = fmaf(pv, x0, acc[r][0]);
        acc[r][1] = fmaf(pv, x1, acc[r][1]);
      }
    }
    __syncthreads();  // the tiles are overwritten by the next rows
  }
  massPart[ty][tx] = mass;
  cosPart[ty][tx] = pcos;
  __syncthreads();
#pragma unroll
  for (int r = 0; r < 4; ++r) {
    const int jj = ty + 8 * r, j = tile.j0 + jj;
    if (j >= m) continue;
    float cm = 0.f, cc = 0.f;
    for (int q = 0; q < kTileThreads / kTile; ++q) {
      cm += massPart[q][jj];
      cc += cosPart[q][jj];
    }
    const float* s = student + (co + j) * dim;
    float* out = grad + (co + j) * dim;
    const float invS = kKind == kCosine ? 1.f / sNorms[co + j] : 1.f;
#pragma unroll
    for (int e = 0; e < 2; ++e) {
      const int64_t d = tile.d0 + tx + kTile * e;
      if (d >= dim) continue;
      const float z = acc[r][e];
      float gd;
      if constexpr (kKind == kCosine) {
        gd = -(z - cc * s[d] * invS) * invS;  // −Σ_i P_ij (t̂_i − cos_ij ŝ_j)/‖s_j‖
      } else if constexpr (kKind == kSqEuclidean) {
        gd = 2.f * (cm * s[d] - z);  // Σ_i 2 P_ij (s_j − t_i)
      } else {
        gd = -z;  // −Σ_i P_ij t_i
      }
      out[d] = gd;
    }
  }
}

}  // namespace optical::cuda
