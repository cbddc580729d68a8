// Host side of the batched Sinkhorn: splits the batch into problems that fit in shared memory and
// problems that stream from global memory, sizes and queues one launch for each group, and the
// public entry point optical::cuda::sinkhorn (upload → kernels → download, one GPU job).
#include <algorithm>
#include <cmath>

#include "cuda/batch_device.h"
#include "cuda/cuda_ot.h"
#include "cuda/reduce.cuh"
#include "cuda/sinkhorn_device.cuh"

namespace optical::cuda {

DeviceLayout upload_layout(DeviceJob& job, const ot::RaggedLayout& L) {
  const auto B = static_cast<std::size_t>(L.batch);
  DeviceLayout d;
  d.rows = job.upload(L.rows.data(), B);
  d.cols = job.upload(L.cols.data(), B);
  d.rowOffset = job.upload(L.rowOffset.data(), B + 1);
  d.colOffset = job.upload(L.colOffset.data(), B + 1);
  d.blockOffset = job.upload(L.blockOffset.data(), B + 1);
  return d;
}

void materialise_marginals(const ot::RaggedLayout& L, const float* a, const float* b, bool balanced,
                           std::vector<float>& A, std::vector<float>& B) {
  A.resize(static_cast<std::size_t>(L.totalRows()));
  B.resize(static_cast<std::size_t>(L.totalCols()));
  for (int64_t k = 0; k < L.batch; ++k) {
    const int64_t r0 = L.rowOffset[k], r1 = L.rowOffset[k + 1], c0 = L.colOffset[k], c1 = L.colOffset[k + 1];
    const float ua = static_cast<float>(1.0 / static_cast<double>(r1 - r0));
    const float ub = static_cast<float>(1.0 / static_cast<double>(c1 - c0));
    double sa = 0, sb = 0;
    for (int64_t i = r0; i < r1; ++i) sa += A[i] = a ? a[i] : ua;
    for (int64_t j = c0; j < c1; ++j) sb += B[j] = b ? b[j] : ub;
    if (balanced && sa != sb) {
      const double r = sa / sb;
      for (int64_t j = c0; j < c1; ++j) B[j] = static_cast<float>(B[j] * r);
    }
  }
}

namespace {

KernelMethod kernel_method(ot::Method m) {
  switch (m) {
    case ot::Method::Log: return KernelMethod::Log;
    case ot::Method::Scaling: return KernelMethod::Scaling;
    case ot::Method::Auto: break;
  }
  return KernelMethod::Auto;
}

/** Smallest block (64, 128 or 256 threads) that gives every row of the largest problem its own
 *  warp pass without leaving most threads idle on tiny problems. */
int shared_block_size(int maxDim) {
  if (maxDim <= 64) return 64;
  if (maxDim <= 128) return 128;
  return 256;
}

/** Threads of the streaming launch: its problems are large, so use big blocks. */
constexpr int kStreamingThreads = kMaxThreads;

}  // namespace

void launch_sinkhorn(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, const float* cost,
                     const float* a, const float* b, const ot::SinkhornOptions& o, const DeviceSinkhornOutputs& out) {
  const KernelMethod method = kernel_method(o.method);

  // Shared memory a block may use: the opt-in maximum minus the kernel's static scratch.
  cudaFuncAttributes attr{};
  check(cudaFuncGetAttributes(&attr, sinkhorn_kernel<true>), "cudaFuncGetAttributes(sinkhorn_kernel)");
  int optin = 0;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
        "cudaDeviceGetAttribute(MaxSharedMemoryPerBlockOptin)");
  const int64_t sharedBudget = static_cast<int64_t>(optin) - static_cast<int64_t>(attr.sharedSizeBytes);

  std::vector<int32_t> onChip, streaming;
  std::vector<int64_t> workspaceOffset;
  int64_t sharedBytes = 0, workspaceFloats = 0;
  int maxDim = 1;
  for (int64_t k = 0; k < L.batch; ++k) {
    const int64_t n = L.rows[k], m = L.cols[k];
    const int64_t bytes = static_cast<int64_t>(sizeof(float)) * (n * m + sinkhorn_vector_floats(n, m));
    if (bytes <= sharedBudget) {
      onChip.push_back(static_cast<int32_t>(k));
      sharedBytes = std::max(sharedBytes, bytes);
      maxDim = static_cast<int>(std::max<int64_t>(maxDim, std::max(n, m)));
    } else {
      streaming.push_back(static_cast<int32_t>(k));
      workspaceOffset.push_back(workspaceFloats);
      workspaceFloats += (sinkhorn_needs_k(method) ? n * m : 0) + sinkhorn_vector_floats(n, m);
    }
  }

