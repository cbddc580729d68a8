// Host side of the batched Sinkhorn: splits the batch into problems that fit in shared memory and
// problems that stream from global memory, sizes and queues one launch for each group, and the
// public entry point optical::cuda::sinkhorn (upload → kernels → download, one GPU job).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "cuda/batch_device.h"
#include "cuda/cuda_ot.h"
#include "cuda/reduce.cuh"
#include "cuda/sinkhorn_device.cuh"
#include "cuda/sinkhorn_plan.h"
#include "cuda/wide_driver.h"

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

namespace {

/** The multi-block path for the few problems too large for one block (wide_driver.h). */
void launch_wide(DeviceJob& job, const ot::RaggedLayout& L, const std::vector<int32_t>& problems,
                 const SinkhornParams& p, const ot::SinkhornOptions& o) {
  const WideTasks tasks = build_wide_tasks(L, problems);
  const auto slots = static_cast<int32_t>(problems.size());
  const auto rowsTotal = static_cast<std::size_t>(L.totalRows());
  const auto colsTotal = static_cast<std::size_t>(L.totalCols());
  const auto parts = static_cast<std::size_t>(tasks.partCount);
  WideState w{};
  w.rowTasks = job.upload(tasks.rows.data(), tasks.rows.size());
  w.colTasks = job.upload(tasks.cols.data(), tasks.cols.size());
  w.combineTasks = job.upload(tasks.combine.data(), tasks.combine.size());
  w.problems = job.upload(problems.data(), problems.size());
  w.partOffset = job.upload(tasks.partOffset.data(), tasks.partOffset.size());
  w.partMx = job.alloc<float>(parts);
  w.partSum = job.alloc<double>(parts);
  w.f = job.alloc<float>(rowsTotal);
  w.fn = job.alloc<float>(rowsTotal);
  w.la = job.alloc<float>(rowsTotal);
  w.rowVal = job.alloc<float>(rowsTotal);
  w.rowMass = job.alloc<double>(rowsTotal);
  w.rowCost = job.alloc<double>(rowsTotal);
  w.g = job.alloc<float>(colsTotal);
  w.gn = job.alloc<float>(colsTotal);
  w.lb = job.alloc<float>(colsTotal);
  w.colVal = job.alloc<float>(colsTotal);
  w.colMass = job.alloc<double>(colsTotal);
  w.rowMaxC = job.alloc<float>(rowsTotal);
  w.active = job.alloc<int32_t>(problems.size());
  w.lastIter = job.alloc<int32_t>(problems.size());
  w.convergedFlag = job.alloc<uint8_t>(problems.size());
  w.err = job.alloc<float>(problems.size());
  w.bestErr = job.alloc<float>(problems.size());
  w.sinceBest = job.alloc<int32_t>(problems.size());
  std::vector<int32_t> active(problems.size());
  auto launch = [&](auto kernel, std::size_t grid, int block, const SinkhornParams& params, const WideState& state) {
    if (grid == 0) return;
    if (grid > 0x7fffffffu) throw CudaError(cudaErrorInvalidConfiguration, "wide Sinkhorn: the problem needs more than 2^31−1 blocks");
    kernel<<<static_cast<unsigned>(grid), block, 0, job.stream()>>>(params, state);
    job.checkLaunch("wide Sinkhorn kernel");
  };
  auto active_count = [&]() {
    job.download(active.data(), w.active, active.size());
    job.synchronize("wide Sinkhorn convergence check");
    int count = 0;
    for (int32_t a : active) count += a != 0;
    return count;
  };
  run_wide(o, slots, tasks, p, w, launch, active_count);
}

}  // namespace

