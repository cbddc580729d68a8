// The CUDA engine's ops as host calls that queue kernels on the call's stream — the GPU
// counterpart of native/nn/ops.h, with the same arguments and the same accumulate/overwrite rules,
// so encoder.h and engine_core.h read like native/nn's encoder.cpp and step.cpp. Buffers are
// device pointers. Header-only: compiled into engine.cu (nvcc) and into the kernel emulator.
#pragma once

#include <chrono>
#include <cmath>
#include <cstdint>

#include "cuda/nn/adamw.cuh"
#include "cuda/nn/attention.cuh"
#include "cuda/nn/columns.cuh"
#include "cuda/nn/device.h"
#include "cuda/nn/elementwise.cuh"
#include "cuda/nn/embeddings.cuh"
#include "cuda/nn/gemm.h"
#include "cuda/nn/layernorm.cuh"
#include "cuda/nn/losses.cuh"
#include "cuda/nn/pooling.cuh"
#include "nn/common.h"
#include "nn/ops.h"  // Pooling
#include "nn/philox.h"

namespace optical::cuda::nn {

/** Scratch shared by the ops of one call (grown, never shrunk). */
struct OpScratch {
  DeviceArray<float> part, part2;  // column-sum partials
};

struct Ctx {
  Stream s;
  Gemm* gemm = nullptr;
  OpScratch* scratch = nullptr;
  ::nn::Profile* profile = nullptr;  // with profile->on, every timed op waits for the GPU
};

/** Times a block into one profile field: with profiling on, the stream is drained before and after,
 *  so the field holds GPU time (profiling slows the step down; it is off by default). */
class Timed {
 public:
  Timed(const Ctx& c, double ::nn::Profile::*field)
      : c_(c), p_(c.profile && c.profile->on ? c.profile : nullptr), f_(field) {
    if (p_) {
      device_sync(c_.s, "profile");
      t0_ = std::chrono::steady_clock::now();
    }
  }
  ~Timed() {
    if (!p_) return;
    try {
      device_sync(c_.s, "profile");
    } catch (...) {
      // the failure resurfaces at the call's own synchronisation
    }
    p_->*f_ += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0_).count();
  }
  Timed(const Timed&) = delete;
  Timed& operator=(const Timed&) = delete;

 private:
  const Ctx& c_;
  ::nn::Profile* p_;
  double ::nn::Profile::*f_;
  std::chrono::steady_clock::time_point t0_;
};

inline std::size_t grid_of(int64_t n) { return blocks_for(n, kThreads); }
inline std::size_t warp_rows_grid(int64_t rows) { return blocks_for(rows, kThreads / kWarp); }

// ---- element-wise ----------------------------------------------------------------------------

inline void add(const Ctx& c, const float* a, const float* b, float* out, int64_t n) {
  launch(c.s, "add_kernel", add_kernel, grid_of(n), kThreads, 0, a, b, out, n);
}
inline void accumulate(const Ctx& c, const float* a, float* out, int64_t n) {
  launch(c.s, "accumulate_kernel", accumulate_kernel, grid_of(n), kThreads, 0, a, out, n);
}
inline void copy(const Ctx& c, const float* a, float* out, int64_t n) {
  copy_on_device(c.s, out, a, static_cast<std::size_t>(n) * sizeof(float));
}
inline void zero(const Ctx& c, float* out, int64_t n) { zero_on_device(c.s, out, static_cast<std::size_t>(n) * sizeof(float)); }

inline DropoutArgs dropout_args(const ::nn::DropoutKey& k) {
  DropoutArgs d;
  d.seedLo = static_cast<uint32_t>(k.seed);
  d.seedHi = static_cast<uint32_t>(k.seed >> 32);
  d.stream = k.stream;
  d.input = k.input;
  d.threshold = k.threshold();
  d.scale = k.scale();
  return d;
}

/** y = dropout(x) for elements first … first+n−1 of the mask (x may alias y). */
inline void dropout_apply(const Ctx& c, const ::nn::DropoutKey& key, const float* x, float* y, int64_t n,
                          uint64_t first = 0) {
  Timed t(c, &::nn::Profile::dropout);
  launch(c.s, "dropout_kernel", dropout_kernel, grid_of(dropout_quads(n, first)), kThreads, 0, dropout_args(key), x, y,
         n, first);
}

inline void gelu_forward(const Ctx& c, const float* x, float* y, int64_t n, float* dydx = nullptr) {
  Timed t(c, &::nn::Profile::gelu);
  launch(c.s, "gelu_forward_kernel", gelu_forward_kernel, grid_of(n), kThreads, 0, x, y, dydx, n);
}
inline void gelu_backward(const Ctx& c, const float* x, const float* dy, float* dx, int64_t n) {
  Timed t(c, &::nn::Profile::gelu);
  launch(c.s, "gelu_backward_kernel", gelu_backward_kernel, grid_of(n), kThreads, 0, x, dy, dx, n);
}
inline void gelu_backward_saved(const Ctx& c, const float* dydx, const float* dy, float* dx, int64_t n) {
  Timed t(c, &::nn::Profile::gelu);
  launch(c.s, "multiply_kernel", multiply_kernel, grid_of(n), kThreads, 0, dydx, dy, dx, n);
}

// ---- column sums -----------------------------------------------------------------------------

