// Pure C++17 optimal-transport kernels shared by the CPU addon (native/binding) and the CUDA addon
// (native/cuda compiles these sources for its host-side fallback and validation). No Node-API here.
//
// Math conventions are those of src/ot/types.ts (ott-jax potentials):
//   P_ij = a_i · b_j · exp((f_i + g_j − C_ij) / eps)
//   f_i  = tau · (−eps · log Σ_j b_j exp((g_j − C_ij)/eps)),  then the same for g;  tau = rho/(rho+eps)
//   value = <P,C> + eps·KL(P ‖ a⊗b) [+ rho·KL(P1 ‖ a) + rho·KL(Pᵀ1 ‖ b) when unbalanced]
//   error = ‖P1 − a‖ + ‖Pᵀ1 − b‖ (balanced) or max|Δf| + max|Δg| over the last iteration (unbalanced)
//
// Layout: a ragged batch of B problems, problem k is rows[k] × cols[k]; cost blocks row-major and
// concatenated; marginals concatenated; embeddings (cost builders, OT loss) are Σrows × dim and
// Σcols × dim row-major. All storage is float32; reductions that feed reported values use double.
//
// Floating point: the kernels run with flush-to-zero/denormals-are-zero (restored on return) and
// are compiled with reassociation (vectorised sums) but never -ffinite-math-only.
//
// Errors: every entry point validates its arguments and throws ot::ArgumentError whose message names
// the argument (JS spelling, e.g. "options.eps", "a") and the problem index where it applies. Callers
// map ArgumentError::Kind::Type / Range to JS TypeError / RangeError. std::bad_alloc may escape from
// scratch allocations; callers should report it as a RangeError (the problem is too large).
#ifndef OPTICAL_NATIVE_CORE_OT_H
#define OPTICAL_NATIVE_CORE_OT_H

#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "thread_pool.h"

