// The CUDA backend's host API. It mirrors native/core/ot.h entry for entry (same structs, same
// preconditions: inputs already validated by the ot::validate_* functions), minus the thread pool:
// each call is one GPU job (DeviceJob) with host↔device copies only at its ends.
// Throws DeviceUnavailable without a usable device and CudaError (named after the cudaError_t) when
// the runtime fails; the binding turns both into JS Errors.
#pragma once

#include <cstdint>

#include "core/ot.h"

namespace optical::cuda {

void sinkhorn(const ot::RaggedLayout& L, const ot::SinkhornInputs& in, const ot::SinkhornOptions& o,
              const ot::SinkhornOutputs& out);

void cost_matrices(const ot::RaggedLayout& L, int64_t dim, const float* x, const float* y, ot::CostKind kind,
                   float* out);

void ot_loss(const ot::RaggedLayout& L, const ot::OtLossInputs& in, ot::CostKind kind, const ot::SinkhornOptions& o,
             const ot::OtLossOutputs& out);

}  // namespace optical::cuda
