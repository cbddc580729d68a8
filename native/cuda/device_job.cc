#include "cuda/device_job.h"

#include "cuda/probe.h"

namespace optical::cuda {

std::mutex& device_mutex() {
  static std::mutex m;
  return m;
}

namespace {
std::mutex& reset_mutex() {
  static std::mutex m;
  return m;
}
std::vector<int>& reset_counts() {
  static std::vector<int> counts;
  return counts;
}
}  // namespace

int device_resets(int device) {
  std::lock_guard<std::mutex> lock(reset_mutex());
  return device >= 0 && static_cast<std::size_t>(device) < reset_counts().size() ? reset_counts()[device] : 0;
}

void count_device_reset(int device) {
  std::lock_guard<std::mutex> lock(reset_mutex());
  if (device < 0) return;
  if (reset_counts().size() <= static_cast<std::size_t>(device)) reset_counts().resize(static_cast<std::size_t>(device) + 1, 0);
  ++reset_counts()[device];
}

DeviceJob::DeviceJob(int device) {
  const ProbeResult& p = probe();
  if (!p.available) throw DeviceUnavailable("no usable CUDA device: " + p.reason);
  const int d = device < 0 ? p.device : device;
  // The device is per host thread: AsyncWorker jobs run on libuv pool threads, so select it here.
  check(cudaSetDevice(d), "cudaSetDevice");
  check(cudaGetDeviceProperties(&props_, d), "cudaGetDeviceProperties");
  check(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
}

DeviceJob::~DeviceJob() {
  // Best effort on every path: after a sticky error these calls fail, and the reset in
  // run_on_device reclaims everything instead.
  if (stream_) cudaStreamSynchronize(stream_);
  for (cudaStream_t s : sides_) cudaStreamSynchronize(s);
  for (void* ptr : allocations_) cudaFree(ptr);
  for (cudaEvent_t e : events_) cudaEventDestroy(e);
  for (cudaStream_t s : sides_) cudaStreamDestroy(s);
  if (stream_) cudaStreamDestroy(stream_);
  cudaGetLastError();
}

void* DeviceJob::allocBytes(std::size_t bytes) {
  void* ptr = nullptr;
  if (bytes == 0) bytes = 1;  // keep every buffer a valid, distinct pointer
  const cudaError_t err = cudaMalloc(&ptr, bytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    throw CudaError(err, "cudaMalloc of " + std::to_string(bytes) + " bytes (the batch does not fit in device memory; split it)");
  }
  allocations_.push_back(ptr);
  return ptr;
}

void DeviceJob::copyIn(void* device, const void* host, std::size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, stream_), "cudaMemcpyAsync (host to device)");
}

void DeviceJob::copyOut(void* host, const void* device, std::size_t bytes) {
  if (bytes == 0) return;
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, stream_), "cudaMemcpyAsync (device to host)");
}

cudaStream_t DeviceJob::side(std::size_t i) {
  while (sides_.size() <= i) {
    cudaStream_t s = nullptr;
    check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreateWithFlags");
    sides_.push_back(s);
  }
  return sides_[i];
}

cudaEvent_t DeviceJob::new_event() {
  cudaEvent_t e = nullptr;
  check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreateWithFlags");
  events_.push_back(e);
  return e;
}

void DeviceJob::fork(std::size_t count) {
  cudaEvent_t e = new_event();
  check(cudaEventRecord(e, stream_), "cudaEventRecord");
  for (std::size_t i = 0; i < count; ++i) check(cudaStreamWaitEvent(side(i), e, 0), "cudaStreamWaitEvent");
}

void DeviceJob::join(std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    cudaEvent_t e = new_event();
    check(cudaEventRecord(e, side(i)), "cudaEventRecord");
    check(cudaStreamWaitEvent(stream_, e, 0), "cudaStreamWaitEvent");
  }
}

void DeviceJob::checkLaunch(const char* kernel) {
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw CudaError(err, std::string("launch of ") + kernel);
}

void DeviceJob::synchronize(const char* context) { check(cudaStreamSynchronize(stream_), context); }

}  // namespace optical::cuda
