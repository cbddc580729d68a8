#include "isa.h"

#include <cstdlib>

namespace ot {

namespace {

Isa detect() {
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
  __builtin_cpu_init();
  // gcc's level checks include the OS support bits (XCR0) for the wider registers.
  if (__builtin_cpu_supports("x86-64-v4")) return Isa::X86_64_V4;
  if (__builtin_cpu_supports("x86-64-v3")) return Isa::X86_64_V3;
#endif
  return Isa::Baseline;
}

bool parse(const std::string& s, Isa& out) {
  if (s == "baseline" || s == "default" || s == "x86-64-v2") { out = Isa::Baseline; return true; }
  if (s == "x86-64-v3" || s == "v3" || s == "avx2") { out = Isa::X86_64_V3; return true; }
  if (s == "x86-64-v4" || s == "v4" || s == "avx512") { out = Isa::X86_64_V4; return true; }
  return false;
}

IsaChoice decide() {
  IsaChoice c;
  c.supported = detect();
  c.active = c.supported;
  const char* env = std::getenv("OPTICAL_ISA");
  if (env == nullptr || *env == '\0') return c;
  c.requested = env;
  Isa want;
  if (!parse(c.requested, want)) {
    c.note = "OPTICAL_ISA=" + c.requested + " is not one of baseline, x86-64-v3, x86-64-v4; using " + to_string(c.active);
  } else if (static_cast<int>(want) > static_cast<int>(c.supported)) {
    c.note = "OPTICAL_ISA=" + c.requested + " is not supported by this CPU (best: " + to_string(c.supported) + "); using " + to_string(c.active);
  } else {
    c.active = want;
    c.forced = true;
  }
  return c;
}

}  // namespace

const IsaChoice& isa_choice() {
  static const IsaChoice choice = decide();
  return choice;
}

const char* to_string(Isa isa) {
  switch (isa) {
    case Isa::X86_64_V4: return "x86-64-v4";
    case Isa::X86_64_V3: return "x86-64-v3";
    default: return "baseline";
  }
}

}  // namespace ot
