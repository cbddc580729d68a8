// Storage for the large arrays of one call (async input copies, plans, kernel scratch).
//
// A 4096 × 4096 float array is 64 MiB: from malloc it is 16384 fresh 4 KiB pages, and the page
// faults of its first write cost as much as a Sinkhorn iteration. Arrays of at least kHugeMin bytes
// are therefore mapped 2 MiB-aligned with transparent huge pages requested (Linux MADV_HUGEPAGE;
// the kernel zeroes them in 2 MiB steps, one fault each). Smaller ones, and other systems, use
// plain aligned allocation. The contents start unspecified (zero in practice), like malloc.
#ifndef OPTICAL_NATIVE_CORE_BIG_BUFFER_H
#define OPTICAL_NATIVE_CORE_BIG_BUFFER_H

#include <cstddef>

namespace ot {

class BigBuffer {
 public:
  static constexpr size_t kHugeMin = size_t{4} << 20;

  BigBuffer() = default;
  explicit BigBuffer(size_t bytes);  // std::bad_alloc when the memory is not available
  ~BigBuffer() { free_memory(data_, bytes_); }
  BigBuffer(BigBuffer&& o) noexcept : data_(o.data_), bytes_(o.bytes_) { o.data_ = nullptr; o.bytes_ = 0; }
  BigBuffer& operator=(BigBuffer&& o) noexcept;
  BigBuffer(const BigBuffer&) = delete;
  BigBuffer& operator=(const BigBuffer&) = delete;

  template <class T>
  T* as() const { return static_cast<T*>(data_); }
  size_t size() const { return bytes_; }
  bool empty() const { return data_ == nullptr; }

  // Gives up ownership (e.g. to a JS ArrayBuffer): the memory must later go to free_memory(p, bytes).
  void* release() {
    void* p = data_;
    data_ = nullptr;
    bytes_ = 0;
    return p;
  }
  static void free_memory(void* p, size_t bytes);

 private:
  void* data_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_BIG_BUFFER_H
