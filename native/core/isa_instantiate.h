// Compiles the kernel bodies named by OT_ISA_KERNELS (a quoted .inl path) once per ISA level, each in
// its own namespace with its own target attribute (see isa_dispatch.h):
//
//   #define OT_ISA_KERNELS "my_kernels.inl"
//   #include "isa_instantiate.h"
//
// Inside the .inl: OT_ISA_NS (baseline, x86_64_v3, x86_64_v4), OT_ISA_TARGET (the attribute, empty
// for the baseline, which uses the translation unit's flags) and OT_ISA_FMA (true where fused
// multiply-add is guaranteed). No include guard on purpose: included once per kernel file.
#include "isa_dispatch.h"

#define OT_ISA_NS baseline
#define OT_ISA_TARGET
#define OT_ISA_FMA false
#include OT_ISA_KERNELS
#undef OT_ISA_NS
#undef OT_ISA_TARGET
#undef OT_ISA_FMA

#if OT_ISA_DISPATCH
#define OT_ISA_NS x86_64_v3
#define OT_ISA_TARGET OT_TARGET_X86_64_V3
#define OT_ISA_FMA true
#include OT_ISA_KERNELS
#undef OT_ISA_NS
#undef OT_ISA_TARGET
#undef OT_ISA_FMA

#define OT_ISA_NS x86_64_v4
#define OT_ISA_TARGET OT_TARGET_X86_64_V4
#define OT_ISA_FMA true
#include OT_ISA_KERNELS
#undef OT_ISA_NS
#undef OT_ISA_TARGET
#undef OT_ISA_FMA
#endif

#undef OT_ISA_KERNELS
