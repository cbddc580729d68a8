// cuBLASLt, loaded at run time (dlopen of libcublasLt.so.13, then .so.12) — never a link-time
// dependency: the addon loads, and the engine runs on its own tiled GEMM, on machines without
// cuBLAS. The declarations below are the handful of cuBLASLt entry points, types and enumerator
// values the engine uses, as published in NVIDIA's cublasLt.h / cublas_api.h (CUDA 12 and 13
// share them); no cuBLAS header is needed to build.
#pragma once

#include <cuda_runtime_api.h>
#include <library_types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <tuple>

#include "cuda/nn/gemm_args.h"

namespace optical::cuda::nn {

namespace lt {

using Status = int;  // cublasStatus_t; 0 = CUBLAS_STATUS_SUCCESS
using Handle = void*;
using MatmulDesc = void*;
using MatrixLayout = void*;
using Preference = void*;
struct Algo {
  uint64_t data[8];
};
struct HeuristicResult {
  Algo algo;
  std::size_t workspaceSize;
  Status state;
  float wavesCount;
  int reserved[4];
};

// cublasComputeType_t
constexpr int kCompute32F = 68, kCompute32FFast16BF = 75, kCompute32FFastTF32 = 77;
// cublasOperation_t
constexpr int32_t kOpN = 0, kOpT = 1;
// cublasLtMatmulDescAttributes_t
constexpr int kDescTransA = 3, kDescTransB = 4;
// cublasLtMatrixLayoutAttribute_t
constexpr int kLayoutBatchCount = 5, kLayoutStridedBatchOffset = 6;
// cublasLtMatmulPreferenceAttributes_t
constexpr int kPrefMaxWorkspaceBytes = 1, kPrefReductionSchemeMask = 3, kPrefMinAlignA = 5, kPrefMinAlignB = 6,
              kPrefMinAlignC = 7, kPrefMinAlignD = 8;
// cublasLtReductionScheme_t: NONE (0) | COMPUTE_TYPE (2) | OUTPUT_TYPE (4) — every split-K scheme
// whose partial sums are combined in a fixed order; INPLACE (1) is left out.
constexpr uint32_t kDeterministicReductions = 0x6;

struct Api {
  Status (*create)(Handle*);
  Status (*destroy)(Handle);
  std::size_t (*getVersion)();
  Status (*matmulDescCreate)(MatmulDesc*, int computeType, cudaDataType_t scaleType);
  Status (*matmulDescDestroy)(MatmulDesc);
  Status (*matmulDescSetAttribute)(MatmulDesc, int attr, const void* buf, std::size_t size);
  Status (*matrixLayoutCreate)(MatrixLayout*, cudaDataType_t type, uint64_t rows, uint64_t cols, int64_t ld);
  Status (*matrixLayoutDestroy)(MatrixLayout);
  Status (*matrixLayoutSetAttribute)(MatrixLayout, int attr, const void* buf, std::size_t size);
  Status (*preferenceCreate)(Preference*);
  Status (*preferenceDestroy)(Preference);
  Status (*preferenceSetAttribute)(Preference, int attr, const void* buf, std::size_t size);
  Status (*algoGetHeuristic)(Handle, MatmulDesc, MatrixLayout, MatrixLayout, MatrixLayout, MatrixLayout, Preference,
                             int requested, HeuristicResult* results, int* returned);
  Status (*matmul)(Handle, MatmulDesc, const void* alpha, const void* A, MatrixLayout, const void* B, MatrixLayout,
                   const void* beta, const void* C, MatrixLayout, void* D, MatrixLayout, const Algo* algo,
                   void* workspace, std::size_t workspaceBytes, cudaStream_t stream);
  std::string library;  // the file that loaded, e.g. libcublasLt.so.12
  std::string version;  // "12.8.4"
};

/** The loaded library (once per process), or null with `reason` saying what was tried. */
const Api* load(std::string& reason);

}  // namespace lt

/** The engine's cuBLASLt matmuls: one handle and one workspace per model, descriptors and the
 *  heuristic's algorithm cached per GEMM shape (a training step repeats the same few shapes). */
class Lt {
 public:
  Lt(const lt::Api& api, GemmPrecision precision);  // throws on failure
  ~Lt();
  Lt(const Lt&) = delete;
  Lt& operator=(const Lt&) = delete;
  /** Queues one (batched) row-major GEMM; false when cuBLASLt offers no algorithm for it. */
  bool run(cudaStream_t stream, const GemmArgs& a);

 private:
  struct Plan {
    lt::MatmulDesc desc = nullptr;
    lt::MatrixLayout a = nullptr, b = nullptr, c = nullptr;
    lt::Algo algo{};
    bool usable = false;
  };
  using Key = std::tuple<int, int, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t, int64_t,
                         int64_t, int, int, int>;
  Plan& plan_for(const GemmArgs& a);
  const lt::Api& api_;
  int compute_;
  lt::Handle handle_ = nullptr;
  void* workspace_ = nullptr;
  std::size_t workspaceBytes_ = 0;
  std::map<Key, Plan> plans_;
};

}  // namespace optical::cuda::nn
