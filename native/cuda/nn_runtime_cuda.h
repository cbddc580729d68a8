// The CUDA addon's NnModel runtime factory (see nn_runtime_cuda.cc).
#pragma once

#include <memory>

#include "binding/nn_runtime.h"

namespace optical::cuda {

/** Throws DeviceUnavailable (probe().reason) without a usable device. */
std::unique_ptr<NnRuntime> make_cuda_runtime(const ::nn::Config& config, const ::nn::Heads& heads,
                                             const Napi::Value& options);

}  // namespace optical::cuda
