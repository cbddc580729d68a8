// The CUDA engine's view of the GPU: memory owned by the model (DeviceArray), copies and fills on
// the engine's stream, and kernel launches. The engine's host code (engine.cu) is written against
// these only, so it also compiles against the kernel emulator (test/cuda/emulator): built by nvcc
// they are the CUDA runtime (device.cc); with OPTICAL_CUDA_EMULATION (cuda_emulator.h included
// first) they are host memory and emu::launch — the whole training step then runs on a machine
// without a GPU and is compared with native/nn.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#ifndef OPTICAL_CUDA_EMULATION
#include <cuda_runtime_api.h>

#include "cuda/cuda_errors.h"
#endif

namespace optical::cuda::nn {

/** A device allocation failed (cudaErrorMemoryAllocation, which is not sticky): the engine turns it
 *  into a RangeError naming the batch and length. Nothing of the failed allocation is kept. */
class DeviceOutOfMemory : public std::runtime_error {
 public:
  explicit DeviceOutOfMemory(std::size_t bytes)
      : std::runtime_error("cudaMalloc of " + std::to_string(bytes) + " bytes failed: out of device memory"),
        bytes_(bytes) {}
  std::size_t bytes() const { return bytes_; }

 private:
  std::size_t bytes_;
};

/** The stream an engine call runs on. */
struct Stream {
#ifndef OPTICAL_CUDA_EMULATION
  cudaStream_t s = nullptr;
#endif
};

#ifdef OPTICAL_CUDA_EMULATION
// ---- the emulator's device: host memory. Fresh memory is filled with NaN bytes, so a kernel that
// reads what nothing wrote shows up in the results.
namespace detail {
inline void* device_alloc(std::size_t bytes) {
  void* p = std::malloc(bytes);
  if (!p) throw DeviceOutOfMemory(bytes);
  std::memset(p, 0xff, bytes);
  return p;
}
inline void device_free(void* p) { std::free(p); }
}  // namespace detail
inline void copy_to_device(const Stream&, void* d, const void* h, std::size_t n) { std::memcpy(d, h, n); }
inline void copy_to_host(const Stream&, void* h, const void* d, std::size_t n) { std::memcpy(h, d, n); }
inline void copy_on_device(const Stream&, void* d, const void* s, std::size_t n) { std::memmove(d, s, n); }
inline void zero_on_device(const Stream&, void* d, std::size_t n) { std::memset(d, 0, n); }
inline void device_sync(const Stream&, const char*) {}
inline void device_memory(std::size_t& freeBytes, std::size_t& totalBytes) { freeBytes = totalBytes = std::size_t{1} << 40; }
#else
namespace detail {
void* device_alloc(std::size_t bytes);  // throws DeviceOutOfMemory
void device_free(void* p);
}  // namespace detail
// Copies and fills, queued on the stream (host memory must stay valid until device_sync).
void copy_to_device(const Stream& s, void* device, const void* host, std::size_t bytes);
void copy_to_host(const Stream& s, void* host, const void* device, std::size_t bytes);
void copy_on_device(const Stream& s, void* dst, const void* src, std::size_t bytes);
void zero_on_device(const Stream& s, void* device, std::size_t bytes);
/** Waits for the stream; kernel faults surface here (CudaError). */
void device_sync(const Stream& s, const char* what);
/** Free and total memory of the current device, in bytes. */
void device_memory(std::size_t& freeBytes, std::size_t& totalBytes);
#endif

/** While set (the engine's backward pass, which must not fail half-way through accumulating
 *  gradients), growing a DeviceArray is a logic error: everything it needs is reserved before. */
inline bool& allocation_forbidden() {
  static thread_local bool forbidden = false;
  return forbidden;
}

/** Device memory that lives as long as its owner (the model or its workspace). `ensure` grows it
 *  (contents undefined after growing, never shrinks), so a workspace is allocated once and reused
 *  by every later call of the same or smaller size. */
template <class T>
class DeviceArray {
 public:
  DeviceArray() = default;
  ~DeviceArray() { release(); }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  DeviceArray(DeviceArray&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    if (this != &o) {
      release();
      p_ = std::exchange(o.p_, nullptr);
      n_ = std::exchange(o.n_, 0);
    }
    return *this;
  }

  T* ensure(std::size_t n) {
    if (p_ && n <= n_) return p_;
    if (allocation_forbidden())
      throw std::logic_error("optical cuda engine: a device buffer grew during the backward pass (nothing was reserved for it)");
    release();  // first: the old block's memory is available to the new one
    p_ = static_cast<T*>(detail::device_alloc(std::max<std::size_t>(n, 1) * sizeof(T)));
    n_ = n;
    return p_;
  }
  void release() {
    if (p_) detail::device_free(p_);
    p_ = nullptr;
    n_ = 0;
  }
  T* data() const { return p_; }
  std::size_t size() const { return n_; }
  bool empty() const { return p_ == nullptr; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

template <class T>
void upload(const Stream& s, T* device, const T* host, std::size_t count) {
  if (count) copy_to_device(s, device, host, count * sizeof(T));
}
template <class T>
void download(const Stream& s, T* host, const T* device, std::size_t count) {
  if (count) copy_to_host(s, host, device, count * sizeof(T));
}

#if defined(OPTICAL_CUDA_EMULATION) || defined(__CUDACC__)
/** kernel<<<grid, block, shared, stream>>>(args...) with the launch checked; grid 0 does nothing.
 *  Every engine kernel is one-dimensional (grid and block in x only), as the emulator runs them.
 *  (Only where kernels are compiled: nvcc, or the emulator.) */
template <class... P, class... A>
void launch(const Stream& s, const char* name, void (*kernel)(P...), std::size_t grid, unsigned block,
            std::size_t shared, A... args) {
  if (grid == 0) return;
  if (grid > 0x7fffffffu)
    throw std::length_error(std::string(name) + ": more than 2^31 − 1 thread blocks; use a smaller batch or length");
#ifdef OPTICAL_CUDA_EMULATION
  (void)s;
  emu::launch(static_cast<unsigned>(grid), block, shared, [&] { kernel(args...); });
#else
  kernel<<<static_cast<unsigned>(grid), block, shared, s.s>>>(args...);
  const cudaError_t err = cudaGetLastError();
  if (err != cudaSuccess) throw CudaError(err, std::string("launch of ") + name);
#endif
}
#endif

/** Blocks of `per` items covering n. */
inline std::size_t blocks_for(int64_t n, int64_t per) {
  return n <= 0 ? 0 : static_cast<std::size_t>((n + per - 1) / per);
}

}  // namespace optical::cuda::nn
