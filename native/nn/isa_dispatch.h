// Per-ISA clones of the engine's vectorisable loops, chosen through the process-wide ISA choice
// (native/core/isa.h, OPTICAL_ISA). A kernel is written once as `name##_body` (always inlined) and
// NN_ISA_KERNEL compiles it three times with function-level target attributes (never whole
// translation units with -march, so nothing shared is compiled for a level the CPU lacks) and
// defines `name`, which calls the clone for isa_choice().active. The clones are plain C++ that gcc
// auto-vectorises for each level; results may differ between levels in the last bits (FMA and vector
// width change the rounding), never between thread counts.
#ifndef OPTICAL_NATIVE_NN_ISA_DISPATCH_H
#define OPTICAL_NATIVE_NN_ISA_DISPATCH_H

#include "../core/fast_math.h"  // OT_INLINE: bodies are always inlined into each clone
#include "../core/isa.h"

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define NN_TARGET_V4 __attribute__((target("arch=x86-64-v4")))
#define NN_TARGET_V3 __attribute__((target("arch=x86-64-v3")))
#define NN_ISA_KERNEL(name, params, args)                                     \
  NN_TARGET_V4 static void name##_v4 params { name##_body args; }             \
  NN_TARGET_V3 static void name##_v3 params { name##_body args; }             \
  static void name##_base params { name##_body args; }                        \
  void name params {                                                          \
    switch (ot::isa_choice().active) {                                        \
      case ot::Isa::X86_64_V4: name##_v4 args; return;                        \
      case ot::Isa::X86_64_V3: name##_v3 args; return;                        \
      default: name##_base args; return;                                      \
    }                                                                         \
  }
#else
#define NN_ISA_KERNEL(name, params, args) \
  void name params { name##_body args; }
#endif

#endif  // OPTICAL_NATIVE_NN_ISA_DISPATCH_H
