#include "cuda/cuda_errors.h"

namespace optical::cuda {

namespace {
std::string describe(cudaError_t code, const std::string& context) {
  return context + ": " + cudaGetErrorName(code) + ": " + cudaGetErrorString(code);
}
}  // namespace

CudaError::CudaError(cudaError_t code, const std::string& what)
    : std::runtime_error(describe(code, what)), code_(code) {}

bool CudaError::sticky() const {
  // The errors after which the CUDA context is unusable until cudaDeviceReset (CUDA runtime API
  // docs: "the process/context is left in an inconsistent state").
  switch (code_) {
    case cudaErrorIllegalAddress:
    case cudaErrorLaunchFailure:
    case cudaErrorLaunchTimeout:
    case cudaErrorHardwareStackError:
    case cudaErrorIllegalInstruction:
    case cudaErrorMisalignedAddress:
    case cudaErrorInvalidAddressSpace:
    case cudaErrorInvalidPc:
    case cudaErrorAssert:
    case cudaErrorECCUncorrectable:
    case cudaErrorContextIsDestroyed:
      return true;
    default:
      return false;
  }
}

void check(cudaError_t code, const char* context) {
  if (code != cudaSuccess) {
    // Clear the (non-sticky) per-thread error so the next runtime call does not report it again.
    cudaGetLastError();
    throw CudaError(code, context);
  }
}

}  // namespace optical::cuda
