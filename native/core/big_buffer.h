// Storage for the large arrays of one call (async input copies, plans, kernel scratch).
//
// A 4096 × 4096 float array is 64 MiB: from malloc it is 16384 fresh 4 KiB pages, and the page
// faults of its first write cost as much as a Sinkhorn iteration. Arrays of at least kHugeMin bytes
// are therefore mapped 2 MiB-aligned with transparent huge pages requested (Linux MADV_HUGEPAGE;
// one fault per 2 MiB), and mappings given back are kept for reuse (a few, reclaimable by the
// kernel; see big_buffer.cpp) so that repeated calls of one size skip the kernel's zeroing too.
// Smaller arrays, and other systems, use plain aligned allocation. The contents start unspecified.
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

// Asks the kernel to back the 2 MiB-aligned part of [p, p + bytes) with huge pages when it is first
// touched (memory allocated elsewhere, e.g. a typed array's, not yet written). A hint; no-op for
// small ranges and on other systems.
void advise_huge_pages(void* p, size_t bytes);

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_BIG_BUFFER_H
