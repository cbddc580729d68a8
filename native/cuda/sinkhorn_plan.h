// How a batch is mapped onto the Sinkhorn kernel launches (host code, no CUDA calls, so the kernel
// emulator in test/cuda plans exactly like the real launcher): problems whose matrix and vectors fit
// the shared-memory budget go to the on-chip launch, the rest to the streaming launch with a global
// workspace or, when they are too few to fill the GPU, to the multi-block path; plus the block sizes and the kernel parameters that do not depend on device buffers.
#pragma once

#include <cstdint>
#include <vector>

#include "core/ot.h"
#include "cuda/sinkhorn_kernel.cuh"

namespace optical::cuda {

/** One on-chip launch: problems of similar shared-memory size, so that small problems are not
 *  charged the reservation of the largest one (which would cut the blocks resident per SM). */
struct OnChipBin {
  std::vector<int32_t> problems;
  int64_t sharedBytes = 0;  // dynamic shared memory per block: the largest problem of the bin
  int threads = 0;          // block size
};

/** At most this many on-chip launches (they run concurrently on their own streams). */
constexpr std::size_t kMaxOnChipBins = 4;

struct SinkhornLaunchPlan {
  std::vector<OnChipBin> onChip;         // shared-memory launches, smallest problems first
  std::vector<int32_t> streaming;        // problem indices of the streaming launch (one block each)
  std::vector<int32_t> wide;             // problem indices of the multi-block path (wide_driver.h)
  std::vector<int64_t> workspaceOffset;  // per streaming block, floats into the workspace
  int64_t workspaceFloats = 0;
  int streamingThreads = 0;
};

/** sharedBudget: bytes of dynamic shared memory a block may use (opt-in maximum minus the kernel's
 *  static shared memory). Problems that do not fit stream from global memory: one block each when
 *  there are at least `multiprocessors` of them (the GPU is full), else the multi-block path. */
SinkhornLaunchPlan plan_sinkhorn_launch(const ot::RaggedLayout& L, KernelMethod method, int64_t sharedBudget,
                                        int multiprocessors);

KernelMethod kernel_method(ot::Method m);

/** The option fields of the kernel parameters (pointers are left null). */
SinkhornParams sinkhorn_option_params(const ot::SinkhornOptions& o);

}  // namespace optical::cuda