  SinkhornParams p{};
  p.rows = dL.rows;
  p.cols = dL.cols;
  p.rowOffset = dL.rowOffset;
  p.colOffset = dL.colOffset;
  p.blockOffset = dL.blockOffset;
  p.cost = cost;
  p.a = a;
  p.b = b;
  p.plan = out.plan;
  p.f = out.f;
  p.g = out.g;
  p.cost_out = out.cost;
  p.value = out.value;
  p.iterations = out.iterations;
  p.error = out.error;
  p.converged = out.converged;
  p.eps = o.eps;
  p.tol = o.tol;
  p.rho = o.rho;
  p.epsInit = o.epsInit;
  p.epsDecay = o.epsDecay;
  p.maxIter = static_cast<int32_t>(o.maxIter);
  p.checkEvery = static_cast<int32_t>(o.checkEvery);
  p.method = method;
  p.l2 = o.errorNorm == ot::ErrorNorm::L2;

  if (!onChip.empty()) {
    SinkhornParams q = p;
    q.problems = job.upload(onChip.data(), onChip.size());
    check(cudaFuncSetAttribute(sinkhorn_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(sharedBytes)),
          "cudaFuncSetAttribute(sinkhorn_kernel, MaxDynamicSharedMemorySize)");
    sinkhorn_kernel<true><<<static_cast<unsigned>(onChip.size()), shared_block_size(maxDim),
                            static_cast<std::size_t>(sharedBytes), job.stream()>>>(q);
    job.checkLaunch("sinkhorn_kernel<shared>");
  }
  if (!streaming.empty()) {
    SinkhornParams q = p;
    q.problems = job.upload(streaming.data(), streaming.size());
    q.workspaceOffset = job.upload(workspaceOffset.data(), workspaceOffset.size());
    q.workspace = job.alloc<float>(static_cast<std::size_t>(workspaceFloats));
    sinkhorn_kernel<false><<<static_cast<unsigned>(streaming.size()), kStreamingThreads, 0, job.stream()>>>(q);
    job.checkLaunch("sinkhorn_kernel<streaming>");
  }
}

void sinkhorn(const ot::RaggedLayout& L, const ot::SinkhornInputs& in, const ot::SinkhornOptions& o,
              const ot::SinkhornOutputs& out) {
  ot::validate_options(o);
  std::vector<float> A, B;
  materialise_marginals(L, in.a, in.b, std::isinf(o.rho), A, B);
  const auto cells = static_cast<std::size_t>(L.totalCells());
  const auto rowsTotal = static_cast<std::size_t>(L.totalRows());
  const auto colsTotal = static_cast<std::size_t>(L.totalCols());
  const auto batch = static_cast<std::size_t>(L.batch);
  run_on_device([&](DeviceJob& job) {
    const DeviceLayout dL = upload_layout(job, L);
    const float* cost = job.upload(in.cost, cells);
    const float* a = job.upload(A.data(), A.size());
    const float* b = job.upload(B.data(), B.size());
    DeviceSinkhornOutputs d{};
    d.plan = job.alloc<float>(cells);
    d.f = job.alloc<float>(rowsTotal);
    d.g = job.alloc<float>(colsTotal);
    d.cost = job.alloc<double>(batch);
    d.value = job.alloc<double>(batch);
    d.iterations = job.alloc<int32_t>(batch);
    d.error = job.alloc<double>(batch);
    d.converged = job.alloc<uint8_t>(batch);
    launch_sinkhorn(job, L, dL, cost, a, b, o, d);
    job.download(out.plan, d.plan, cells);
    job.download(out.f, d.f, rowsTotal);
    job.download(out.g, d.g, colsTotal);
    job.download(out.cost, d.cost, batch);
    job.download(out.value, d.value, batch);
    job.download(out.iterations, d.iterations, batch);
    job.download(out.error, d.error, batch);
    job.download(out.converged, d.converged, batch);
    job.synchronize("sinkhorn");
  });
}

}  // namespace optical::cuda
