// The CUDA runtime side of device.h (the emulator has its own, inline in the header).
#include "cuda/nn/device.h"

namespace optical::cuda::nn {

namespace detail {

void* device_alloc(std::size_t bytes) {
  void* p = nullptr;
  const cudaError_t err = cudaMalloc(&p, bytes);
  if (err == cudaErrorMemoryAllocation) {
    cudaGetLastError();  // not sticky: clear it, the process goes on
    throw DeviceOutOfMemory(bytes);
  }
  check(err, "cudaMalloc");
  return p;
}

void device_free(void* p) {
  cudaFree(p);
  cudaGetLastError();  // best effort (after a device reset the pointer is gone already)
}

}  // namespace detail

void copy_to_device(const Stream& s, void* device, const void* host, std::size_t bytes) {
  check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, s.s), "cudaMemcpyAsync (host to device)");
}

void copy_to_host(const Stream& s, void* host, const void* device, std::size_t bytes) {
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, s.s), "cudaMemcpyAsync (device to host)");
}

void copy_on_device(const Stream& s, void* dst, const void* src, std::size_t bytes) {
  if (bytes) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, s.s), "cudaMemcpyAsync (device to device)");
}

void zero_on_device(const Stream& s, void* device, std::size_t bytes) {
  if (bytes) check(cudaMemsetAsync(device, 0, bytes, s.s), "cudaMemsetAsync");
}

void device_sync(const Stream& s, const char* what) { check(cudaStreamSynchronize(s.s), what); }

void device_memory(std::size_t& freeBytes, std::size_t& totalBytes) {
  check(cudaMemGetInfo(&freeBytes, &totalBytes), "cudaMemGetInfo");
}

}  // namespace optical::cuda::nn