/** out[j] += Σ_t X[t·ld + j] (deterministic chunked sums, columns.cuh). */
inline void column_sums_add(const Ctx& c, const float* X, int64_t rows, int64_t cols, int64_t ld, float* out) {
  if (rows <= 0 || cols <= 0) return;
  const int64_t chunks = row_chunks(rows);
  float* part = c.scratch->part.ensure(static_cast<std::size_t>(chunks * cols));
  launch(c.s, "column_partial_kernel", column_partial_kernel, static_cast<std::size_t>(chunks) * blocks_for(cols, kThreads),
         kThreads, 0, X, rows, cols, ld, part);
  launch(c.s, "column_combine_kernel", column_combine_kernel, grid_of(cols), kThreads, 0,
         static_cast<const float*>(part), chunks, cols, out);
}

// ---- linear layers (GEMM) --------------------------------------------------------------------

inline GemmArgs gemm_args(bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                          int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  GemmArgs g{};
  g.transA = transA;
  g.transB = transB;
  g.M = M;
  g.N = N;
  g.K = K;
  g.alpha = alpha;
  g.beta = beta;
  g.A = A;
  g.lda = lda;
  g.B = B;
  g.ldb = ldb;
  g.C = C;
  g.ldc = ldc;
  g.batch = 1;
  return g;
}

/** Y[rows, out] = X[rows, in]·Wᵀ + b (W [out, in]; b may be null). */
inline void linear_forward(const Ctx& c, const float* X, int64_t rows, int64_t in, const float* W, const float* b,
                           int64_t out, float* Y) {
  if (b) {
    Timed t(c, &::nn::Profile::other);
    launch(c.s, "bias_rows_kernel", bias_rows_kernel, grid_of(rows * out), kThreads, 0, b, rows, out, Y);
  }
  Timed t(c, &::nn::Profile::gemm);
  c.gemm->run(c.s, gemm_args(false, true, rows, out, in, 1.0f, X, in, W, in, b ? 1.0f : 0.0f, Y, out));
}

/** dX = dY·W (overwritten, or += when accumulateDx; skipped when null), dW += dYᵀ·X, db += Σ dY. */
inline void linear_backward(const Ctx& c, const float* dY, const float* X, int64_t rows, int64_t in, const float* W,
                            int64_t out, float* dX, bool accumulateDx, float* dW, float* db) {
  if (db) {
    Timed t(c, &::nn::Profile::other);
    column_sums_add(c, dY, rows, out, out, db);
  }
  Timed t(c, &::nn::Profile::gemm);
  c.gemm->run(c.s, gemm_args(true, false, out, in, rows, 1.0f, dY, out, X, in, 1.0f, dW, in));
  if (dX) c.gemm->run(c.s, gemm_args(false, false, rows, in, out, 1.0f, dY, out, W, in, accumulateDx ? 1.0f : 0.0f, dX, in));
}

// ---- LayerNorm -------------------------------------------------------------------------------

inline void layernorm_forward(const Ctx& c, const float* x, int64_t rows, int64_t H, const float* g, const float* b,
                              double eps, float* y, float* mean, float* rstd) {
  Timed t(c, &::nn::Profile::layernorm);
  launch(c.s, "layernorm_forward_kernel", layernorm_forward_kernel, warp_rows_grid(rows), kThreads, 0, x, rows, H, g, b,
         eps, y, mean, rstd);
}

/** dx (overwritten, or += when accumulate), dg += Σ dy·x̂, db += Σ dy; dx may alias dy when
 *  !accumulate (the parameter gradients are queued first). */
inline void layernorm_backward(const Ctx& c, const float* dy, const float* x, const float* mean, const float* rstd,
                               int64_t rows, int64_t H, const float* g, float* dx, bool accumulate, float* dg,
                               float* db) {
  Timed t(c, &::nn::Profile::layernorm);
  const int64_t chunks = row_chunks(rows);
  float* pg = c.scratch->part.ensure(static_cast<std::size_t>(chunks * H));
  float* pb = c.scratch->part2.ensure(static_cast<std::size_t>(chunks * H));
  launch(c.s, "layernorm_param_partial_kernel", layernorm_param_partial_kernel,
         static_cast<std::size_t>(chunks) * blocks_for(H, kThreads), kThreads, 0, dy, x, mean, rstd, rows, H, pg, pb);
  launch(c.s, "column_combine_kernel", column_combine_kernel, grid_of(H), kThreads, 0, static_cast<const float*>(pg),
         chunks, H, dg);
  launch(c.s, "column_combine_kernel", column_combine_kernel, grid_of(H), kThreads, 0, static_cast<const float*>(pb),
         chunks, H, db);
  launch(c.s, "layernorm_backward_kernel", layernorm_backward_kernel, warp_rows_grid(rows), kThreads, 0, dy, x, mean,
         rstd, rows, H, g, dx, accumulate);
}

// ---- pooling ---------------------------------------------------------------------------------

inline void pool_forward(const Ctx& c, ::nn::Pooling p, const float* h, const uint8_t* mask, int64_t B, int64_t L,
                         int64_t H, float* out) {
  launch(c.s, "pool_forward_kernel", pool_forward_kernel, grid_of(B * H), kThreads, 0, p == ::nn::Pooling::Cls, h, mask,
         B, L, H, out);
}
inline void pool_backward(const Ctx& c, ::nn::Pooling p, const float* dout, const uint8_t* mask, int64_t B, int64_t L,
                          int64_t H, float* dh) {
  launch(c.s, "pool_backward_kernel", pool_backward_kernel, grid_of(B * L * H), kThreads, 0, p == ::nn::Pooling::Cls,
         dout, mask, B, L, H, dh);
}

}  // namespace optical::cuda::nn
