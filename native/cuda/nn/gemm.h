// The CUDA engine's GEMM: cuBLASLt when the user's CUDA installation has it (loaded at run time
// with dlopen, see cublaslt.h: never a link-time dependency), the engine's own tiled kernel
// (gemm_tiled.cuh) otherwise — and always under the kernel emulator. Row-major, batched with
// constant strides: the contract of native/nn/gemm.h.
//
// OPTICAL_CUDA_GEMM=auto|cublaslt|tiled chooses (auto: cuBLASLt when it loads); precision FP32 by
// default (parity with the CPU engine), TF32 or BF16 tensor-core autocast on request (cuBLASLt
// compute types CUBLAS_COMPUTE_32F_FAST_TF32 / _FAST_16BF: FP32 inputs, outputs and accumulation,
// operands rounded inside the GEMM; the tiled kernel rounds its operands the same way).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "cuda/nn/device.h"
#include "cuda/nn/gemm_tiled.cuh"
#ifndef OPTICAL_CUDA_EMULATION
#include <cstdlib>

#include "cuda/nn/cublaslt.h"
#endif

namespace optical::cuda::nn {

const char* to_string(GemmPrecision p);

class Gemm {
 public:
  /** Picks the implementation (OPTICAL_CUDA_GEMM) for the current device; throws when cuBLASLt is
   *  required and cannot be loaded. */
  explicit Gemm(GemmPrecision precision);
  ~Gemm();
  Gemm(const Gemm&) = delete;
  Gemm& operator=(const Gemm&) = delete;

  void run(const Stream& s, const GemmArgs& a);
  GemmPrecision precision() const { return precision_; }
  /** "cublasLt 12.8.4 (fp32)" or "tiled (fp32)", and why cuBLASLt is not used. */
  const std::string& kernel() const { return kernel_; }
  const std::string& note() const { return note_; }

 private:
  void tiled(const Stream& s, const GemmArgs& a) {
    GemmArgs g = a;
    g.precision = static_cast<int>(precision_);
    launch(s, "gemm_tiled_kernel", gemm_tiled_kernel, static_cast<std::size_t>(gemm_tiled_blocks(g)), kThreads, 0, g);
  }
  GemmPrecision precision_;
  std::string kernel_, note_;
#ifndef OPTICAL_CUDA_EMULATION
  std::unique_ptr<Lt> lt_;
#endif
};

inline const char* to_string(GemmPrecision p) {
  switch (p) {
    case GemmPrecision::Tf32: return "tf32";
    case GemmPrecision::Bf16: return "bf16";
    default: return "fp32";
  }
}

#ifdef OPTICAL_CUDA_EMULATION
inline Gemm::Gemm(GemmPrecision precision) : precision_(precision) {
  kernel_ = std::string("tiled (") + to_string(precision) + ")";
  note_ = "kernel emulator";
}
inline Gemm::~Gemm() = default;
inline void Gemm::run(const Stream& s, const GemmArgs& a) {
  if (a.M > 0 && a.N > 0 && a.batch > 0) tiled(s, a);
}
#else
// (Defined here, not in a .cu of its own: the tiled kernel is launched from the one translation
// unit that compiles the engine's kernels, engine.cu.)
inline Gemm::Gemm(GemmPrecision precision) : precision_(precision) {
  const char* env = std::getenv("OPTICAL_CUDA_GEMM");
  const std::string want = env && *env ? env : "auto";
  if (want != "auto" && want != "cublaslt" && want != "tiled")
    throw std::invalid_argument("OPTICAL_CUDA_GEMM must be auto, cublaslt or tiled, got '" + want + "'");
  const std::string precisionName = to_string(precision);
  if (want == "tiled") {
    kernel_ = "tiled (" + precisionName + ")";
    note_ = "OPTICAL_CUDA_GEMM=tiled";
    return;
  }
  std::string reason;
  const lt::Api* api = lt::load(reason);
  if (!api) {
    if (want == "cublaslt") throw std::runtime_error("OPTICAL_CUDA_GEMM=cublaslt, but " + reason);
    kernel_ = "tiled (" + precisionName + ")";
    note_ = reason + "; the engine's own tiled kernel runs instead";
    return;
  }
  lt_ = std::make_unique<Lt>(*api, precision);
  kernel_ = "cublasLt " + api->version + " (" + precisionName + ")";
  note_ = "loaded " + api->library + "; the tiled kernel runs the shapes cuBLASLt has no algorithm for";
}
inline Gemm::~Gemm() = default;
inline void Gemm::run(const Stream& s, const GemmArgs& a) {
  if (a.M <= 0 || a.N <= 0 || a.batch <= 0) return;
  if (lt_ && a.K > 0 && lt_->run(s.s, a)) return;
  tiled(s, a);
}
#endif

}  // namespace optical::cuda::nn
