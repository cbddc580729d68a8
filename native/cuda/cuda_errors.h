// Errors of the CUDA backend, kept free of Node-API so kernels and host code can throw them and the
// binding turns them into JS Errors. Every CUDA failure carries the cudaError_t name
// (cudaGetErrorName) so a user can search for it.
#pragma once

#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace optical::cuda {

/** A CUDA runtime call failed. `sticky` errors (illegal address, launch failure, ...) poison the
 *  context; the caller resets the device before the next job so the process stays usable. */
class CudaError : public std::runtime_error {
 public:
  CudaError(cudaError_t code, const std::string& what);
  cudaError_t code() const { return code_; }
  bool sticky() const;

 private:
  cudaError_t code_;
};

/** The CUDA addon was asked to compute but no usable device exists; the message is probe().reason. */
class DeviceUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/** Throws CudaError("<context>: <cudaErrorName>: <description>") unless code is cudaSuccess. */
void check(cudaError_t code, const char* context);

}  // namespace optical::cuda