namespace ot {

constexpr const char* kCoreVersion = "0.1.0";

// ---------------------------------------------------------------------------------------------
// Errors

class ArgumentError : public std::invalid_argument {
 public:
  enum class Kind { Type, Range };
  ArgumentError(Kind kind, const std::string& message) : std::invalid_argument(message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

// ---------------------------------------------------------------------------------------------
// Options (the NativeOptions of src/ot/native-addon.ts, every default already filled in)

enum class Method { Auto, Log, Scaling };
enum class ErrorNorm { L1, L2 };
enum class CostKind { Cosine, SqEuclidean, Dot };

// Parses the JS strings; an unknown string is ArgumentError(Range) naming `argument` (as in
// src/ot/options.ts).
Method parse_method(const std::string& s, const char* argument = "options.method");
ErrorNorm parse_error_norm(const std::string& s, const char* argument = "options.errorNorm");
CostKind parse_cost_kind(const std::string& s, const char* argument = "options.kind");
const char* to_string(Method m);
const char* to_string(CostKind k);

struct SinkhornOptions {
  double eps = 0.05;                                        // in [kMinEps, kMaxEps] (1/eps must be a float)
  int64_t maxIter = 1000;                                   // ≥ 1
  double tol = 1e-6;                                        // ≥ 0 (0 = run exactly maxIter)
  int64_t checkEvery = 10;                                  // ≥ 1
  Method method = Method::Auto;
  ErrorNorm errorNorm = ErrorNorm::L1;
  double rho = std::numeric_limits<double>::infinity();     // > 0; +inf = balanced
  double epsInit = 0.05;                                    // ≥ eps (set equal to eps: no schedule)
  double epsDecay = 1.0;                                    // in (0, 1]; 1 (or epsInit = eps) = no schedule
  int threads = 0;                                          // cap on worker threads, 0 = all
};

constexpr double kMinEps = 1e-30, kMaxEps = 1e30;

// Float32 limit on eps relative to the costs: P = a·b·exp((f + g − C)/eps) is rebuilt from float32
// potentials, whose rounding (2^-24·|f|) becomes a relative plan error of 2^-24·|f|/eps. Below
// eps = 2^-20·max|C| that error exceeds ~10 % and, a few powers of two further down, the plan is
// noise (at eps = 1e-20 with costs in [0, 1] it carried mass 8e38); sinkhorn() and ot_loss()
// refuse such an eps per problem (RangeError naming options.eps and the problem) once their first
// pass has seen the costs. Above it the plan's relative error is about 1e-7·max|C|/eps.
constexpr double kMinRelativeEps = 9.5367431640625e-07;  // 2^-20

// Throws ArgumentError naming the offending field ("options.eps must be a finite number > 0, got -1").
void validate_options(const SinkhornOptions& o);

// eps at iteration t (0-based): max(eps, epsInit · epsDecay^t); exactly eps without a schedule.
double eps_at(const SinkhornOptions& o, int64_t t);

// ---------------------------------------------------------------------------------------------
// Ragged layout

struct RaggedLayout {
  int64_t batch = 0;
  std::vector<int32_t> rows, cols;        // per problem, each ≥ 1
  std::vector<int64_t> rowOffset;         // B+1 prefix sums of rows   (offsets into a, f, x/teacher rows)
  std::vector<int64_t> colOffset;         // B+1 prefix sums of cols   (offsets into b, g, y/student rows)
  std::vector<int64_t> blockOffset;       // B+1 prefix sums of rows·cols (offsets into cost/plan)

  int64_t totalRows() const { return rowOffset.back(); }
  int64_t totalCols() const { return colOffset.back(); }
  int64_t totalCells() const { return blockOffset.back(); }

  // Validates B ≥ 1, every rows[k], cols[k] ≥ 1 and that the sums (and ·dim when dim > 0) fit
  // kMaxElements; throws ArgumentError naming "rows"/"cols" and the problem index.
  static RaggedLayout build(const int32_t* rows, int64_t rowsLength, const int32_t* cols, int64_t colsLength,
                            int64_t dim = 0);
};

// Upper bound on any array length we create or index (V8's typed-array limit is 2^32 − 1 elements).
constexpr int64_t kMaxElements = (int64_t{1} << 32) - 1;

// ---------------------------------------------------------------------------------------------
// Input validation of array contents (shared by the addons; lengths are checked too)

// `name` is the JS argument name. Throws RangeError on length mismatch, NaN/±Inf (names the problem
// index and the entry inside the problem). `firstNonFinite`: the index of the first non-finite
// entry when the caller already knows it (−1: none; see copy_checked), kScanCost: scan here.
constexpr int64_t kScanCost = -2;
void validate_cost(const RaggedLayout& L, const float* cost, int64_t length, const char* name = "cost",
                   int64_t firstNonFinite = kScanCost);
// Copies (or converts from float64, saturating beyond the float range) `n` entries into dst and
// returns the index of the first NaN/±Inf result, or −1: the finiteness check fused into the copy
// that async calls make anyway. Large arrays are split over the pool when it is idle (never
// waiting for it: the caller is the JS thread).
int64_t copy_checked(const float* src, float* dst, int64_t n, ThreadPool& pool);
int64_t convert_checked(const double* src, float* dst, int64_t n, ThreadPool& pool);
// Checks length = Σ rows (or Σ cols), entries finite and ≥ 0, each problem's sum > 0.
void validate_marginal(const RaggedLayout& L, const float* w, int64_t length, bool onRows, const char* name);
// Balanced problems (rho = ∞) need Σa = Σb per problem (absent = uniform, mass 1). Differences up
// to kMassTolerance (relative) are float rounding and tolerated — sinkhorn() rescales b to the mass
// of a, as the reference does — anything larger is a RangeError naming the problem.
constexpr double kMassTolerance = 1e-4;
void validate_balanced_mass(const RaggedLayout& L, const float* a, const float* b);
// eps ≥ kMinRelativeEps · max|C| for every problem (RangeError naming options.eps and the problem).
// sinkhorn() checks this in its first pass; backends that do not (CUDA) call it.
void validate_eps_resolution(const RaggedLayout& L, const float* cost, double eps);
// The same check from each problem's max |C| measured elsewhere (the CUDA otLoss builds its costs
// on the device and brings back only these maxima).
void validate_eps_resolution(const float* maxAbsCost, int64_t batch, double eps);
// Embeddings: length = Σ rows·dim (onRows) or Σ cols·dim; entries finite.
void validate_embeddings(const RaggedLayout& L, int64_t dim, const float* x, int64_t length, bool onRows,
                         const char* name);

// ---------------------------------------------------------------------------------------------
// Sinkhorn

struct SinkhornInputs {
  const float* cost = nullptr;    // Σ rows·cols
  const float* a = nullptr;       // Σ rows, nullptr → uniform 1/rows[k]
  const float* b = nullptr;       // Σ cols, nullptr → uniform 1/cols[k]
};

// Caller-owned output buffers (all required but the plan).
struct SinkhornOutputs {
  float* plan = nullptr;          // Σ rows·cols; nullptr: no plan wanted (returnPlan: false)
  float* f = nullptr;             // Σ rows
  float* g = nullptr;             // Σ cols
  double* cost = nullptr;         // B
  double* value = nullptr;        // B
  int32_t* iterations = nullptr;  // B
  double* error = nullptr;        // B
  uint8_t* converged = nullptr;   // B
};

// Solves all problems. Marginals must already be validated (validate_* above); the cost only for
// its length: its entries are checked by the solver's first pass over each block (NaN/±Inf: the
// RangeError of validate_cost; eps below kMinRelativeEps·max|C|: a RangeError naming options.eps).
// When several problems fail, the error of the lowest problem index is thrown.
// Problems are spread over the pool's threads; a single large problem is split by rows/cols.
// All methods run the same iterates (the reference's log-domain updates); they differ in form:
//   Log:     log domain, max-shifted log-sum-exp (shift reused from the previous iteration).
//   Scaling: Sinkhorn–Knopp u/v updates on a kernel K = exp((f̄ + ḡ − C)/eps) built once, after one
//            log-domain iteration at eps (f̄, ḡ its potentials, so K does not underflow at small
//            eps). If an iterate still overflows, the problem continues in the log domain.
//   Auto:    scaling, stabilised: when x, y leave [.., 1e15] they are absorbed into f̄, ḡ and K
//            is rebuilt; only if that cannot help does the problem continue in the log domain.
// No method returns NaN for finite costs. The annealing phase of an eps schedule is log domain.
// Convergence: error ≤ tol at a check, or — when tol lies below the float32 error floor — the error
// has stopped decreasing within that floor (converged = 1 with error > tol; see sinkhorn.cpp).
void sinkhorn(const RaggedLayout& L, const SinkhornInputs& in, const SinkhornOptions& o, const SinkhornOutputs& out,
              ThreadPool& pool);

// ---------------------------------------------------------------------------------------------
// Cost matrices from ragged embeddings: x is Σrows × dim, y is Σcols × dim; out is Σ rows·cols.
//   cosine:      1 − x·y / (max(‖x‖,1e-8) · max(‖y‖,1e-8))   (torch.nn.functional.cosine_similarity)
//   sqeuclidean: ‖x − y‖²
//   dot:         −x·y
void cost_matrices(const RaggedLayout& L, int64_t dim, const float* x, const float* y, CostKind kind, float* out,
                   ThreadPool& pool, int threads);

// ---------------------------------------------------------------------------------------------
// Fused OT-loss step: C from teacher (rows) / student (cols) tokens, Sinkhorn plan, <P,C>, value,
// and grad = d<P,C>/dS with P held fixed (= d value / dS at convergence), same layout as student.

struct OtLossInputs {
  int64_t dim = 0;
  const float* teacher = nullptr;  // Σ rows × dim
  const float* student = nullptr;  // Σ cols × dim
  const float* a = nullptr;        // optional
  const float* b = nullptr;        // optional
};

struct OtLossOutputs {
  double* cost = nullptr;          // B
  double* value = nullptr;         // B
  float* grad = nullptr;           // Σ cols × dim
  int32_t* iterations = nullptr;   // B
  double* error = nullptr;         // B
  uint8_t* converged = nullptr;    // B
  float* plan = nullptr;           // Σ rows·cols, optional (nullptr: a scratch plan is used)
};

void ot_loss(const RaggedLayout& L, const OtLossInputs& in, CostKind kind, const SinkhornOptions& o,
             const OtLossOutputs& out, ThreadPool& pool);

// ---------------------------------------------------------------------------------------------
// Benchmark probe: the least work any Sinkhorn call on `cells` cost entries must do — one read of
// C, one write of a plan P = exp(−C/eps), two exps per cell — on the same threads and ISA level as
// the kernels. `optical bench sinkhorn` measures a one-iteration call against it. Returns Σ of the
// second exps (so that nothing is optimised away).
double work_floor(const float* C, int64_t cells, double eps, float* P, ThreadPool& pool, int threads);

}  // namespace ot

#endif  // OPTICAL_NATIVE_CORE_OT_H
