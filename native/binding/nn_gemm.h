// Registers the GEMM functions (gemm, gemmInfo, gemmPeak; see nn_gemm.cpp) on the addon's exports.
#ifndef OPTICAL_NATIVE_BINDING_NN_GEMM_H
#define OPTICAL_NATIVE_BINDING_NN_GEMM_H

#include <napi.h>

namespace optical {

void init_gemm(Napi::Env env, Napi::Object exports);

}  // namespace optical

#endif  // OPTICAL_NATIVE_BINDING_NN_GEMM_H
