// Launchers of the cost builders and the OT-loss gradient (kernels in cost_device.cuh): a ragged
// batch becomes a flat list of tiles, so each kernel is one launch for the whole batch.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cuda/batch_device.h"
#include "cuda/cost_device.cuh"

namespace optical::cuda {

namespace {

int kind_index(ot::CostKind kind) {
  switch (kind) {
    case ot::CostKind::Cosine: return kCosine;
    case ot::CostKind::SqEuclidean: return kSqEuclidean;
    case ot::CostKind::Dot: return kDot;
  }
  return kCosine;
}

unsigned grid_of(std::size_t blocks, const char* what) {
  if (blocks > 0x7fffffffu) throw CudaError(cudaErrorInvalidConfiguration, std::string(what) + ": the batch needs more than 2^31−1 thread blocks; split it");
  return static_cast<unsigned>(blocks);
}

}  // namespace

void launch_clamped_norms(DeviceJob& job, const float* v, int64_t count, int64_t dim, float* out) {
  if (count == 0) return;
  const int64_t warpsPerBlock = 256 / kWarp;
  const auto blocks = static_cast<std::size_t>((count + warpsPerBlock - 1) / warpsPerBlock);
  clamped_norms_kernel<<<grid_of(blocks, "norms"), 256, 0, job.stream()>>>(v, count, dim, out);
  job.checkLaunch("clamped_norms_kernel");
}

void launch_cost(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, int64_t dim, const float* x,
                 const float* y, ot::CostKind kind, const float* xNorms, const float* yNorms, float* out) {
  std::vector<CostTile> tiles;
  for (int64_t k = 0; k < L.batch; ++k)
    for (int32_t i0 = 0; i0 < L.rows[k]; i0 += kTile)
      for (int32_t j0 = 0; j0 < L.cols[k]; j0 += kTile) tiles.push_back({static_cast<int32_t>(k), i0, j0});
  const CostTile* dTiles = job.upload(tiles.data(), tiles.size());
  const unsigned grid = grid_of(tiles.size(), "cost matrices");
  switch (kind_index(kind)) {
    case kCosine:
      cost_kernel<kCosine><<<grid, kTileThreads, 0, job.stream()>>>(dTiles, dL.rows, dL.cols, dL.rowOffset, dL.colOffset,
                                                                    dL.blockOffset, dim, x, y, xNorms, yNorms, out);
      break;
    case kSqEuclidean:
      cost_kernel<kSqEuclidean><<<grid, kTileThreads, 0, job.stream()>>>(
          dTiles, dL.rows, dL.cols, dL.rowOffset, dL.colOffset, dL.blockOffset, dim, x, y, xNorms, yNorms, out);
      break;
    default:
      cost_kernel<kDot><<<grid, kTileThreads, 0, job.stream()>>>(dTiles, dL.rows, dL.cols, dL.rowOffset, dL.colOffset,
                                                                 dL.blockOffset, dim, x, y, xNorms, yNorms, out);
      break;
  }
  job.checkLaunch("cost_kernel");
}

void check_eps_resolution(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, ot::CostKind kind,
                          const float* cost, double eps) {
  // 1 − cos ∈ [0, 2] (2.001: float rounding of the clamped cosine).
  if (kind == ot::CostKind::Cosine && eps >= ot::kMinRelativeEps * 2.001) return;
  if (L.batch == 0) return;
  float* maxima = job.alloc<float>(static_cast<std::size_t>(L.batch));
  max_abs_cost_kernel<<<grid_of(static_cast<std::size_t>(L.batch), "eps resolution check"), 256, 0, job.stream()>>>(
      dL.blockOffset, cost, maxima);
  job.checkLaunch("max_abs_cost_kernel");
  std::vector<float> host(static_cast<std::size_t>(L.batch));
  job.download(host.data(), maxima, host.size());
  job.synchronize("eps resolution check");
  ot::validate_eps_resolution(host.data(), L.batch, eps);
}

void launch_loss_grad(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, int64_t dim,
                      const float* teacher, const float* student, ot::CostKind kind, const float* tNorms,
                      const float* sNorms, const float* cost, const float* plan, float* grad) {
  std::vector<GradTile> tiles;
  if (dim > 0x7fffffff) throw CudaError(cudaErrorInvalidValue, "otLoss gradient: dim must be < 2^31");
  for (int64_t k = 0; k < L.batch; ++k)
    for (int32_t j0 = 0; j0 < L.cols[k]; j0 += kTile)
      for (int64_t d0 = 0; d0 < dim; d0 += kGradDims) tiles.push_back({static_cast<int32_t>(k), j0, static_cast<int32_t>(d0)});
  const GradTile* dTiles = job.upload(tiles.data(), tiles.size());
  const unsigned grid = grid_of(tiles.size(), "otLoss gradient");
  switch (kind_index(kind)) {
    case kCosine:
      grad_kernel<kCosine><<<grid, kTileThreads, 0, job.stream()>>>(dTiles, dL.rows, dL.cols, dL.rowOffset, dL.colOffset,
                                                           dL.blockOffset, dim, teacher, student, tNorms, sNorms, cost,
                                                           plan, grad);
      break;
    case kSqEuclidean:
      grad_kernel<kSqEuclidean><<<grid, kTileThreads, 0, job.stream()>>>(dTiles, dL.rows, dL.cols, dL.rowOffset, dL.colOffset,
                                                                dL.blockOffset, dim, teacher, student, tNorms, sNorms,
                                                                cost, plan, grad);
      break;
    default:
      grad_kernel<kDot><<<grid, kTileThreads, 0, job.stream()>>>(dTiles, dL.rows, dL.cols, dL.rowOffset, dL.colOffset,
                                                        dL.blockOffset, dim, teacher, student, tNorms, sNorms, cost,
                                                        plan, grad);
      break;
  }
  job.checkLaunch("grad_kernel");
}

}  // namespace optical::cuda
