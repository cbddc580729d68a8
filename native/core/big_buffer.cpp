#include "big_buffer.h"

#include <cstdlib>
#include <cstdint>
#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ot {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kAlign = 64;

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

}  // namespace

BigBuffer::BigBuffer(size_t bytes) {
  if (bytes == 0) return;
#if defined(__linux__)
  if (bytes >= kHugeMin) {
    // Over-allocate by one huge page to align the start, then unmap the slack on both sides.
    const size_t len = round_up(bytes, kHugePage);
    void* raw = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) throw std::bad_alloc();
    const auto base = reinterpret_cast<uintptr_t>(raw);
    const uintptr_t start = round_up(base, kHugePage);
    if (start > base) munmap(raw, start - base);
    const uintptr_t end = base + len + kHugePage;
    if (end > start + len) munmap(reinterpret_cast<void*>(start + len), end - (start + len));
    data_ = reinterpret_cast<void*>(start);
    bytes_ = len;
#ifdef MADV_HUGEPAGE
    madvise(data_, len, MADV_HUGEPAGE);  // a hint: without THP the mapping simply uses 4 KiB pages
#endif
    return;
  }
#endif
  const size_t len = round_up(bytes, kAlign);
  data_ = std::aligned_alloc(kAlign, len);
  if (!data_) throw std::bad_alloc();
  bytes_ = len;
}

BigBuffer& BigBuffer::operator=(BigBuffer&& o) noexcept {
  if (this != &o) {
    free_memory(data_, bytes_);
    data_ = o.data_;
    bytes_ = o.bytes_;
    o.data_ = nullptr;
    o.bytes_ = 0;
  }
  return *this;
}

void BigBuffer::free_memory(void* p, size_t bytes) {
  if (!p) return;
#if defined(__linux__)
  if (bytes >= kHugeMin) {
    munmap(p, bytes);
    return;
  }
#endif
  (void)bytes;
  std::free(p);
}

}  // namespace ot
