// Compiling a kernel once per ISA level and calling the one ot::isa_choice() picked.
//
// A kernel file defines its loops in a `.inl` compiled once per level by isa_instantiate.h, each
// time inside its own namespace (OT_ISA_NS) with every function carrying that level's target
// attribute (OT_ISA_TARGET), and forwards its entry points to the chosen level:
//
//   #define OT_ISA_KERNELS "my_kernels.inl"
//   #include "isa_instantiate.h"
//   void my_kernel(args) { static const auto fn = OT_ISA_SELECT(my_kernel); fn(args); }
//
// Why function attributes and not one translation unit per level compiled with -march: inline
// functions and templates from headers (std::min, std::vector, ...) are emitted once per
// translation unit as weak (comdat) symbols, and the linker keeps an arbitrary copy. A copy
// compiled with -march=x86-64-v4 could then be called from baseline code and die with SIGILL on a
// CPU without AVX-512. With attributes, header code is only ever compiled with the baseline flags;
// the per-level code is either inlined into a per-level function (then it is part of that
// function) or lives in the per-level namespace inside an anonymous namespace (internal linkage,
// one copy per level, no sharing). Helpers in a `.inl` must therefore be OT_ISA_TARGET and
// OT_INLINE, and file-scope helpers from headers must be OT_INLINE (fast_math.h).
#ifndef OPTICAL_NATIVE_CORE_ISA_DISPATCH_H
#define OPTICAL_NATIVE_CORE_ISA_DISPATCH_H

#include "isa.h"

// x86-64 with GCC: three levels. Elsewhere (other CPUs, other compilers, nvcc's host pass) only the
// baseline is compiled, and isa_choice() reports baseline.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define OT_ISA_DISPATCH 1
#define OT_TARGET_X86_64_V3 __attribute__((target("arch=x86-64-v3")))
#define OT_TARGET_X86_64_V4 __attribute__((target("arch=x86-64-v4")))
#else
#define OT_ISA_DISPATCH 0
#endif

#if OT_ISA_DISPATCH
#define OT_ISA_SELECT(fn) ::ot::isa_select(&baseline::fn, &x86_64_v3::fn, &x86_64_v4::fn)
#else
#define OT_ISA_SELECT(fn) (&baseline::fn)
#endif

namespace ot {

// The entry of the active level (decided once per process, see isa.h).
template <class Fn>
Fn isa_select(Fn baseline, Fn v3, Fn v4) {
  switch (isa_choice().active) {
    case Isa::X86_64_V4: return v4;
    case Isa::X86_64_V3: return v3;
    default: return baseline;
  }
}

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_ISA_DISPATCH_H
