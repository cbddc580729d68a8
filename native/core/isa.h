// Which x86-64 instruction-set level the hand-dispatched kernels use (OT loops, GEMM micro-kernels).
//
// Kernels are compiled once per level (function-level `target` attributes, never whole translation
// units with -march, so no shared inline code is ever compiled for a level the CPU lacks) and one
// is picked at load time from this choice. The choice is the best level the CPU (and the OS's saved
// register state) supports, unless OPTICAL_ISA names a lower one:
//   OPTICAL_ISA=baseline | x86-64-v3 | x86-64-v4   (also accepted: v3, v4, avx2, avx512)
// A level the CPU cannot run is not honoured (the choice stays at the best supported level and
// `note` says why), so forcing can only make code slower, never crash it. This is how every kernel
// clone is tested on any machine: the test suite runs once per supported level.
#ifndef OPTICAL_NATIVE_CORE_ISA_H
#define OPTICAL_NATIVE_CORE_ISA_H

#include <string>

namespace ot {

enum class Isa { Baseline = 0, X86_64_V3 = 1, X86_64_V4 = 2 };

struct IsaChoice {
  Isa active = Isa::Baseline;     // what the kernels use
  Isa supported = Isa::Baseline;  // the best level this CPU supports
  bool forced = false;            // OPTICAL_ISA was set and honoured
  std::string requested;          // OPTICAL_ISA as given ("" when unset)
  std::string note;               // why a request was not honoured ("" otherwise)
};

// Decided once per process (thread-safe) from the CPU and OPTICAL_ISA.
const IsaChoice& isa_choice();

// "baseline", "x86-64-v3", "x86-64-v4".
const char* to_string(Isa isa);

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_ISA_H
