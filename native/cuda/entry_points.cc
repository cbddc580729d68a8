// optical::cuda::cost_matrices and ot_loss: upload, the kernel chain on one stream, download; the
// chain itself (ot_loss_on_device) is also the CUDA engine's OT term.
// (optical::cuda::sinkhorn lives next to its launcher in sinkhorn_launch.cu.)
#include <cmath>
#include <vector>

#include "cuda/batch_device.h"
#include "cuda/cuda_ot.h"

namespace optical::cuda {

void cost_matrices(const ot::RaggedLayout& L, int64_t dim, const float* x, const float* y, ot::CostKind kind,
                   float* out) {
  const auto cells = static_cast<std::size_t>(L.totalCells());
  const auto xLen = static_cast<std::size_t>(L.totalRows() * dim);
  const auto yLen = static_cast<std::size_t>(L.totalCols() * dim);
  run_on_device([&](DeviceJob& job) {
    const DeviceLayout dL = upload_layout(job, L);
    const float* dx = job.upload(x, xLen);
    const float* dy = job.upload(y, yLen);
    float* xNorms = nullptr;
    float* yNorms = nullptr;
    if (kind == ot::CostKind::Cosine) {
      xNorms = job.alloc<float>(static_cast<std::size_t>(L.totalRows()));
      yNorms = job.alloc<float>(static_cast<std::size_t>(L.totalCols()));
      launch_clamped_norms(job, dx, L.totalRows(), dim, xNorms);
      launch_clamped_norms(job, dy, L.totalCols(), dim, yNorms);
    }
    float* dOut = job.alloc<float>(cells);
    launch_cost(job, L, dL, dim, dx, dy, kind, xNorms, yNorms, dOut);
    job.download(out, dOut, cells);
    job.synchronize("costMatrices");
  });
}

void ot_loss_on_device(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, int64_t dim,
                       const float* teacher, const float* student, const float* a, const float* b, ot::CostKind kind,
                       const ot::SinkhornOptions& o, const DeviceOtLossOutputs& out) {
  const auto cells = static_cast<std::size_t>(L.totalCells());
  const auto rowsTotal = static_cast<std::size_t>(L.totalRows());
  const auto colsTotal = static_cast<std::size_t>(L.totalCols());
  float* tNorms = nullptr;
  float* sNorms = nullptr;
  if (kind == ot::CostKind::Cosine) {
    tNorms = job.alloc<float>(rowsTotal);
    sNorms = job.alloc<float>(colsTotal);
    launch_clamped_norms(job, teacher, L.totalRows(), dim, tNorms);
    launch_clamped_norms(job, student, L.totalCols(), dim, sNorms);
  }
  float* cost = job.alloc<float>(cells);
  launch_cost(job, L, dL, dim, teacher, student, kind, tNorms, sNorms, cost);
  check_eps_resolution(job, L, dL, kind, cost, o.eps);  // as ot::sinkhorn's first pass on the CPU

  DeviceSinkhornOutputs d{};
  d.plan = out.plan;  // the gradient needs P even when the caller does not want it
  d.f = job.alloc<float>(rowsTotal);
  d.g = job.alloc<float>(colsTotal);
  d.cost = out.cost;
  d.value = out.value;
  d.iterations = out.iterations;
  d.error = out.error;
  d.converged = out.converged;
  launch_sinkhorn(job, L, dL, cost, a, b, o, d);
  launch_loss_grad(job, L, dL, dim, teacher, student, kind, tNorms, sNorms, cost, out.plan, out.grad);
}

void ot_loss(const ot::RaggedLayout& L, const ot::OtLossInputs& in, ot::CostKind kind, const ot::SinkhornOptions& o,
             const ot::OtLossOutputs& out) {
  ot::validate_options(o);
  const int64_t dim = in.dim;
  std::vector<float> A, B;
  materialise_marginals(L, in.a, in.b, std::isinf(o.rho), A, B);
  const auto cells = static_cast<std::size_t>(L.totalCells());
  const auto rowsTotal = static_cast<std::size_t>(L.totalRows());
  const auto colsTotal = static_cast<std::size_t>(L.totalCols());
  const auto batch = static_cast<std::size_t>(L.batch);
  run_on_device([&](DeviceJob& job) {
    const DeviceLayout dL = upload_layout(job, L);
    const float* teacher = job.upload(in.teacher, rowsTotal * static_cast<std::size_t>(dim));
    const float* student = job.upload(in.student, colsTotal * static_cast<std::size_t>(dim));
    const float* a = job.upload(A.data(), A.size());
    const float* b = job.upload(B.data(), B.size());
    DeviceOtLossOutputs d{};
    d.plan = job.alloc<float>(cells);
    d.grad = job.alloc<float>(colsTotal * static_cast<std::size_t>(dim));
    d.cost = job.alloc<double>(batch);
    d.value = job.alloc<double>(batch);
    d.iterations = job.alloc<int32_t>(batch);
    d.error = job.alloc<double>(batch);
    d.converged = job.alloc<uint8_t>(batch);
    ot_loss_on_device(job, L, dL, dim, teacher, student, a, b, kind, o, d);
    job.download(out.cost, d.cost, batch);
    job.download(out.value, d.value, batch);
    job.download(out.iterations, d.iterations, batch);
    job.download(out.error, d.error, batch);
    job.download(out.converged, d.converged, batch);
    job.download(out.grad, d.grad, colsTotal * static_cast<std::size_t>(dim));
    if (out.plan) job.download(out.plan, d.plan, cells);
    job.synchronize("otLoss");
  });
}

}  // namespace optical::cuda
