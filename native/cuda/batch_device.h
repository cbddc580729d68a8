// Host-side pieces shared by the CUDA entry points: the ragged layout on the device, the
// materialised marginals, and the launchers of the individual kernels (all on the job's stream).
#pragma once

#include <cstdint>
#include <vector>

#include "core/ot.h"
#include "cuda/device_job.h"
#include "cuda/marginals.h"

namespace optical::cuda {

struct DeviceLayout {
  const int32_t* rows = nullptr;
  const int32_t* cols = nullptr;
  const int64_t* rowOffset = nullptr;
  const int64_t* colOffset = nullptr;
  const int64_t* blockOffset = nullptr;
};

DeviceLayout upload_layout(DeviceJob& job, const ot::RaggedLayout& L);

struct DeviceSinkhornOutputs {
  float* plan;
  float* f;
  float* g;
  double* cost;
  double* value;
  int32_t* iterations;
  double* error;
  uint8_t* converged;
};

/** Queues the Sinkhorn kernels for every problem: one launch for the problems that fit in shared
 *  memory, one for the others (streaming). */
void launch_sinkhorn(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, const float* cost,
                     const float* a, const float* b, const ot::SinkhornOptions& o, const DeviceSinkhornOutputs& out);

/** The fused OT-loss chain on device-resident tokens — cost blocks, the eps resolution check,
 *  Sinkhorn, the envelope gradient ∂<P, C(T, S)>/∂S — with every output on the device. a and b are
 *  the materialised marginals (marginals.h) on the device. Used by otLoss (which uploads and
 *  downloads around it) and by the CUDA engine's OT term (whose tokens never leave the device). */
struct DeviceOtLossOutputs {
  float* plan;
  float* grad;
  double* cost;
  double* value;
  int32_t* iterations;
  double* error;
  uint8_t* converged;
};
void ot_loss_on_device(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, int64_t dim,
                       const float* teacher, const float* student, const float* a, const float* b, ot::CostKind kind,
                       const ot::SinkhornOptions& o, const DeviceOtLossOutputs& out);

/** max(‖v‖, 1e-8) of `count` vectors of length dim (torch's cosine clamp). */
void launch_clamped_norms(DeviceJob& job, const float* v, int64_t count, int64_t dim, float* out);

/** Cost blocks C_ij = cost(x_i, y_j); norms are needed (non-null) for cosine only. */
void launch_cost(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, int64_t dim, const float* x,
                 const float* y, ot::CostKind kind, const float* xNorms, const float* yNorms, float* out);

/** Refuses (ot::ArgumentError naming options.eps and the problem) an eps below the float32
 *  resolution of costs built on the device, like ot::sinkhorn's first pass: skipped without a
 *  device round trip when the cost kind bounds |C| (cosine: |C| ≤ 2), else the maxima of the
 *  problems' blocks come back (4 bytes per problem; the stream is synchronised). */
void check_eps_resolution(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, ot::CostKind kind,
                          const float* cost, double eps);

/** grad = ∂<P, C(T, S)>/∂S with P fixed (src/ot/reference/loss.ts), same layout as S. */
void launch_loss_grad(DeviceJob& job, const ot::RaggedLayout& L, const DeviceLayout& dL, int64_t dim,
                      const float* teacher, const float* student, ot::CostKind kind, const float* tNorms,
                      const float* sNorms, const float* cost, const float* plan, float* grad);

}  // namespace optical::cuda
