// Argument checking shared by the CPU and CUDA addons: option parsing, ragged layouts, and array
// contents. Messages use the JS argument names so that they read naturally from TypeScript.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <sstream>
#include <vector>

#include "ot.h"
#include "scan_kernels.h"
#include "sinkhorn_internal.h"

namespace ot {

namespace {

[[noreturn]] void range_error(const std::string& msg) { throw ArgumentError(ArgumentError::Kind::Range, msg); }

std::string num(double v) {
  std::ostringstream s;
  s.precision(17);
  s << v;
  return s.str();
}

}  // namespace

Method parse_method(const std::string& s, const char* argument) {
  if (s == "auto") return Method::Auto;
  if (s == "log") return Method::Log;
  if (s == "scaling") return Method::Scaling;
  range_error(std::string(argument) + " must be one of 'auto', 'log', 'scaling', got '" + s + "'");
}

ErrorNorm parse_error_norm(const std::string& s, const char* argument) {
  if (s == "l1") return ErrorNorm::L1;
  if (s == "l2") return ErrorNorm::L2;
  range_error(std::string(argument) + " must be one of 'l1', 'l2', got '" + s + "'");
}

CostKind parse_cost_kind(const std::string& s, const char* argument) {
  if (s == "cosine") return CostKind::Cosine;
  if (s == "sqeuclidean") return CostKind::SqEuclidean;
  if (s == "dot") return CostKind::Dot;
  range_error(std::string(argument) + " must be one of 'cosine', 'sqeuclidean', 'dot', got '" + s + "'");
}

const char* to_string(Method m) {
  switch (m) {
    case Method::Auto: return "auto";
    case Method::Log: return "log";
    case Method::Scaling: return "scaling";
  }
  return "?";
}

const char* to_string(CostKind k) {
  switch (k) {
    case CostKind::Cosine: return "cosine";
    case CostKind::SqEuclidean: return "sqeuclidean";
    case CostKind::Dot: return "dot";
  }
  return "?";
}

void validate_options(const SinkhornOptions& o) {
  if (!(std::isfinite(o.eps) && o.eps > 0)) range_error("options.eps must be a finite number > 0, got " + num(o.eps));
  // 1/eps must be a float (the kernels work in float32).
  if (o.eps < kMinEps || o.eps > kMaxEps)
    range_error("options.eps must be in [1e-30, 1e30] for the float32 kernels, got " + num(o.eps));
  if (o.maxIter < 1 || o.maxIter > std::numeric_limits<int32_t>::max())
    range_error("options.maxIter must be an integer in [1, 2147483647], got " + num(static_cast<double>(o.maxIter)));
  if (!(std::isfinite(o.tol) && o.tol >= 0)) range_error("options.tol must be a finite number >= 0, got " + num(o.tol));
  if (o.checkEvery < 1 || o.checkEvery > std::numeric_limits<int32_t>::max())
    range_error("options.checkEvery must be an integer >= 1, got " + num(static_cast<double>(o.checkEvery)));
  if (!(o.rho > 0)) range_error("options.rho must be > 0 (Infinity = balanced), got " + num(o.rho));
  if (!(std::isfinite(o.epsInit) && o.epsInit >= o.eps))
    range_error("options.epsInit must be a finite number >= options.eps, got " + num(o.epsInit));
  if (!(std::isfinite(o.epsDecay) && o.epsDecay > 0 && o.epsDecay <= 1))
    range_error("options.epsDecay must be in (0, 1], got " + num(o.epsDecay));
  if (o.threads < 0) range_error("options.threads must be >= 0 (0 = all cores), got " + num(o.threads));
}

double eps_at(const SinkhornOptions& o, int64_t t) {
  if (o.epsDecay >= 1 || o.epsInit <= o.eps) return o.eps;
  const double e = o.epsInit * std::pow(o.epsDecay, static_cast<double>(t));
  return e > o.eps ? e : o.eps;
}

RaggedLayout RaggedLayout::build(const int32_t* rows, int64_t rowsLength, const int32_t* cols, int64_t colsLength,
                                 int64_t dim) {
  if (rowsLength != colsLength)
    range_error("rows and cols must have the same length (the batch size), got " + num(double(rowsLength)) + " and " +
                num(double(colsLength)));
  if (rowsLength < 1) range_error("rows must hold at least one problem (batch size B = 0)");
  if (rowsLength > kMaxElements) range_error("rows: batch size " + num(double(rowsLength)) + " is too large");
  RaggedLayout L;
  L.batch = rowsLength;
  L.rows.assign(rows, rows + rowsLength);
  L.cols.assign(cols, cols + colsLength);
  L.rowOffset.assign(L.batch + 1, 0);
  L.colOffset.assign(L.batch + 1, 0);
  L.blockOffset.assign(L.batch + 1, 0);
  for (int64_t k = 0; k < L.batch; ++k) {
    const int64_t n = L.rows[k], m = L.cols[k];
    if (n < 1) range_error("rows[" + std::to_string(k) + "] must be >= 1 (problem " + std::to_string(k) + " is empty), got " + std::to_string(n));
    if (m < 1) range_error("cols[" + std::to_string(k) + "] must be >= 1 (problem " + std::to_string(k) + " is empty), got " + std::to_string(m));
    // n, m < 2^31, so every partial sum below stays far from int64 overflow before the check trips.
    L.rowOffset[k + 1] = L.rowOffset[k] + n;
    L.colOffset[k + 1] = L.colOffset[k] + m;
    L.blockOffset[k + 1] = L.blockOffset[k] + n * m;
    if (L.blockOffset[k + 1] > kMaxElements)
      range_error("rows/cols: the cost matrices of problems 0.." + std::to_string(k) + " hold " +
                  num(double(L.blockOffset[k + 1])) + " entries, more than the limit " + num(double(kMaxElements)) +
                  " (problem " + std::to_string(k) + " is " + std::to_string(n) + "x" + std::to_string(m) + ")");
  }
  if (dim > 0) {
    if (dim > kMaxElements) range_error("dim is too large: " + num(double(dim)));
    if (double(L.totalRows()) * double(dim) > double(kMaxElements) ||
        double(L.totalCols()) * double(dim) > double(kMaxElements))
      range_error("rows/cols/dim: the embeddings would hold more than " + num(double(kMaxElements)) + " entries");
  }
  return L;
}

namespace {

// Finds the problem that owns flat index `idx` in a prefix-sum table.
int64_t problem_of(const std::vector<int64_t>& offsets, int64_t idx) {
  int64_t lo = 0, hi = static_cast<int64_t>(offsets.size()) - 2;
  while (lo < hi) {
    const int64_t mid = (lo + hi + 1) / 2;
    if (offsets[mid] <= idx) lo = mid; else hi = mid - 1;
  }
  return lo;
}

}  // namespace

void throw_non_finite_cost(const std::string& name, int64_t k, int64_t row, int64_t col, float value) {
  range_error(name + " of problem " + std::to_string(k) + " has a non-finite entry (" + num(value) + ") at row " +
              std::to_string(row) + ", col " + std::to_string(col));
}

void validate_cost(const RaggedLayout& L, const float* cost, int64_t length, const char* name, int64_t firstNonFinite) {
  if (length != L.totalCells())
    range_error(std::string(name) + " has length " + std::to_string(length) + ", expected Σ rows[k]·cols[k] = " +
                std::to_string(L.totalCells()));
  const int64_t i = firstNonFinite == kScanCost ? kernels::first_non_finite(cost, length) : firstNonFinite;
  if (i >= 0) {
    const int64_t k = problem_of(L.blockOffset, i);
    const int64_t local = i - L.blockOffset[k];
    throw_non_finite_cost(name, k, local / L.cols[k], local % L.cols[k], cost[i]);
  }
}

namespace {

// Runs copy(begin, end) → first bad index or −1 over chunks of at least kCopyChunk entries, on the
// pool when it is idle; returns the lowest bad index.
template <class Copy>
int64_t chunked_copy(int64_t n, ThreadPool& pool, Copy&& copy) {
  constexpr int64_t kCopyChunk = int64_t{1} << 20;
  const int64_t chunks = std::max<int64_t>(1, std::min<int64_t>(n / kCopyChunk, pool.size()));
  if (chunks == 1) return copy(0, n);
  std::vector<int64_t> first(chunks, -1);
  pool.parallel_for_if_idle(chunks, 0, [&](int64_t c, int) { first[c] = copy(n * c / chunks, n * (c + 1) / chunks); });
  for (int64_t f : first)
    if (f >= 0) return f;
  return -1;
}

}  // namespace

int64_t copy_checked(const float* src, float* dst, int64_t n, ThreadPool& pool) {
  return chunked_copy(n, pool, [&](int64_t b, int64_t e) {
    const int64_t i = kernels::copy_find_non_finite(src + b, dst + b, e - b);
    return i < 0 ? i : b + i;
  });
}

int64_t convert_checked(const double* src, float* dst, int64_t n, ThreadPool& pool) {
  return chunked_copy(n, pool, [&](int64_t b, int64_t e) {
    const int64_t i = kernels::convert_find_non_finite(src + b, dst + b, e - b);
    return i < 0 ? i : b + i;
  });
}

void throw_eps_below_resolution(double eps, int64_t k, float maxAbs) {
  std::ostringstream m;
  m.precision(3);
  m << "options.eps = " << eps << " is below the float32 resolution of the costs of problem " << k
    << " (largest |C| = " << maxAbs << "): float32 potentials cannot represent its plan; use eps >= "
    << kMinRelativeEps * maxAbs << " (2^-20 · max |C|), or scale the costs down";
  range_error(m.str());
}

void validate_eps_resolution(const RaggedLayout& L, const float* cost, double eps) {
  for (int64_t k = 0; k < L.batch; ++k) {
    float maxAbs = 0;
    for (int64_t i = L.blockOffset[k]; i < L.blockOffset[k + 1]; ++i) maxAbs = std::max(maxAbs, std::fabs(cost[i]));
    if (eps < kMinRelativeEps * maxAbs) throw_eps_below_resolution(eps, k, maxAbs);
  }
}

void validate_eps_resolution(const float* maxAbsCost, int64_t batch, double eps) {
  for (int64_t k = 0; k < batch; ++k)
    if (eps < kMinRelativeEps * maxAbsCost[k]) throw_eps_below_resolution(eps, k, maxAbsCost[k]);
}

void validate_marginal(const RaggedLayout& L, const float* w, int64_t length, bool onRows, const char* name) {
  const auto& off = onRows ? L.rowOffset : L.colOffset;
  if (length != off.back())
    range_error(std::string(name) + " has length " + std::to_string(length) + ", expected Σ " +
                (onRows ? "rows" : "cols") + " = " + std::to_string(off.back()));
  for (int64_t k = 0; k < L.batch; ++k) {
    double sum = 0;
    for (int64_t i = off[k]; i < off[k + 1]; ++i) {
      const float v = w[i];
      if (!std::isfinite(v))
        range_error(std::string(name) + " of problem " + std::to_string(k) + " has a non-finite entry (" + num(v) +
                    ") at index " + std::to_string(i - off[k]));
      if (v < 0)
        range_error(std::string(name) + " of problem " + std::to_string(k) + " has a negative entry (" + num(v) +
                    ") at index " + std::to_string(i - off[k]));
      sum += v;
    }
    if (!(sum > 0)) range_error(std::string(name) + " of problem " + std::to_string(k) + " sums to 0 (every problem needs a positive total mass)");
  }
}

void validate_balanced_mass(const RaggedLayout& L, const float* a, const float* b) {
  if (!a && !b) return;
  for (int64_t k = 0; k < L.batch; ++k) {
    double sa = 1, sb = 1;
    if (a) {
      sa = 0;
      for (int64_t i = L.rowOffset[k]; i < L.rowOffset[k + 1]; ++i) sa += a[i];
    }
    if (b) {
      sb = 0;
      for (int64_t j = L.colOffset[k]; j < L.colOffset[k + 1]; ++j) sb += b[j];
    }
    if (std::fabs(sa - sb) > kMassTolerance * std::max(sa, sb))
      range_error("a and b of problem " + std::to_string(k) + " have different total mass (" + num(sa) + " vs " +
                  num(sb) + "); balanced OT needs equal mass — normalise them or use unbalanced OT (options.rho)");
  }
}

void validate_embeddings(const RaggedLayout& L, int64_t dim, const float* x, int64_t length, bool onRows,
                         const char* name) {
  if (dim < 1) range_error("dim must be an integer >= 1, got " + std::to_string(dim));
  const auto& off = onRows ? L.rowOffset : L.colOffset;
  const int64_t expected = off.back() * dim;
  if (length != expected)
    range_error(std::string(name) + " has length " + std::to_string(length) + ", expected Σ " +
                (onRows ? "rows" : "cols") + "·dim = " + std::to_string(expected));
  const int64_t i = kernels::first_non_finite(x, length);
  if (i >= 0) {
    {
      const int64_t token = i / dim;
      const int64_t k = problem_of(off, token);
      range_error(std::string(name) + " of problem " + std::to_string(k) + " has a non-finite entry (" + num(x[i]) +
                  ") in token " + std::to_string(token - off[k]) + ", component " + std::to_string(i % dim));
    }
  }
}

}  // namespace ot
