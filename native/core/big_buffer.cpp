#include "big_buffer.h"

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace ot {

namespace {

constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kAlign = 64;

size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

#if defined(__linux__)
// Large mappings given back are kept for reuse: a fresh mapping costs the kernel a zeroed page per
// first touch (10–30 ms for 64 MiB on the 2-core VMs), a reused one nothing, and a call of the same
// size as the last (a training loop, a benchmark) finds one. The results of async calls come back
// only when the garbage collector frees them, several at a time, hence room for a few. Kept
// mappings are MADV_FREE'd, so the kernel can reclaim their memory under pressure (they are then
// zero-filled again when touched); at most kCacheEntries of them and kCacheBytes in all, the
// oldest unmapped first, and none kept longer than kCacheSeconds (checked on the next use).
constexpr size_t kCacheEntries = 8;
constexpr size_t kCacheBytes = size_t{1} << 30;
constexpr double kCacheSeconds = 5;

struct Mapping {
  void* p;
  size_t bytes;
  std::chrono::steady_clock::time_point kept{};
};

class MappingCache {
 public:
  // A kept mapping of at least `bytes` and at most twice that, or {nullptr, 0}.
  Mapping take(size_t bytes) {
    std::vector<Mapping> drop;
    Mapping found{nullptr, 0};
    {
      std::lock_guard<std::mutex> lock(m_);
      expire(drop);
      found = take_locked(bytes);
    }
    for (const Mapping& d : drop) munmap(d.p, d.bytes);
    return found;
  }

  void give(Mapping mp) {
    if (mp.bytes > kCacheBytes) {
      munmap(mp.p, mp.bytes);
      return;
    }
#ifdef MADV_FREE
    madvise(mp.p, mp.bytes, MADV_FREE);
#endif
    mp.kept = std::chrono::steady_clock::now();
    std::vector<Mapping> drop;
    {
      std::lock_guard<std::mutex> lock(m_);
      expire(drop);
      kept_.push_back(mp);
      total_ += mp.bytes;
      while (kept_.size() > kCacheEntries || total_ > kCacheBytes) drop_oldest(drop);
    }
    for (const Mapping& d : drop) munmap(d.p, d.bytes);
  }

 private:
  Mapping take_locked(size_t bytes) {
    for (size_t i = kept_.size(); i-- > 0;) {
      if (kept_[i].bytes >= bytes && kept_[i].bytes <= 2 * bytes) {
        const Mapping found = kept_[i];
        kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(i));
        total_ -= found.bytes;
        return found;
      }
    }
    return {nullptr, 0};
  }

  void drop_oldest(std::vector<Mapping>& drop) {
    drop.push_back(kept_.front());
    total_ -= kept_.front().bytes;
    kept_.erase(kept_.begin());
  }

  void expire(std::vector<Mapping>& drop) {
    const auto now = std::chrono::steady_clock::now();
    while (!kept_.empty() && std::chrono::duration<double>(now - kept_.front().kept).count() > kCacheSeconds)
      drop_oldest(drop);
  }

  std::mutex m_;
  std::vector<Mapping> kept_;  // oldest first
  size_t total_ = 0;
};

MappingCache& cache() {
  static MappingCache* c = new MappingCache();  // never destroyed: buffers may be freed during exit
  return *c;
}

Mapping map_huge(size_t len) {
  // Over-allocate by one huge page to align the start, then unmap the slack on both sides.
  void* raw = mmap(nullptr, len + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto base = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = round_up(base, kHugePage);
  if (start > base) munmap(raw, start - base);
  const uintptr_t end = base + len + kHugePage;
  if (end > start + len) munmap(reinterpret_cast<void*>(start + len), end - (start + len));
  void* p = reinterpret_cast<void*>(start);
#ifdef MADV_HUGEPAGE
  madvise(p, len, MADV_HUGEPAGE);  // a hint: without THP the mapping simply uses 4 KiB pages
#endif
  return {p, len};
}
#endif

}  // namespace

BigBuffer::BigBuffer(size_t bytes) {
  if (bytes == 0) return;
#if defined(__linux__)
  if (bytes >= kHugeMin) {
    const size_t len = round_up(bytes, kHugePage);
    Mapping mp = cache().take(len);
    if (!mp.p) mp = map_huge(len);
    data_ = mp.p;
    bytes_ = mp.bytes;
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

void advise_huge_pages(void* p, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes < BigBuffer::kHugeMin) return;
  const auto begin = round_up(reinterpret_cast<uintptr_t>(p), kHugePage);
  const auto end = (reinterpret_cast<uintptr_t>(p) + bytes) / kHugePage * kHugePage;
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)p;
  (void)bytes;
#endif
}

void BigBuffer::free_memory(void* p, size_t bytes) {
  if (!p) return;
#if defined(__linux__)
  if (bytes >= kHugeMin) {
    cache().give({p, bytes});
    return;
  }
#endif
  (void)bytes;
  std::free(p);
}

}  // namespace ot
