// Host loop of the multi-block path (kernels in wide_device.cuh). Written against two callables so
// that the CUDA launcher and the kernel emulator in test/cuda run the very same sequence:
//   launch(kernel, grid, block, params, state)  queues kernel<<<grid, block>>>(params, state);
//   active_count()                              waits for the queue and returns how many problems
//                                               still iterate (4·slots bytes device → host, only
//                                               at convergence checks).
#pragma once

#include <cmath>
#include <cstdint>
#include <utility>
#include <vector>

#include "core/ot.h"
#include "cuda/wide_device.cuh"

namespace optical::cuda {

struct WideTasks {
  std::vector<WideTask> rows, cols, combine;
  std::vector<int64_t> partOffset;  // per slot
  int64_t partCount = 0;            // entries of partMx / partSum
};

inline WideTasks build_wide_tasks(const ot::RaggedLayout& L, const std::vector<int32_t>& problems) {
  WideTasks t;
  for (std::size_t slot = 0; slot < problems.size(); ++slot) {
    const int32_t k = problems[slot];
    const int32_t n = L.rows[k], m = L.cols[k];
    const auto s = static_cast<int32_t>(slot);
    for (int32_t i0 = 0; i0 < n; i0 += kWideRowsPerBlock) t.rows.push_back({s, i0, 0});
    const int32_t chunks = (n + kWideChunkRows - 1) / kWideChunkRows;
    for (int32_t j0 = 0; j0 < m; j0 += kWideThreads) {
      t.combine.push_back({s, j0, 0});
      for (int32_t c = 0; c < chunks; ++c) t.cols.push_back({s, j0, c});
    }
    t.partOffset.push_back(t.partCount);
    t.partCount += static_cast<int64_t>(chunks) * m;
  }
  return t;
}

template <class Launch, class ActiveCount>
void run_wide(const ot::SinkhornOptions& o, int32_t slots, const WideTasks& tasks, const SinkhornParams& p,
              WideState w, Launch&& launch, ActiveCount&& active_count) {
  const bool balanced = std::isinf(o.rho);
  const auto rows = tasks.rows.size(), cols = tasks.cols.size(), combine = tasks.combine.size();
  const auto all = static_cast<std::size_t>(slots);
  launch(wide_init, all, kWideThreads, p, w);
  for (int64_t t = 0; t < o.maxIter; ++t) {
    const double ed = ot::eps_at(o, t);
    w.ed = ed;
    w.e = static_cast<float>(ed);
    w.s = kLog2e / w.e;
    w.phi = balanced ? 1.f : static_cast<float>(o.rho / (o.rho + ed));
    w.iteration = static_cast<int32_t>(t);
    w.atTarget = ed == o.eps;
    launch(wide_rows<WidePass::Update>, rows, kWideThreads, p, w);  // f → fn
    std::swap(w.f, w.fn);
    launch(wide_cols_partial<WidePass::Update>, cols, kWideThreads, p, w);
    launch(wide_cols_combine<WidePass::Update>, combine, kWideThreads, p, w);  // g → gn
    std::swap(w.g, w.gn);
    if ((t + 1) % o.checkEvery != 0 && t + 1 != o.maxIter) continue;
    if (balanced) {
      launch(wide_rows<WidePass::Check>, rows, kWideThreads, p, w);
      launch(wide_cols_partial<WidePass::Check>, cols, kWideThreads, p, w);
      launch(wide_cols_combine<WidePass::Check>, combine, kWideThreads, p, w);
    }
    launch(wide_finalize_check, all, kWideThreads, p, w);
    if (active_count() == 0) break;
  }
  launch(wide_rows<WidePass::Final>, rows, kWideThreads, p, w);
  launch(wide_cols_partial<WidePass::Final>, cols, kWideThreads, p, w);
  launch(wide_cols_combine<WidePass::Final>, combine, kWideThreads, p, w);
  launch(wide_finalize, all, kWideThreads, p, w);
}

}  // namespace optical::cuda