void launch_sinkhorn(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, const float* cost,
                     const float* a, const float* b, const ot::SinkhornOptions& o, const DeviceSinkhornOutputs& out) {
  // Shared memory a block may use: the opt-in maximum minus the kernel's static scratch.
  cudaFuncAttributes attr{};
  check(cudaFuncGetAttributes(&attr, sinkhorn_kernel<true>), "cudaFuncGetAttributes(sinkhorn_kernel)");
  int optin = 0;
  int device = 0;
  check(cudaGetDevice(&device), "cudaGetDevice");
  check(cudaDeviceGetAttribute(&optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device),
        "cudaDeviceGetAttribute(MaxSharedMemoryPerBlockOptin)");
  const int64_t sharedBudget = static_cast<int64_t>(optin) - static_cast<int64_t>(attr.sharedSizeBytes);
  int multiprocessors = 1;
  check(cudaDeviceGetAttribute(&multiprocessors, cudaDevAttrMultiProcessorCount, device),
        "cudaDeviceGetAttribute(MultiProcessorCount)");
  const SinkhornLaunchPlan plan = plan_sinkhorn_launch(L, kernel_method(o.method), sharedBudget, multiprocessors);

  SinkhornParams p = sinkhorn_option_params(o);
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

  // On-chip bins run concurrently, each on its own stream (forked from and joined back into the
  // job's stream), so the blocks of small problems fill the SMs next to those of large ones.
  // The problem lists are uploaded first: the side streams only wait for work queued before fork.
  std::vector<const int32_t*> binProblems;
  for (const OnChipBin& bin : plan.onChip) binProblems.push_back(job.upload(bin.problems.data(), bin.problems.size()));
  const bool concurrent = plan.onChip.size() > 1;
  if (concurrent) job.fork(plan.onChip.size());
  for (std::size_t b = 0; b < plan.onChip.size(); ++b) {
    const OnChipBin& bin = plan.onChip[b];
    SinkhornParams q = p;
    q.problems = binProblems[b];
    check(cudaFuncSetAttribute(sinkhorn_kernel<true>, cudaFuncAttributeMaxDynamicSharedMemorySize,
                               static_cast<int>(bin.sharedBytes)),
          "cudaFuncSetAttribute(sinkhorn_kernel, MaxDynamicSharedMemorySize)");
    sinkhorn_kernel<true><<<static_cast<unsigned>(bin.problems.size()), bin.threads,
                            static_cast<std::size_t>(bin.sharedBytes), concurrent ? job.side(b) : job.stream()>>>(q);
    job.checkLaunch("sinkhorn_kernel<shared>");
  }
  if (concurrent) job.join(plan.onChip.size());
  if (!plan.streaming.empty()) {
    SinkhornParams q = p;
    q.problems = job.upload(plan.streaming.data(), plan.streaming.size());
    q.workspaceOffset = job.upload(plan.workspaceOffset.data(), plan.workspaceOffset.size());
    q.workspace = job.alloc<float>(static_cast<std::size_t>(plan.workspaceFloats));
    sinkhorn_kernel<false><<<static_cast<unsigned>(plan.streaming.size()), plan.streamingThreads, 0, job.stream()>>>(q);
    job.checkLaunch("sinkhorn_kernel<streaming>");
  }
  if (!plan.wide.empty()) launch_wide(job, L, plan.wide, p, o);
}

namespace {

/** Writes through a null pointer: an illegal-address fault, which poisons the CUDA context. */
__global__ void fault_kernel(int* target) { *target = 1; }

/** Test hook: with OPTICAL_CUDA_TEST_FAULT=1 a sinkhorn call first runs a faulting kernel, so the
 *  GPU tests can check that the error arrives as a JS Error named cudaErrorIllegalAddress and that
 *  the next call works (run_on_device resets the device). Read per call; never set in normal use. */
void maybe_inject_fault(DeviceJob& job) {
  const char* v = std::getenv("OPTICAL_CUDA_TEST_FAULT");
  if (v == nullptr || std::strcmp(v, "1") != 0) return;
  fault_kernel<<<1, 1, 0, job.stream()>>>(nullptr);
  job.checkLaunch("fault_kernel");
  job.synchronize("fault_kernel (OPTICAL_CUDA_TEST_FAULT)");
}

}  // namespace

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
    maybe_inject_fault(job);
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
