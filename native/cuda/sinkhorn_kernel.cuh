// The batched Sinkhorn kernel: one thread block per problem, every iteration of that problem inside
// the block, per-problem convergence checks with a block-uniform early exit.
//
// Storage. The "shared" instantiation keeps the whole problem on chip: the n×m matrix M (C for the
// log domain, K = exp(−C/eps) for the scaling form) and ten length-n/m vectors in dynamic shared
// memory. The "streaming" instantiation is the same code with that storage in a global-memory
// workspace (M = the input C itself in the log domain), for problems that do not fit; it streams M
// from L2/HBM once per half-iteration.
//
// Parallel layout (T threads, W = T/32 warps):
//   row pass (f update, row sums):     one warp per row, lanes stride over j, shuffle LSE merge;
//   column pass (g update, col sums):  consecutive threads take consecutive columns (coalesced /
//     bank-conflict free on row-major M); when m < T the rows are split into S = T/m slices whose
//     partial LSEs are merged through shared scratch.
//
// Semantics follow src/ot/reference/sinkhorn.ts step by step (see that header): eps schedule,
// phi = rho/(rho+e), checks every checkEvery iterations and after the last, convergence only once the
// schedule has reached eps, plan/cost/value with the e of the last iteration.
// Method: Log = log domain throughout. Scaling / Auto = the scaling form (Sinkhorn–Knopp) once the
// schedule is at eps, exactly like native/core: K' = exp(−(C − min C)/eps) built once, iterates
// x, y in float with f = eps·ln x + min C + delta, g = eps·ln y − delta; an iteration whose
// iterates leave (0, bound] is redone in the log domain from the last good iterate and the problem
// stays there (bound 1e15 for Auto, FLT_MAX for Scaling).
#pragma once

#include <cstdint>

namespace optical::cuda {

enum class KernelMethod : int { Auto = 0, Log = 1, Scaling = 2 };

struct SinkhornParams {
  // Ragged layout (device arrays over the whole batch).
  const int32_t* rows;
  const int32_t* cols;
  const int64_t* rowOffset;
  const int64_t* colOffset;
  const int64_t* blockOffset;
  // blockIdx.x → problem index (the problems of this launch).
  const int32_t* problems;
  // Streaming launches: per-block float offset into `workspace`; unused by shared launches.
  const int64_t* workspaceOffset;
  float* workspace;
  // Inputs: a and b are always materialised (uniform filled in, balanced b rescaled to Σa).
  const float* cost;
  const float* a;
  const float* b;
  // Outputs.
  float* plan;
  float* f;
  float* g;
  double* cost_out;
  double* value;
  int32_t* iterations;
  double* error;
  uint8_t* converged;
  // Options.
  double eps, tol, rho, epsInit, epsDecay;
  int32_t maxIter, checkEvery;
  KernelMethod method;
  bool l2;
};

/** Largest block of the on-chip launch. Its launch bounds (≤ 80 registers: three 256-thread
 *  blocks per SM, no spills under ptxas 13) matter for occupancy when problems are small. */
constexpr int kMaxOnChipThreads = 256;

/** Floats of per-problem storage besides M: f, f', g, g', log2 a, log2 b, a, b, wa, wb. */
__host__ __device__ inline int64_t sinkhorn_vector_floats(int64_t n, int64_t m) { return 5 * (n + m); }

/** Whether a streaming problem needs a workspace copy of M (the scaling form stores K' there). */
__host__ __device__ inline bool sinkhorn_needs_k(KernelMethod method) { return method != KernelMethod::Log; }


template <bool kShared>
__global__ void sinkhorn_kernel(SinkhornParams p);

}  // namespace optical::cuda
