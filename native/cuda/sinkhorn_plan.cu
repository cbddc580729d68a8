#include "cuda/sinkhorn_plan.h"

#include <algorithm>
#include <map>
#include <utility>

#include "cuda/reduce.cuh"

namespace optical::cuda {

namespace {

/** Smallest block (64, 128 or 256 threads) that gives the rows of the largest on-chip problem
 *  their own warps without leaving most threads idle on tiny problems. */
int on_chip_block_size(int64_t maxDim) {
  if (maxDim <= 64) return 64;
  if (maxDim <= 128) return 128;
  return kMaxOnChipThreads;
}

}  // namespace

KernelMethod kernel_method(ot::Method m) {
  switch (m) {
    case ot::Method::Log: return KernelMethod::Log;
    case ot::Method::Scaling: return KernelMethod::Scaling;
    case ot::Method::Auto: break;
  }
  return KernelMethod::Auto;
}

SinkhornLaunchPlan plan_sinkhorn_launch(const ot::RaggedLayout& L, KernelMethod method, int64_t sharedBudget,
                                        int multiprocessors) {
  SinkhornLaunchPlan plan;
  // On-chip problems by size class: floor(log2(shared bytes)); a class reserves its largest size.
  std::map<int, OnChipBin> classes;
  std::map<int, int64_t> classMaxDim;
  for (int64_t k = 0; k < L.batch; ++k) {
    const int64_t n = L.rows[k], m = L.cols[k];
    const int64_t bytes = static_cast<int64_t>(sizeof(float)) * (n * m + sinkhorn_vector_floats(n, m));
    if (bytes <= sharedBudget) {
      int c = 0;
      while ((int64_t{2} << c) <= bytes) ++c;
      OnChipBin& bin = classes[c];
      bin.problems.push_back(static_cast<int32_t>(k));
      bin.sharedBytes = std::max(bin.sharedBytes, bytes);
      classMaxDim[c] = std::max(classMaxDim[c], std::max(n, m));
    } else {
      plan.streaming.push_back(static_cast<int32_t>(k));
      plan.workspaceOffset.push_back(plan.workspaceFloats);
      plan.workspaceFloats += (sinkhorn_needs_k(method) ? n * m : 0) + sinkhorn_vector_floats(n, m);
    }
  }
  // Merge the smallest classes upwards until at most kMaxOnChipBins launches remain.
  std::vector<std::pair<OnChipBin, int64_t>> bins;
  for (auto& [c, bin] : classes) bins.emplace_back(std::move(bin), classMaxDim[c]);
  while (bins.size() > kMaxOnChipBins) {
    auto& [into, intoDim] = bins[1];
    const auto& [from, fromDim] = bins[0];
    into.problems.insert(into.problems.begin(), from.problems.begin(), from.problems.end());
    into.sharedBytes = std::max(into.sharedBytes, from.sharedBytes);
    intoDim = std::max(intoDim, fromDim);
    bins.erase(bins.begin());
  }
  for (auto& [bin, maxDim] : bins) {
    bin.threads = on_chip_block_size(maxDim);
    plan.onChip.push_back(std::move(bin));
  }
  if (!plan.streaming.empty() && plan.streaming.size() < static_cast<std::size_t>(multiprocessors)) {
    // Too few large problems to occupy every SM with one block each: split each across blocks.
    plan.wide.swap(plan.streaming);
    plan.workspaceOffset.clear();
    plan.workspaceFloats = 0;
  }
  // Streaming problems are large: the biggest block the kernel allows.
  plan.streamingThreads = kMaxThreads;
  return plan;
}

SinkhornParams sinkhorn_option_params(const ot::SinkhornOptions& o) {
  SinkhornParams p{};
  p.eps = o.eps;
  p.tol = o.tol;
  p.rho = o.rho;
  p.epsInit = o.epsInit;
  p.epsDecay = o.epsDecay;
  p.maxIter = static_cast<int32_t>(o.maxIter);
  p.checkEvery = static_cast<int32_t>(o.checkEvery);
  p.method = kernel_method(o.method);
  p.l2 = o.errorNorm == ot::ErrorNorm::L2;
  return p;
}

}  // namespace optical::cuda
