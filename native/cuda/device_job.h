// One GPU job (a sinkhorn / costMatrices / otLoss call): selects the probed device, owns a CUDA
// stream and every device allocation of the call, and releases them on every path. Jobs run one at
// a time under the device lock taken by run_on_device: concurrent AsyncWorkers queue instead of
// competing for memory, and a device reset after a sticky error cannot pull memory from under
// another job.
#pragma once

#include <cuda_runtime_api.h>

#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "cuda/cuda_errors.h"

namespace optical::cuda {

class DeviceJob {
 public:
  /** Throws DeviceUnavailable (probe().reason) when there is no usable device. device < 0: the
   *  probed one (the first supported device); else that index (checked by the caller). */
  explicit DeviceJob(int device = -1);
  ~DeviceJob();
  DeviceJob(const DeviceJob&) = delete;
  DeviceJob& operator=(const DeviceJob&) = delete;

  cudaStream_t stream() const { return stream_; }
  const cudaDeviceProp& props() const { return props_; }

  template <class T>
  T* alloc(std::size_t count) {
    return static_cast<T*>(allocBytes(count * sizeof(T)));
  }
  /** Device copy of host[0, count) (asynchronous on the job's stream). */
  template <class T>
  T* upload(const T* host, std::size_t count) {
    T* d = alloc<T>(count);
    copyIn(d, host, count * sizeof(T));
    return d;
  }
  template <class T>
  void download(T* host, const T* device, std::size_t count) {
    copyOut(host, device, count * sizeof(T));
  }
  /** Extra streams that run concurrently with stream(): fork(count) makes side streams 0..count−1
   *  wait for the work queued so far on stream(); join(count) makes stream() wait for theirs. */
  cudaStream_t side(std::size_t i);
  void fork(std::size_t count);
  void join(std::size_t count);
  /** Checks the launch that was just queued (configuration errors surface here). */
  void checkLaunch(const char* kernel);
  /** Waits for the stream; kernel faults surface here as CudaError. */
  void synchronize(const char* context);

 private:
  void* allocBytes(std::size_t bytes);
  void copyIn(void* device, const void* host, std::size_t bytes);
  void copyOut(void* host, const void* device, std::size_t bytes);

  cudaEvent_t new_event();

  cudaStream_t stream_ = nullptr;
  cudaDeviceProp props_{};
  std::vector<void*> allocations_;
  std::vector<cudaStream_t> sides_;
  std::vector<cudaEvent_t> events_;
};

/** Runs body(job) in a fresh DeviceJob. A sticky CUDA error (the context is lost) resets the device
 *  after the job's resources are gone, so the next call starts from a clean context; the error is
 *  rethrown either way. */
std::mutex& device_mutex();

/** How many times device `device` was reset after a sticky error (memory that outlives a job —
 *  the CUDA engine's model — is gone after a reset; its owner compares this count). */
int device_resets(int device);
void count_device_reset(int device);

template <class Body>
void run_on_device(int device, Body&& body) {
  std::lock_guard<std::mutex> lock(device_mutex());
  try {
    DeviceJob job(device);
    body(job);
  } catch (const CudaError& err) {
    if (err.sticky()) {
      int current = 0;
      cudaGetDevice(&current);
      cudaDeviceReset();
      cudaGetLastError();
      count_device_reset(current);
    }
    throw;
  }
}

template <class Body>
void run_on_device(Body&& body) {
  run_on_device(-1, std::forward<Body>(body));
}

}  // namespace optical::cuda
