// The CUDA engine as the CUDA addon's NnModel runs it: a native/nn model whose parameters,
// gradients, AdamW moments and activations live on one GPU (engine_core.h does the work). Every
// call is one GPU job on its own stream under the process-wide device lock (device_job.h), so
// engine calls and OT calls queue instead of competing for memory. No CUDA types here: the binding
// includes this header from ordinary C++.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "nn/adamw.h"
#include "nn/model.h"
#include "nn/step.h"

namespace optical::cuda::nn {

struct EngineOptions {
  int device = -1;                // CUDA device index; −1: the probed one (the first with sm ≥ 8.0)
  std::string precision = "fp32";  // fp32 | tf32 | bf16 (GEMMs only)
};

struct EngineFacts {
  int device = 0;
  std::string name, computeCapability;
  std::size_t totalMemory = 0, freeMemory = 0;  // bytes (free: when the model was created)
  std::string gemm, gemmNote, precision;
};

class CudaEngine {
 public:
  /** Uploads host.params to the device. Throws DeviceUnavailable without a usable device,
   *  ot::ArgumentError for a bad option (naming it), CudaError when the runtime fails. */
  CudaEngine(::nn::Model& host, const EngineOptions& options);
  ~CudaEngine();
  CudaEngine(const CudaEngine&) = delete;
  CudaEngine& operator=(const CudaEngine&) = delete;

  ::nn::StepResult step(const ::nn::StepSpec& spec);
  ::nn::AdamWResult optimizer_step(const ::nn::AdamWOptions& o);
  ::nn::EncodeResult encode(const ::nn::EncodeInput& in, const ::nn::EncodeOptions& o);

  // host ↔ device copies of the model state (host = the ::nn::Model given at construction).
  void pull_params();
  void push_params();
  void pull_grads();
  void pull_moments();
  void push_moments();
  void zero_grads();

  const EngineFacts& facts() const { return facts_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  EngineFacts facts_;
};

}  // namespace optical::cuda::nn
