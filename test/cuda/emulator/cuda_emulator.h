// A deterministic host-side emulator for the CUDA kernels of native/cuda, for machines without a
// GPU. Every CUDA thread of a block is a fiber on one OS thread (a minimal x86-64 stack switch;
// ucontext elsewhere, whose swapcontext costs a syscall per switch); __syncthreads, the warp
// shuffles and __syncthreads_or are scheduling points. Blocks run one after another, so the
// kernels' __shared__ variables can simply be `static`.
//
// What it checks beyond the arithmetic: a barrier that not every thread of the block reaches (or a
// shuffle that not every lane of the warp reaches) is a deadlock or undefined behaviour on a GPU;
// here it throws a std::logic_error naming the block. Dynamic shared memory starts filled with NaN,
// so reads of never-written storage show up in the results.
// Races: between two scheduling points each fiber runs alone, in thread order. A missing barrier
// between a write and another thread's read therefore shows up as a result that depends on that
// order; run_in_order(Order::Reverse) lets a test run a kernel again with the opposite order and
// demand bit-identical output (the kernels reduce in fixed orders, so only a race can differ).
// What it cannot check: timing, occupancy, the rounding of the GPU's own exp2f/log2f.
#pragma once

#define OPTICAL_CUDA_EMULATION 1

#include <ucontext.h>

#include <math.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using std::isfinite;
using std::isinf;

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __align__(n) alignas(n)
#define __launch_bounds__(...)

