// Loss functions of the CUDA engine (native/nn/losses.h, same formulas and precision: the small
// reductions of the sentence-level losses in double, as the CPU engine). Each kernel writes the
// gradient of scale·loss into its input's gradient and the per-row (or per-block) loss terms into
// a small array that comes back with the step's results (summed on the host in row order).
#pragma once

#include <cstdint>

#include "cuda/nn/elementwise.cuh"

namespace optical::cuda::nn {

// ---- L2 normalisation of sentence vectors (the bi-encoder's cosine) --------------------------

/** y = x / sqrt(‖x‖² + 1e-12) per row (sums in double); y may alias x. One warp per row. */
__global__ void __launch_bounds__(kThreads) l2_normalize_forward_kernel(const float* x, int64_t n, int64_t H,
                                                                        float* y) {
  const int lane = threadIdx.x % kWarp;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  if (i >= n) return;
  double s = 0.0;
  for (int64_t j = lane; j < H; j += kWarp) s += static_cast<double>(x[i * H + j]) * x[i * H + j];
  const double r = 1.0 / sqrt(warp_sum(s) + 1e-12);
  for (int64_t j = lane; j < H; j += kWarp) y[i * H + j] = static_cast<float>(x[i * H + j] * r);
}

/** dx += r·dy − r³(x·dy)·x, r = (‖x‖² + 1e-12)^−½. One warp per row. */
__global__ void __launch_bounds__(kThreads) l2_normalize_backward_kernel(const float* x, const float* dy, int64_t n,
                                                                         int64_t H, float* dx) {
  const int lane = threadIdx.x % kWarp;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  if (i >= n) return;
  const float* xi = x + i * H;
  const float* gi = dy + i * H;
  double s = 0.0, xd = 0.0;
  for (int64_t j = lane; j < H; j += kWarp) {
    s += static_cast<double>(xi[j]) * xi[j];
    xd += static_cast<double>(xi[j]) * gi[j];
  }
  s = warp_sum(s);
  xd = warp_sum(xd);
  const double r = 1.0 / sqrt(s + 1e-12);
  const double r3xd = r * r * r * xd;
  for (int64_t j = lane; j < H; j += kWarp) dx[i * H + j] += static_cast<float>(r * gi[j] - r3xd * xi[j]);
}

// ---- InfoNCE over unit vectors ---------------------------------------------------------------

/** S[i, j] = q_i·d_j / τ in double. One warp per (i, j). */
__global__ void __launch_bounds__(kThreads) infonce_logits_kernel(const float* q, int64_t nq, const float* d,
                                                                  int64_t nd, int64_t H, double temperature,
                                                                  double* S) {
  const int lane = threadIdx.x % kWarp;
  const int64_t p = static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  if (p >= nq * nd) return;
  const int64_t i = p / nd, j = p % nd;
  double s = 0.0;
  for (int64_t k = lane; k < H; k += kWarp) s += static_cast<double>(q[i * H + k]) * d[j * H + k];
  s = warp_sum(s);
  if (lane == 0) S[p] = s / temperature;
}

/** Per query row (one thread each, serial over the documents as the CPU engine): the loss term
 *  lse(S_i) − S_i,pos, whether the positive has the highest logit, and S_i turned into
 *  dLoss/dS_i = (softmax − onehot)·scale/nq. */
__global__ void __launch_bounds__(kThreads) infonce_rows_kernel(double* S, int64_t nq, int64_t nd,
                                                                const int32_t* positive, double scale,
                                                                double* rowLoss, uint8_t* hit) {
  const int64_t i = global_index();
  if (i >= nq) return;
  double* row = S + i * nd;
  double mx = row[0];
  int64_t arg = 0;
  for (int64_t j = 1; j < nd; ++j)
    if (row[j] > mx) {
      mx = row[j];
      arg = j;
    }
  hit[i] = arg == positive[i];
  double sum = 0.0;
  for (int64_t j = 0; j < nd; ++j) sum += exp(row[j] - mx);
  rowLoss[i] = mx + log(sum) - row[positive[i]];
  for (int64_t j = 0; j < nd; ++j) row[j] = exp(row[j] - mx) / sum;
  row[positive[i]] -= 1.0;
  for (int64_t j = 0; j < nd; ++j) row[j] *= scale / static_cast<double>(nq);
}

/** out = dS·D/τ (`transposed` false: rows of S, D = the documents) or dSᵀ·Q/τ (true: columns of S,
 *  D = the queries); sums over S's other axis in order, in double. One thread per output entry. */
__global__ void __launch_bounds__(kThreads) infonce_grad_kernel(const double* S, int64_t nq, int64_t nd,
                                                                const float* D, int64_t H, double temperature,
                                                                bool transposed, float* out) {
  const int64_t p = global_index();
  const int64_t rows = transposed ? nd : nq;
  if (p >= rows * H) return;
  const int64_t r = p / H, k = p % H;
  double s = 0.0;
  if (transposed) {
    for (int64_t i = 0; i < nq; ++i) s += S[i * nd + r] * D[i * H + k];
  } else {
    for (int64_t j = 0; j < nd; ++j) s += S[r * nd + j] * D[j * H + k];
  }
  out[p] = static_cast<float>(s / temperature);
}

// ---- regression losses against fixed targets -------------------------------------------------

/** MSE over N entries: dp = 2(p − t)·scale/N; part[block] = Σ (p − t)² of the block (double). */
__global__ void __launch_bounds__(kThreads) mse_kernel(const float* p, const float* t, int64_t N, double scale,
                                                       float* dp, double* part) {
  __shared__ double red[kThreads / kWarp];
  const int64_t i = global_index();
  double sq = 0.0;
  if (i < N) {
    const double d = static_cast<double>(p[i]) - t[i];
    sq = d * d;
    dp[i] = static_cast<float>(2.0 * d * scale / static_cast<double>(N));
  }
  sq = block_sum(sq, red);
  if (threadIdx.x == 0) part[blockIdx.x] = sq;
}

/** 1 − cos(p_i, t_i) per row with the norms clamped at 1e-8 (torch); dp = scale/n · d(1 − cos)/dp.
 *  One warp per row. */
__global__ void __launch_bounds__(kThreads) cosine_loss_kernel(const float* p, const float* t, int64_t n, int64_t H,
                                                               double scale, float* dp, double* rowLoss) {
  constexpr double kMinNorm = 1e-8;
  const int lane = threadIdx.x % kWarp;
  const int64_t i = static_cast<int64_t>(blockIdx.x) * (kThreads / kWarp) + threadIdx.x / kWarp;
  if (i >= n) return;
  const float* pi = p + i * H;
  const float* ti = t + i * H;
  double pp = 0.0, tt = 0.0, pt = 0.0;
  for (int64_t j = lane; j < H; j += kWarp) {
    pp += static_cast<double>(pi[j]) * pi[j];
    tt += static_cast<double>(ti[j]) * ti[j];
    pt += static_cast<double>(pi[j]) * ti[j];
  }
  pp = warp_sum(pp);
  tt = warp_sum(tt);
  pt = warp_sum(pt);
  const double np = fmax(sqrt(pp), kMinNorm), nt = fmax(sqrt(tt), kMinNorm);
  const double cos = pt / (np * nt);
  if (lane == 0) rowLoss[i] = 1.0 - cos;
  const double k = -scale / static_cast<double>(n);
  const bool clamped = sqrt(pp) < kMinNorm;
  for (int64_t j = lane; j < H; j += kWarp) {
    const double g = ti[j] / (np * nt) - (clamped ? 0.0 : cos * pi[j] / (np * np));
    dp[i * H + j] = static_cast<float>(k * g);
  }
}

/** Binary cross-entropy on logits, stable form: per row max(x,0) − x·y + log(1 + e^−|x|); dx =
 *  (σ(x) − y)·scale/n. */
__global__ void __launch_bounds__(kThreads) bce_kernel(const float* x, const float* y, int64_t n, double scale,
                                                       float* dx, double* rowLoss, uint8_t* hit) {
  const int64_t i = global_index();
  if (i >= n) return;
  const double v = x[i], t = y[i];
  rowLoss[i] = fmax(v, 0.0) - v * t + log1p(exp(-fabs(v)));
  const double sig = v >= 0 ? 1.0 / (1.0 + exp(-v)) : exp(v) / (1.0 + exp(v));
  dx[i] = static_cast<float>((sig - t) * scale / static_cast<double>(n));
  hit[i] = (v > 0) == (t > 0.5);
}

// ---- softmax cross-entropy over a vocabulary (the MLM objective) -----------------------------

/** Row r of logits [N, V] against labels[r]: the row loss mx + ln Σ e^(x−mx) − x_label (sum in
 *  double), whether the label has the highest logit (the first maximum, as the CPU engine's scan),
 *  and the row overwritten by the gradient (softmax − onehot)·k. One block per row. */
__global__ void __launch_bounds__(kThreads) cross_entropy_kernel(float* logits, const int32_t* labels, int64_t V,
                                                                 float k, double* rowLoss, uint8_t* hit) {
  __shared__ float redV[kThreads / kWarp];
  __shared__ int64_t redI[kThreads / kWarp];
  __shared__ double redD[kThreads / kWarp];
  const int64_t r = blockIdx.x;
  float* x = logits + r * V;
  const int32_t label = labels[r];
  const float target = x[label];  // read before any thread overwrites the row (after the barriers below)
  // (max, first index of the max): per thread over its stride, then the warps and the block.
  float mx = -INFINITY;
  int64_t arg = V;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x)
    if (x[j] > mx) {
      mx = x[j];
      arg = j;
    }
  for (int o = kWarp / 2; o > 0; o >>= 1) {
    const float om = __shfl_xor_sync(kFullMask, mx, o);
    const int64_t oa = __shfl_xor_sync(kFullMask, arg, o);
    if (om > mx || (om == mx && oa < arg)) {
      mx = om;
      arg = oa;
    }
  }
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp, warps = blockDim.x / kWarp;
  if (lane == 0) {
    redV[warp] = mx;
    redI[warp] = arg;
  }
  __syncthreads();
  mx = redV[0];
  arg = redI[0];
  for (int w = 1; w < warps; ++w)
    if (redV[w] > mx || (redV[w] == mx && redI[w] < arg)) {
      mx = redV[w];
      arg = redI[w];
    }
  double sum = 0.0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    const float e = expf(x[j] - mx);
    x[j] = e;
    sum += e;
  }
  sum = block_sum(sum, redD);  // (barrier: every read of the row's logits is over)
  if (threadIdx.x == 0) {
    rowLoss[r] = static_cast<double>(mx) + log(sum) - target;
    hit[r] = arg == label;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    float v = x[j] * inv * k;
    if (j == label) v -= k;
    x[j] = v;
  }
}

// ---- OT term: the plan's entropy per problem (an extra of the step's result) -----------------

/** −Σ P log P over problem k's block (double), one block per problem. */
__global__ void __launch_bounds__(kThreads) plan_entropy_kernel(const int64_t* blockOffset, const float* plan,
                                                                double* out) {
  __shared__ double red[kThreads / kWarp];
  const int k = blockIdx.x;
  double h = 0.0;
  for (int64_t x = blockOffset[k] + threadIdx.x; x < blockOffset[k + 1]; x += blockDim.x) {
    const double p = plan[x];
    if (p > 0) h -= p * log(p);
  }
  h = block_sum(h, red);
  if (threadIdx.x == 0) out[k] = h;
}

/** flag[0] = 1 when any of x[0, n) is not finite (flag zeroed by the caller). */
__global__ void __launch_bounds__(kThreads) any_non_finite_kernel(const float* x, int64_t n, int32_t* flag) {
  const int64_t i = global_index();
  if (i < n && !isfinite(x[i])) flag[0] = 1;  // every writer writes the same value
}

}  // namespace optical::cuda::nn
