#include "cuda/nn/cublaslt.h"

#include <dlfcn.h>

#include <mutex>
#include <stdexcept>

#include "cuda/cuda_errors.h"

namespace optical::cuda::nn {

namespace lt {

namespace {

struct Loaded {
  Api api{};
  bool ok = false;
  std::string reason;
};

template <class F>
bool bind(void* lib, const char* name, F& fn, std::string& missing) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  if (!fn) missing = name;
  return fn != nullptr;
}

Loaded open_library() {
  Loaded l;
  std::string tried;
  for (const char* name : {"libcublasLt.so.13", "libcublasLt.so.12"}) {
    void* lib = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
      const char* err = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (err ? err : name);
      continue;
    }
    Api& a = l.api;
    std::string missing;
    const bool all = bind(lib, "cublasLtCreate", a.create, missing) && bind(lib, "cublasLtDestroy", a.destroy, missing) &&
                     bind(lib, "cublasLtGetVersion", a.getVersion, missing) &&
                     bind(lib, "cublasLtMatmulDescCreate", a.matmulDescCreate, missing) &&
                     bind(lib, "cublasLtMatmulDescDestroy", a.matmulDescDestroy, missing) &&
                     bind(lib, "cublasLtMatmulDescSetAttribute", a.matmulDescSetAttribute, missing) &&
                     bind(lib, "cublasLtMatrixLayoutCreate", a.matrixLayoutCreate, missing) &&
                     bind(lib, "cublasLtMatrixLayoutDestroy", a.matrixLayoutDestroy, missing) &&
                     bind(lib, "cublasLtMatrixLayoutSetAttribute", a.matrixLayoutSetAttribute, missing) &&
                     bind(lib, "cublasLtMatmulPreferenceCreate", a.preferenceCreate, missing) &&
                     bind(lib, "cublasLtMatmulPreferenceDestroy", a.preferenceDestroy, missing) &&
                     bind(lib, "cublasLtMatmulPreferenceSetAttribute", a.preferenceSetAttribute, missing) &&
                     bind(lib, "cublasLtMatmulAlgoGetHeuristic", a.algoGetHeuristic, missing) &&
                     bind(lib, "cublasLtMatmul", a.matmul, missing);
    if (!all) {
      tried += std::string(tried.empty() ? "" : "; ") + name + " lacks " + missing;
      dlclose(lib);
      continue;
    }
    const std::size_t v = a.getVersion();  // e.g. 120804 = 12.8.4
    a.library = name;
    a.version = std::to_string(v / 10000) + "." + std::to_string(v / 100 % 100) + "." + std::to_string(v % 100);
    l.ok = true;
    return l;  // the library stays loaded for the process
  }
  l.reason = "cuBLASLt not found (" + tried + ")";
  return l;
}

}  // namespace

const Api* load(std::string& reason) {
  static std::once_flag once;
  static Loaded loaded;
  std::call_once(once, [] { loaded = open_library(); });
  reason = loaded.reason;
  return loaded.ok ? &loaded.api : nullptr;
}

}  // namespace lt

namespace {

constexpr std::size_t kWorkspaceBytes = std::size_t{32} << 20;

void ok(lt::Status s, const char* what) {
  if (s != 0) throw std::runtime_error(std::string("cuBLASLt: ") + what + " failed with status " + std::to_string(s));
}

/** Largest power of two (≤ 256) dividing the address: the alignment cuBLASLt may assume. */
uint32_t alignment_of(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  uint32_t al = 256;
  while (al > 4 && a % al != 0) al >>= 1;
  return al;
}

}  // namespace

Lt::Lt(const lt::Api& api, GemmPrecision precision) : api_(api) {
  compute_ = precision == GemmPrecision::Tf32   ? lt::kCompute32FFastTF32
             : precision == GemmPrecision::Bf16 ? lt::kCompute32FFast16BF
                                                : lt::kCompute32F;
  ok(api_.create(&handle_), "cublasLtCreate");
  const cudaError_t err = cudaMalloc(&workspace_, kWorkspaceBytes);
  if (err != cudaSuccess) {
    cudaGetLastError();
    workspace_ = nullptr;  // run without a workspace (fewer algorithms)
  } else {
    workspaceBytes_ = kWorkspaceBytes;
  }
}

Lt::~Lt() {
  for (auto& [key, p] : plans_) {
    if (p.a) api_.matrixLayoutDestroy(p.a);
    if (p.b) api_.matrixLayoutDestroy(p.b);
    if (p.c) api_.matrixLayoutDestroy(p.c);
    if (p.desc) api_.matmulDescDestroy(p.desc);
  }
  if (handle_) api_.destroy(handle_);
  if (workspace_) cudaFree(workspace_);
  cudaGetLastError();
}