namespace emu {

struct Dim3 {
  unsigned x = 0, y = 0, z = 0;
};

enum class Wait { None, Block, Warp };

#if defined(__x86_64__)
// emu_switch(&from, to): saves the callee-saved registers, MXCSR and the x87 control word on the
// current stack, stores the stack pointer in *from and resumes the stack `to` (System V ABI).
// Weak: the header is included by several translation units.
extern "C" void emu_switch(void** from, void* to);
asm(R"(
.text
.weak emu_switch
.type emu_switch,@function
emu_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp
    stmxcsr (%rsp)
    fnstcw 4(%rsp)
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    ldmxcsr (%rsp)
    fldcw 4(%rsp)
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
.size emu_switch, .-emu_switch
)");
struct Context {
  void* sp = nullptr;
};
#else
struct Context {
  ucontext_t uc{};
};
#endif

struct Fiber {
  Context ctx;
  char* stack = nullptr;
  std::size_t stackBytes = 0;
  Dim3 tid;
  bool done = false;
  Wait wait = Wait::None;
};

struct Block {
  std::vector<Fiber> fibers;
  Context scheduler;
  int current = -1;
  Dim3 blockIdx, blockDim;
  std::vector<double> dynamicShared;  // double: 8-byte alignment
  std::vector<uint64_t> lanes;        // shuffle exchange, one slot per thread
  std::vector<int> votes;             // __syncthreads_or
  const std::function<void()>* body = nullptr;
};

enum class Order { Forward, Reverse };

inline Order& schedule_order() {
  static Order o = Order::Forward;
  return o;
}

inline Block*& active() {
  static Block* b = nullptr;
  return b;
}

inline Fiber& me() { return active()->fibers[static_cast<std::size_t>(active()->current)]; }

inline void switch_to(Context& from, Context& to) {
#if defined(__x86_64__)
  emu_switch(&from.sp, to.sp);
#else
  swapcontext(&from.uc, &to.uc);
#endif
}

inline void yield_waiting(Wait w) {
  Block* b = active();
  Fiber& f = me();
  f.wait = w;
  switch_to(f.ctx, b->scheduler);
}

/** A fiber's first frame: runs the kernel body, then hands back to the scheduler for good. */
inline void entry() {
  (*active()->body)();
  Fiber& f = me();
  f.done = true;
  switch_to(f.ctx, active()->scheduler);  // never resumed
  std::abort();
}

inline void start_fiber(Fiber& f) {
#if defined(__x86_64__)
  // Stack image popped by emu_switch: [mxcsr|fpucw] r15 r14 r13 r12 rbx rbp, return → entry, then a
  // dummy return address so that entry starts with rsp ≡ 8 (mod 16) like any called function.
  auto top = reinterpret_cast<uintptr_t>(f.stack + f.stackBytes) & ~uintptr_t{15};
  auto* sp = reinterpret_cast<uint64_t*>(top);
  *--sp = 0;                                         // dummy return address of entry
  *--sp = reinterpret_cast<uint64_t>(&entry);        // ret target
  for (int r = 0; r < 6; ++r) *--sp = 0;             // rbp rbx r12 r13 r14 r15
  uint32_t mxcsr = 0;
  uint16_t fpucw = 0;
  asm volatile("stmxcsr %0" : "=m"(mxcsr));
  asm volatile("fnstcw %0" : "=m"(fpucw));
  *--sp = static_cast<uint64_t>(mxcsr) | (static_cast<uint64_t>(fpucw) << 32);
  f.ctx.sp = sp;
#else
  getcontext(&f.ctx.uc);
  f.ctx.uc.uc_stack.ss_sp = f.stack;
  f.ctx.uc.uc_stack.ss_size = f.stackBytes;
  f.ctx.uc.uc_link = nullptr;
  makecontext(&f.ctx.uc, reinterpret_cast<void (*)()>(&entry), 0);
#endif
}

/** Runs `body` as blockDim threads of block blockIdx. Throws on a barrier deadlock/divergence. */
inline void run_block(unsigned blockIdx, unsigned threads, std::size_t dynamicBytes, const std::function<void()>& body) {
  if (threads == 0 || threads % 32 != 0 || threads > 1024) throw std::invalid_argument("emulator: block size must be a multiple of 32 in [32, 1024]");
  Block b;
  b.blockIdx.x = blockIdx;
  b.blockIdx.y = b.blockIdx.z = 0;
  b.blockDim.x = threads;
  b.blockDim.y = b.blockDim.z = 1;
  b.dynamicShared.assign((dynamicBytes + sizeof(double) - 1) / sizeof(double), std::numeric_limits<double>::quiet_NaN());
  // NaN as floats too: fill bytes with 0xff (a NaN pattern for float and double).
  std::memset(b.dynamicShared.data(), 0xff, b.dynamicShared.size() * sizeof(double));
  b.lanes.assign(threads, 0);
  b.votes.assign(threads, 0);
  b.body = &body;
  b.fibers.resize(threads);
  Block* saved = active();
  active() = &b;
  for (unsigned t = 0; t < threads; ++t) {
    Fiber& f = b.fibers[t];
    f.tid.x = t;
    // Stacks are reused across blocks: allocating (and faulting in) fresh ones per block dominated
    // the run time.
    static std::vector<std::vector<char>> stacks;
    constexpr std::size_t kStackBytes = 128 * 1024;
    if (stacks.size() <= t) stacks.emplace_back(kStackBytes);
    f.stack = stacks[t].data();
    f.stackBytes = kStackBytes;
    start_fiber(f);
  }
  const unsigned warps = threads / 32;
  for (;;) {
    bool ran = false;
    const bool reverse = schedule_order() == Order::Reverse;
    for (unsigned q = 0; q < threads; ++q) {
      const unsigned t = reverse ? threads - 1 - q : q;
      Fiber& f = b.fibers[t];
      if (f.done || f.wait != Wait::None) continue;
      b.current = static_cast<int>(t);
      switch_to(b.scheduler, f.ctx);
      ran = true;
    }
    if (ran) continue;
    unsigned doneCount = 0, atBlock = 0;
    for (const Fiber& f : b.fibers) {
      doneCount += f.done;
      atBlock += f.wait == Wait::Block;
    }
    if (doneCount == threads) break;
    if (atBlock == threads) {
      for (Fiber& f : b.fibers) f.wait = Wait::None;
      continue;
    }
    bool released = false;
    for (unsigned w = 0; w < warps; ++w) {
      unsigned atWarp = 0;
      for (unsigned l = 0; l < 32; ++l) atWarp += b.fibers[w * 32 + l].wait == Wait::Warp;
      if (atWarp == 32) {
        for (unsigned l = 0; l < 32; ++l) b.fibers[w * 32 + l].wait = Wait::None;
        released = true;
      }
    }
    if (released) continue;
    active() = saved;
    throw std::logic_error("emulator: deadlock in block " + std::to_string(blockIdx) + ": " + std::to_string(atBlock) +
                           " threads wait at __syncthreads, " + std::to_string(doneCount) +
                           " have exited, the rest wait at a warp shuffle that not all lanes reach");
  }
  active() = saved;
}

/** Runs fn with the given scheduling order, restoring the previous one. */
template <class F>
void run_in_order(Order order, F&& fn) {
  const Order saved = schedule_order();
  schedule_order() = order;
  try {
    fn();
  } catch (...) {
    schedule_order() = saved;
    throw;
  }
  schedule_order() = saved;
}

/** kernel<<<grid, threads, dynamicBytes>>>: blocks run in order. */
inline void launch(unsigned grid, unsigned threads, std::size_t dynamicBytes, const std::function<void()>& body) {
  for (unsigned g = 0; g < grid; ++g) run_block(g, threads, dynamicBytes, body);
}

template <class T>
T shfl_xor(T v, int mask) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "shuffle of a type wider than 8 bytes");
  Block* b = active();
  const unsigned t = me().tid.x;
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  b->lanes[t] = bits;
  yield_waiting(Wait::Warp);
  const unsigned partner = (t & ~31u) | ((t & 31u) ^ static_cast<unsigned>(mask & 31));
  T out;
  std::memcpy(&out, &b->lanes[partner], sizeof(T));
  yield_waiting(Wait::Warp);  // everyone has read before the slots are reused
  return out;
}

}  // namespace emu

#define threadIdx (::emu::me().tid)
#define blockIdx (::emu::active()->blockIdx)
#define blockDim (::emu::active()->blockDim)

inline void __syncthreads() { emu::yield_waiting(emu::Wait::Block); }

inline int __syncthreads_or(int predicate) {
  emu::Block* b = emu::active();
  b->votes[emu::me().tid.x] = predicate != 0;
  emu::yield_waiting(emu::Wait::Block);
  int any = 0;
  for (int v : b->votes) any |= v;
  emu::yield_waiting(emu::Wait::Block);
  return any;
}

template <class T>
inline T __shfl_xor_sync(unsigned mask, T v, int laneMask) {
  if (mask != 0xffffffffu) throw std::logic_error("emulator: only full-warp shuffles are emulated");
  return emu::shfl_xor(v, laneMask);
}

inline int min(int a, int b) { return a < b ? a : b; }

namespace optical::cuda {
inline float* dynamic_shared_floats() { return reinterpret_cast<float*>(emu::active()->dynamicShared.data()); }
}  // namespace optical::cuda