// Row-major C (M×N) = op(A)·op(B) is column-major Cᵀ (N×M) = op(B)ᵀ·op(A)ᵀ: cuBLASLt's first
// operand is B's memory, its second A's, with the transposes carried over (a row-major matrix read
// column-major is its transpose).
Lt::Plan& Lt::plan_for(const GemmArgs& a) {
  const Key key{a.transA, a.transB, a.M, a.N, a.K, a.lda, a.ldb, a.ldc, a.strideA, a.strideB, a.strideC, a.batch,
                static_cast<int>(alignment_of(a.A)) * 1000 + static_cast<int>(alignment_of(a.B)),
                static_cast<int>(alignment_of(a.C)), a.beta == 0.f ? 0 : 1};
  auto it = plans_.find(key);
  if (it != plans_.end()) return it->second;
  Plan& p = plans_[key];
  ok(api_.matmulDescCreate(&p.desc, compute_, CUDA_R_32F), "cublasLtMatmulDescCreate");
  const int32_t opFirst = a.transB ? lt::kOpT : lt::kOpN, opSecond = a.transA ? lt::kOpT : lt::kOpN;
  ok(api_.matmulDescSetAttribute(p.desc, lt::kDescTransA, &opFirst, sizeof opFirst), "set TRANSA");
  ok(api_.matmulDescSetAttribute(p.desc, lt::kDescTransB, &opSecond, sizeof opSecond), "set TRANSB");
  // Stored shapes (column-major rows × cols): B's memory is N×K (or K×N transposed), A's K×M (M×K).
  ok(api_.matrixLayoutCreate(&p.a, CUDA_R_32F, a.transB ? a.K : a.N, a.transB ? a.N : a.K, a.ldb), "layout A");
  ok(api_.matrixLayoutCreate(&p.b, CUDA_R_32F, a.transA ? a.M : a.K, a.transA ? a.K : a.M, a.lda), "layout B");
  ok(api_.matrixLayoutCreate(&p.c, CUDA_R_32F, a.N, a.M, a.ldc), "layout C");
  if (a.batch > 1) {
    const int32_t count = static_cast<int32_t>(a.batch);
    const int64_t strides[3] = {a.strideB, a.strideA, a.strideC};
    lt::MatrixLayout layouts[3] = {p.a, p.b, p.c};
    for (int i = 0; i < 3; ++i) {
      ok(api_.matrixLayoutSetAttribute(layouts[i], lt::kLayoutBatchCount, &count, sizeof count), "batch count");
      ok(api_.matrixLayoutSetAttribute(layouts[i], lt::kLayoutStridedBatchOffset, &strides[i], sizeof strides[i]),
         "batch stride");
    }
  }
  lt::Preference pref = nullptr;
  ok(api_.preferenceCreate(&pref), "cublasLtMatmulPreferenceCreate");
  const uint64_t ws = workspaceBytes_;
  const uint32_t reductions = lt::kDeterministicReductions;
  const uint32_t alA = alignment_of(a.B), alB = alignment_of(a.A), alC = alignment_of(a.C);
  lt::Status st = api_.preferenceSetAttribute(pref, lt::kPrefMaxWorkspaceBytes, &ws, sizeof ws);
  if (st == 0) st = api_.preferenceSetAttribute(pref, lt::kPrefReductionSchemeMask, &reductions, sizeof reductions);
  if (st == 0) st = api_.preferenceSetAttribute(pref, lt::kPrefMinAlignA, &alA, sizeof alA);
  if (st == 0) st = api_.preferenceSetAttribute(pref, lt::kPrefMinAlignB, &alB, sizeof alB);
  if (st == 0) st = api_.preferenceSetAttribute(pref, lt::kPrefMinAlignC, &alC, sizeof alC);
  if (st == 0) st = api_.preferenceSetAttribute(pref, lt::kPrefMinAlignD, &alC, sizeof alC);
  lt::HeuristicResult result{};
  int returned = 0;
  if (st == 0) st = api_.algoGetHeuristic(handle_, p.desc, p.a, p.b, p.c, p.c, pref, 1, &result, &returned);
  api_.preferenceDestroy(pref);
  p.usable = st == 0 && returned > 0 && result.state == 0;
  if (p.usable) p.algo = result.algo;
  return p;
}

bool Lt::run(cudaStream_t stream, const GemmArgs& a) {
  Plan& p = plan_for(a);
  if (!p.usable) return false;
  const lt::Status st = api_.matmul(handle_, p.desc, &a.alpha, a.B, p.a, a.A, p.b, &a.beta, a.C, p.c, a.C, p.c, &p.algo,
                                    workspace_, workspaceBytes_, stream);
  if (st != 0)
    throw std::runtime_error("cuBLASLt: cublasLtMatmul failed with status " + std::to_string(st) + " (M " +
                             std::to_string(a.M) + ", N " + std::to_string(a.N) + ", K " + std::to_string(a.K) + ")");
  return true;
}

}  // namespace optical::cuda::nn
