// Batched ragged Sinkhorn: the per-problem iteration (log domain, scaling form, the automatic
// fallback between them, eps scaling, unbalanced updates, convergence checks) and the distribution
// of problems over threads. The O(n·m) loops live in sinkhorn_kernels.cpp.
//
// Memory traffic is what a call costs at large sizes, so each pass over an n × m block does as
// much as it can: the first pass also checks the cost (finite, eps above its float32 resolution);
// on wide blocks one pass per iteration computes the f update and, while the rows are in cache,
// the column sums of the g update; the convergence check of the last iteration is the final plan
// pass itself.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <exception>
#include <vector>

#include "big_buffer.h"
#include "fast_math.h"
#include "ot.h"
#include "sinkhorn_internal.h"
#include "sinkhorn_kernels.h"

namespace ot {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kNegInfF = -std::numeric_limits<float>::infinity();

// double → float without the undefined behaviour of an out-of-range cast: saturates to ±inf.
inline float to_float(double d) {
  if (d > FLT_MAX) return std::numeric_limits<float>::infinity();
  if (d < -FLT_MAX) return -std::numeric_limits<float>::infinity();
  return static_cast<float>(d);
}

// The scaling iterates x, y must stay inside (0, bound]. 'auto' uses a conservative bound: with
// x, y ≤ 1e15 the kernel entries that fast_exp flushes to zero (< e^−87) change any plan entry by
// less than ~1e-8 · a_i·b_j, so the scaling result matches the log-domain one; when an iterate
// leaves it, 'auto' absorbs x, y into the potentials and rebuilds the kernel (stabilised scaling).
// 'scaling' keeps its kernel and only gives up on a genuine float overflow/underflow.
constexpr float kAutoBound = 1e15f;
constexpr float kStrictBound = FLT_MAX;

// Problems at least this large (cells) are split across threads by rows/columns when there are
// fewer of them than threads; smaller ones are handed out whole, one problem per task.
constexpr int64_t kSplitCells = int64_t{1} << 17;

// Narrow blocks (rows of at most this many columns) reduce their rows as column sums over a
// transposed copy (Cᵀ in the log domain from the second iteration on, Kᵀ in the scaling form),
// vectorised across rows: the horizontal reductions of short rows would otherwise dominate. Wider
// rows amortise them and need no copy; the copy is also skipped for very large blocks (it would
// double their memory). Only wide blocks use the fused one-pass iterations.
constexpr int64_t kTransposeMaxCols = 256;
constexpr int64_t kTransposeMaxCells = int64_t{1} << 24;

// Rows per block of the fused log-domain pass: the block is read again (column terms) right after
// its f update, so it should stay in the per-core L2 cache: up to 1 MiB of rows (at 4096 columns,
// 64 rows: slightly less CPU time than 16 on a 1 MiB-L2 EPYC; fewer online rescales, too).
int64_t fused_row_block(int64_t m) { return std::max<int64_t>(4, std::min<int64_t>(256, (int64_t{1} << 18) / m)); }

// Float32 rounding: 2^-24.
constexpr double kUnitRoundoff = 5.9604644775390625e-08;
// The convergence check stops at the float32 error floor after this many checks in a row without
// a new smallest error (see Solver::at_float_floor).
constexpr int kFloorChecks = 3;

class Solver {
 public:
  Solver(const ProblemView& p, const SinkhornOptions& o, const Splitter& par, int64_t problem)
      : p_(p),
        o_(o),
        par_(par),
        problem_(problem),
        n_(p.n),
        m_(p.m),
        balanced_(std::isinf(o.rho)),
        narrow_(p.m <= kTransposeMaxCols && p.n > 1 && p.n * p.m <= kTransposeMaxCells),
        chunks_(Splitter::chunks_for(p.n, p.m)) {}

  ProblemResult run();

 private:
  enum class Mode { Log, Scaling };
  struct PlanStats {
    std::vector<double> rowSum, colSum;
    double cost = 0;
  };

  // run(), step by step.
  void start();
  bool iterate(double eps);
  bool check_converged(double eps);
  bool decide(double error);
  ProblemResult finish();

  // Log domain.
  double tau_at(double eps) const { return balanced_ ? 1.0 : o_.rho / (o_.rho + eps); }
  void log_iteration(double eps, double tau);
  void log_iteration_narrow(double eps, double tau);
  void log_iteration_wide(double eps, double tau);
  uint32_t* scan_slot(int part) { return scanPending_ ? &scan_[part] : nullptr; }
  void finish_scan();

  // Scaling form.
  bool enter_scaling();
  bool build_kernel();
  bool scaling_iteration(double tau);
  void absorb();
  void leave_scaling();

  // Results.
  void potentials(std::vector<double>& f, std::vector<double>& g) const;
  void plan_pass(bool store, PlanStats& s);
  double marginal_error(const PlanStats& s) const;
  double error_floor() const;
  bool at_float_floor(double error);

  const ProblemView& p_;
  const SinkhornOptions& o_;
  const Splitter& par_;
  const int64_t problem_;
  const int64_t n_, m_;
  const bool balanced_;
  const bool narrow_;
  const int chunks_;  // row chunks of the wide passes (Splitter::chunks_for(n, m))
  Mode mode_ = Mode::Log;
  bool wantScaling_ = false;
  int64_t it_ = 0;
  double epsCur_ = 0;  // eps of the latest iteration (the plan is defined with it)

  // First pass over C: per-chunk largest |C| bit patterns (see kernels::log_rows).
  bool scanPending_ = true;
  std::vector<uint32_t> scan_;
  float maxAbsC_ = 0;

  // Log-domain state. hg = g + eps·log b (the f update's h), hf = f + eps·log a (the g update's).
  std::vector<float> f_, g_, loga_, logb_, lseRow_, lseCol_, hg_, hf_, acc_, accRow_;
  std::vector<float> CT_;  // Cᵀ (narrow blocks, from the second log iteration on)
  // Per-chunk column partials of the fused passes (chunks_ × m each).
  std::vector<float> colShift_, colSum_, colBlk_;
  bool haveShiftRow_ = false, haveShiftCol_ = false;
  int64_t logIterations_ = 0;

  // Scaling state: P = diag(a∘x) K diag(b∘y) with K_ij = exp((fbar_i + gbar_j − C_ij)/eps) stored in
  // the plan buffer (or kScratch_ when no plan is wanted), f = fbar + eps·log x, g = gbar + eps·log y.
  // The absorbed potentials fbar, gbar keep K's entries and x, y near 1 (a kernel built from C alone
  // underflows at small eps).
  float* K_ = nullptr;
  BigBuffer kScratch_;
  std::vector<double> fbar_, gbar_;
  std::vector<float> kx_, ky_;  // unbalanced: exp((tau − 1)·fbar/eps), exp((tau − 1)·gbar/eps)
  std::vector<float> x_, y_, xPrev_, yPrev_, w_, z_, S_, T_;  // w = b∘y, z = a∘x
  std::vector<float> KT_;  // Kᵀ (narrow blocks)
  std::vector<char> chunkOk_;
  int64_t sinceAbsorb_ = 0;  // scaling iterations since the kernel was (re)built

  // Convergence.
  std::vector<double> fBefore_, gBefore_, fNow_, gNow_;
  double error_ = kInf;
  bool converged_ = false;
  bool lastCheckDeferred_ = false;  // the last iteration's check is made by finish()'s plan pass
  double bestError_ = kInf;
  int checksSinceBest_ = 0;
};

// ---- run ------------------------------------------------------------------------------------------

ProblemResult Solver::run() {
  start();
  while (it_ < o_.maxIter) {
    const double eps = eps_at(o_, it_);
    // The scaling form starts after one log-domain iteration at eps, from potentials that are
    // already adapted to C (exp(−C/eps) alone would underflow at small eps).
    if (mode_ == Mode::Log && wantScaling_ && eps == o_.eps && it_ > 0 && eps_at(o_, it_ - 1) == o_.eps &&
        !enter_scaling())
      wantScaling_ = false;  // f_, g_ are untouched: carry on in the log domain
    // With tol = 0 nothing can stop early: only the last iteration's error is needed.
    const bool checkHere = (o_.tol > 0 && (it_ + 1) % o_.checkEvery == 0) || it_ + 1 == o_.maxIter;
    if (checkHere && !balanced_) potentials(fBefore_, gBefore_);
    if (!iterate(eps)) continue;  // a failed scaling iteration is redone (stabilised or in the log domain)
    ++it_;
    epsCur_ = eps;
    if (checkHere && check_converged(eps)) break;
  }
  return finish();
}

void Solver::start() {
  f_.assign(n_, 0.0f);
  g_.assign(m_, 0.0f);
  loga_.resize(n_);
  logb_.resize(m_);
  for (int64_t i = 0; i < n_; ++i) loga_[i] = p_.a[i] > 0 ? std::log(p_.a[i]) : kNegInfF;
  for (int64_t j = 0; j < m_; ++j) logb_[j] = p_.b[j] > 0 ? std::log(p_.b[j]) : kNegInfF;
  lseRow_.assign(n_, 0.0f);
  lseCol_.assign(m_, 0.0f);
  hg_.assign(m_, 0.0f);
  hf_.assign(n_, 0.0f);
  acc_.assign(m_, 0.0f);
  accRow_.assign(n_, 0.0f);
  scan_.assign(chunks_, 0);
  colBlk_.resize(static_cast<size_t>(chunks_) * m_);
  K_ = p_.plan;
  wantScaling_ = o_.method != Method::Log;
  epsCur_ = eps_at(o_, 0);
}

// One iteration at eps. False when a scaling iteration failed: the state is then back at the start
// of the iteration (stabilised, or in the log domain) and the caller redoes it.
bool Solver::iterate(double eps) {
  if (mode_ == Mode::Log) {
    log_iteration(eps, tau_at(eps));
    return true;
  }
  if (scaling_iteration(tau_at(eps))) return true;
  if (o_.method == Method::Auto && sinceAbsorb_ > 0) {
    absorb();
  } else {
    leave_scaling();
    wantScaling_ = false;
  }
  return false;
}

// The check after iteration it_ (at eps). True when the problem has converged.
bool Solver::check_converged(double eps) {
  if (balanced_) {
    if (it_ == o_.maxIter) {
      // The final plan pass measures the same plan: let finish() do the check (one pass less).
      lastCheckDeferred_ = true;
      return false;
    }
    PlanStats s;
    plan_pass(false, s);
    error_ = marginal_error(s);
  } else {
    potentials(fNow_, gNow_);
    double df = 0, dg = 0;
    for (int64_t i = 0; i < n_; ++i) df = std::max(df, std::fabs(fNow_[i] - fBefore_[i]));
    for (int64_t j = 0; j < m_; ++j) dg = std::max(dg, std::fabs(gNow_[j] - gBefore_[j]));
    error_ = df + dg;
  }
  converged_ = eps == o_.eps && decide(error_);
  return converged_;
}

// Converged: the error is within tol, or it has reached the float32 floor (see at_float_floor).
// tol = 0 never converges (every problem runs maxIter iterations, like the reference).
bool Solver::decide(double error) {
  if (!(o_.tol > 0)) return false;
  return error <= o_.tol || at_float_floor(error);
}

// Below a certain marginal error the float32 iteration only moves rounding noise around: the
// potentials hold ~7 significant digits, and P = a·b·exp((f + g − C)/eps) turns an absolute error
// δ of f + g − C into a relative error δ/eps of the plan. The floor is therefore about
// 2^-24·(Σ a|f| + Σ b|g| + Σa·max|C|)/eps for the marginal error (and 2^-24·(max|f| + max|g| +
// max|C|) for the potential change of an unbalanced problem); a tol below it can never be met.
// The check stops there — and reports converged with error > tol — only when the error is within
// twice that bound AND has not reached a new minimum for kFloorChecks checks in a row: a problem
// that still converges, however slowly, keeps lowering its error and keeps iterating.
bool Solver::at_float_floor(double error) {
  if (error < bestError_) {
    bestError_ = error;
    checksSinceBest_ = 0;
    return false;
  }
  return ++checksSinceBest_ >= kFloorChecks && error <= 2 * error_floor();
}

double Solver::error_floor() const {
  std::vector<double> f, g;
  potentials(f, g);
  if (!balanced_) {
    double mf = 0, mg = 0;
    for (double v : f) mf = std::max(mf, std::fabs(v));
    for (double v : g) mg = std::max(mg, std::fabs(v));
    return 2 * kUnitRoundoff * (mf + mg + maxAbsC_);
  }
  double s = 0, mass = 0;
  for (int64_t i = 0; i < n_; ++i) {
    s += p_.a[i] * std::fabs(f[i]);
    mass += p_.a[i];
  }
  for (int64_t j = 0; j < m_; ++j) s += p_.b[j] * std::fabs(g[j]);
  return kUnitRoundoff * (s + mass * maxAbsC_) / o_.eps;
}

ProblemResult Solver::finish() {
  ProblemResult res;
  res.iterations = static_cast<int32_t>(it_);
  potentials(fNow_, gNow_);
  PlanStats s;
  plan_pass(p_.plan != nullptr, s);
  res.cost = s.cost;
  if (balanced_) {
    error_ = marginal_error(s);
    if (lastCheckDeferred_) converged_ = epsCur_ == o_.eps && decide(error_);
  }
  for (int64_t i = 0; i < n_; ++i) p_.f[i] = to_float(fNow_[i]);
  for (int64_t j = 0; j < m_; ++j) p_.g[j] = to_float(gNow_[j]);

  // value = Σ f·(P1) + Σ g·(Pᵀ1) − eps·(ΣP − Σa·Σb) [+ rho·KL(P1‖a) + rho·KL(Pᵀ1‖b)], which equals
  // <P,C> + eps·KL(P‖a⊗b) [...] because log(P_ij / (a_i b_j)) = (f_i + g_j − C_ij)/eps.
  double fr = 0, gc = 0, mass = 0, sa = 0, sb = 0;
  for (int64_t i = 0; i < n_; ++i) {
    fr += fNow_[i] * s.rowSum[i];
    mass += s.rowSum[i];
    sa += p_.a[i];
  }
  for (int64_t j = 0; j < m_; ++j) {
    gc += gNow_[j] * s.colSum[j];
    sb += p_.b[j];
  }
  double value = fr + gc - epsCur_ * (mass - sa * sb);
  if (!balanced_) {
    auto kl = [](const std::vector<double>& p, const float* q, int64_t len) {
      double acc = 0;
      for (int64_t i = 0; i < len; ++i) {
        const double qi = q[i];
        if (p[i] > 0) acc += p[i] * std::log(p[i] / qi) - p[i] + qi;
        else acc += qi;
      }
      return acc;
    };
    value += o_.rho * (kl(s.rowSum, p_.a, n_) + kl(s.colSum, p_.b, m_));
  }
  res.value = value;
  res.error = error_;
  // Converged means a check passed (at eps, with tol > 0): with tol = 0 every problem runs
  // maxIter iterations and reports converged = 0, like the reference.
  res.converged = converged_;
  return res;
}

// ---- log domain -------------------------------------------------------------------------------------

void Solver::log_iteration(double eps, double tau) {
  if (narrow_) log_iteration_narrow(eps, tau);
  else log_iteration_wide(eps, tau);
  ++logIterations_;
}

// f update by rows (or as column sums of Cᵀ), then g update by columns: two passes over C.
void Solver::log_iteration_narrow(double eps, double tau) {
  // Cᵀ pays off from the second log iteration on ('auto'/'scaling' usually run just one).
  if (CT_.empty() && logIterations_ > 0) {
    CT_.resize(static_cast<size_t>(n_) * m_);
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::transpose(p_.C, n_, m_, r0, r1, CT_.data()); });
  }
  const float invEps = static_cast<float>(1.0 / eps);
  const float epsF = static_cast<float>(eps);
  for (int64_t j = 0; j < m_; ++j) hg_[j] = g_[j] + epsF * logb_[j];
  if (!CT_.empty()) {
    par_(n_, m_, [&](int64_t c0, int64_t c1, int) {
      kernels::log_cols(CT_.data(), m_, n_, c0, c1, hg_.data(), invEps, lseRow_.data(), haveShiftRow_, accRow_.data());
    });
  } else {
    par_(n_, m_, [&](int64_t r0, int64_t r1, int part) {
      kernels::log_rows(p_.C, m_, r0, r1, hg_.data(), invEps, lseRow_.data(), haveShiftRow_, accRow_.data(),
                        scan_slot(part));
    });
  }
  haveShiftRow_ = true;
  if (scanPending_) finish_scan();
  for (int64_t i = 0; i < n_; ++i) f_[i] = to_float(-tau * eps * lseRow_[i]);
  for (int64_t i = 0; i < n_; ++i) hf_[i] = f_[i] + epsF * loga_[i];
  par_(m_, n_, [&](int64_t c0, int64_t c1, int) {
    kernels::log_cols(p_.C, n_, m_, c0, c1, hf_.data(), invEps, lseCol_.data(), haveShiftCol_, acc_.data());
  });
  haveShiftCol_ = true;
  for (int64_t j = 0; j < m_; ++j) g_[j] = to_float(-tau * eps * lseCol_[j]);
}

// One pass over C: each block of rows gets its f update and then, still in cache, adds its terms to
// its chunk's column sums of the g update (with the previous column lse as the shift, or an online
// shift when there is none yet); the chunks' sums are merged in chunk order.
void Solver::log_iteration_wide(double eps, double tau) {
  const float invEps = static_cast<float>(1.0 / eps);
  const float epsF = static_cast<float>(eps);
  const double fScale = -tau * eps;
  const bool online = !haveShiftCol_;
  const int64_t rowBlock = fused_row_block(m_);
  const size_t part = static_cast<size_t>(chunks_) * m_;
  if (colSum_.size() != part) {
    colShift_.resize(part);
    colSum_.resize(part);
  }
  for (int64_t j = 0; j < m_; ++j) hg_[j] = g_[j] + epsF * logb_[j];
  par_(n_, m_, [&](int64_t r0, int64_t r1, int q) {
    float* sh = online ? colShift_.data() + static_cast<size_t>(q) * m_ : lseCol_.data();
    float* cs = colSum_.data() + static_cast<size_t>(q) * m_;
    if (online) std::fill(sh, sh + m_, kNegInfF);
    std::fill(cs, cs + m_, 0.0f);
    uint32_t* scan = scan_slot(q);
    for (int64_t b0 = r0; b0 < r1; b0 += rowBlock) {
      const int64_t b1 = std::min(r1, b0 + rowBlock);
      kernels::log_rows(p_.C, m_, b0, b1, hg_.data(), invEps, lseRow_.data(), haveShiftRow_, accRow_.data(), scan);
      if (scan && *scan >= kernels::kNonFiniteBits) return;
      for (int64_t i = b0; i < b1; ++i) {
        f_[i] = to_float(fScale * lseRow_[i]);
        hf_[i] = f_[i] + epsF * loga_[i];
      }
      kernels::log_col_terms(p_.C, m_, b0, b1, hf_.data(), invEps, sh, cs, online,
                             colBlk_.data() + static_cast<size_t>(q) * m_);
    }
  });
  haveShiftRow_ = true;
  if (scanPending_) finish_scan();
  // The merge reads chunks_ partials per column (with an exp each in online mode): split by columns.
  std::vector<char> merged(Splitter::chunks_for(m_, chunks_), 1);
  par_(m_, chunks_, [&](int64_t c0, int64_t c1, int q) {
    merged[q] = kernels::log_merge_cols(online ? colShift_.data() : nullptr, colSum_.data(), chunks_, m_, c0, c1,
                                        online ? nullptr : lseCol_.data(), lseCol_.data());
  });
  const bool ok = std::all_of(merged.begin(), merged.end(), [](char c) { return c != 0; });
  if (!ok) {
    // The previous column lse was no longer a safe shift: these sums again, with the exact one.
    par_(m_, n_, [&](int64_t c0, int64_t c1, int) {
      kernels::log_cols(p_.C, n_, m_, c0, c1, hf_.data(), invEps, lseCol_.data(), false, acc_.data());
    });
  }
  haveShiftCol_ = true;
  for (int64_t j = 0; j < m_; ++j) g_[j] = to_float(fScale * lseCol_[j]);
}

// After the first pass over C: reject a non-finite entry, or an eps the float32 potentials cannot
// resolve at this cost scale (below it, exp((f + g − C)/eps) is dominated by rounding: at
// eps = kMinRelativeEps·max|C| one ulp of f is already ~10 % of a plan entry).
void Solver::finish_scan() {
  scanPending_ = false;
  uint32_t bits = 0;
  for (uint32_t b : scan_) bits = std::max(bits, b);
  if (bits >= kernels::kNonFiniteBits) {
    for (int64_t i = 0; i < n_ * m_; ++i)
      if (!std::isfinite(p_.C[i])) throw NonFiniteCost{i / m_, i % m_, p_.C[i]};
  }
  std::memcpy(&maxAbsC_, &bits, sizeof maxAbsC_);
  if (o_.eps < kMinRelativeEps * maxAbsC_) throw_eps_below_resolution(o_.eps, problem_, maxAbsC_);
}

// ---- scaling form -------------------------------------------------------------------------------------

// Switches to the scaling form at eps = o.eps, absorbing the current log-domain potentials into
// the kernel (so x = y = 1). False when that kernel is not usable (the problem stays in the log
// domain).
bool Solver::enter_scaling() {
  if (x_.empty()) {
    fbar_.assign(n_, 0);
    gbar_.assign(m_, 0);
    kx_.assign(n_, 1);
    ky_.assign(m_, 1);
    x_.assign(n_, 1);
    y_.assign(m_, 1);
    xPrev_.assign(n_, 1);
    yPrev_.assign(m_, 1);
    w_.assign(m_, 0);
    z_.assign(n_, 0);
    S_.assign(n_, 0);
    T_.assign(m_, 0);
    chunkOk_.assign(chunks_, 1);
    if (!K_) {
      kScratch_ = BigBuffer(static_cast<size_t>(n_) * m_ * sizeof(float));
      K_ = kScratch_.as<float>();
    }
    if (!narrow_) colSum_.resize(static_cast<size_t>(chunks_) * m_);
  }
  for (int64_t i = 0; i < n_; ++i) fbar_[i] = f_[i];
  for (int64_t j = 0; j < m_; ++j) gbar_[j] = g_[j];
  if (!build_kernel()) return false;
  mode_ = Mode::Scaling;
  return true;
}

// K from fbar, gbar; x = y = 1. False if the unbalanced factors are not representable.
bool Solver::build_kernel() {
  const double eps = o_.eps;
  kernels::ExpTerms terms;
  kernels::make_exp_terms(fbar_.data(), n_, gbar_.data(), m_, 1.0 / eps, terms);
  par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::gibbs_kernel(p_.C, m_, r0, r1, terms, K_); });
  std::fill(x_.begin(), x_.end(), 1.0f);
  std::fill(y_.begin(), y_.end(), 1.0f);
  for (int64_t j = 0; j < m_; ++j) w_[j] = p_.b[j];  // b∘y
  if (narrow_) {
    KT_.resize(static_cast<size_t>(n_) * m_);
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::transpose(K_, n_, m_, r0, r1, KT_.data()); });
  }
  sinceAbsorb_ = 0;
  if (balanced_) return true;
  const double tm1 = tau_at(eps) - 1;
  bool ok = true;
  for (int64_t i = 0; i < n_; ++i) {
    kx_[i] = to_float(std::exp(tm1 * fbar_[i] / eps));
    ok &= kx_[i] > 0 && kx_[i] <= kAutoBound;
  }
  for (int64_t j = 0; j < m_; ++j) {
    ky_[j] = to_float(std::exp(tm1 * gbar_[j] / eps));
    ok &= ky_[j] > 0 && ky_[j] <= kAutoBound;
  }
  return ok;
}

// One scaling iteration at eps = o.eps. False when an iterate leaves the allowed range; x, y are
// then garbage and the caller restarts from xPrev, yPrev (the state before this iteration).
// Narrow blocks: K·w as column sums of Kᵀ, then Kᵀ·z (two passes). Wide blocks: one pass over K
// (each block of rows: its x update, then its terms of Kᵀ·z into its chunk's column sums).
bool Solver::scaling_iteration(double tau) {
  const float bound = o_.method == Method::Auto ? kAutoBound : kStrictBound;
  const float t = static_cast<float>(tau);
  std::copy(y_.begin(), y_.end(), yPrev_.begin());
  std::copy(x_.begin(), x_.end(), xPrev_.begin());
  // w_ = b∘y is kept up to date by the previous y update (and build_kernel).
  if (narrow_) {
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::scale_cols(KT_.data(), m_, n_, r0, r1, w_.data(), S_.data()); });
    if (!kernels::scaling_update(S_.data(), kx_.data(), p_.a, n_, balanced_, t, bound, x_.data(), z_.data())) return false;
    par_(m_, n_, [&](int64_t c0, int64_t c1, int) { kernels::scale_cols(K_, n_, m_, c0, c1, z_.data(), T_.data()); });
  } else {
    par_(n_, m_, [&](int64_t r0, int64_t r1, int q) {
      float* cs = colSum_.data() + static_cast<size_t>(q) * m_;
      std::fill(cs, cs + m_, 0.0f);
      chunkOk_[q] = kernels::scaling_rows_cols(K_, m_, r0, r1, w_.data(), kx_.data(), p_.a, balanced_, t, bound,
                                               S_.data(), x_.data(), z_.data(), cs,
                                               colBlk_.data() + static_cast<size_t>(q) * m_);
    });
    for (int q = 0; q < chunks_; ++q)
      if (!chunkOk_[q]) return false;
    std::fill(T_.begin(), T_.end(), 0.0f);
    for (int q = 0; q < chunks_; ++q) {
      const float* cs = colSum_.data() + static_cast<size_t>(q) * m_;
      for (int64_t j = 0; j < m_; ++j) T_[j] += cs[j];
    }
  }
  if (!kernels::scaling_update(T_.data(), ky_.data(), p_.b, m_, balanced_, t, bound, y_.data(), w_.data())) return false;
  ++sinceAbsorb_;
  return true;
}

// Stabilisation ('auto'): fold the last good iterate into fbar, gbar and rebuild the kernel.
void Solver::absorb() {
  const double eps = o_.eps;
  for (int64_t i = 0; i < n_; ++i) fbar_[i] += eps * std::log(static_cast<double>(xPrev_[i]));
  for (int64_t j = 0; j < m_; ++j) gbar_[j] += eps * std::log(static_cast<double>(yPrev_[j]));
  std::fill(xPrev_.begin(), xPrev_.end(), 1.0f);  // now folded into fbar, gbar
  std::fill(yPrev_.begin(), yPrev_.end(), 1.0f);
  if (!build_kernel()) leave_scaling();
}

// Back to the log domain from the last good scaling iterate (the start of the failed iteration).
void Solver::leave_scaling() {
  const double eps = o_.eps;
  for (int64_t j = 0; j < m_; ++j) g_[j] = to_float(gbar_[j] + eps * std::log(static_cast<double>(yPrev_[j])));
  for (int64_t i = 0; i < n_; ++i) f_[i] = to_float(fbar_[i] + eps * std::log(static_cast<double>(xPrev_[i])));
  haveShiftRow_ = haveShiftCol_ = false;
  mode_ = Mode::Log;
}

// ---- results ------------------------------------------------------------------------------------------

void Solver::potentials(std::vector<double>& f, std::vector<double>& g) const {
  f.resize(n_);
  g.resize(m_);
  if (mode_ == Mode::Scaling) {
    const double eps = o_.eps;
    for (int64_t i = 0; i < n_; ++i) f[i] = fbar_[i] + eps * std::log(static_cast<double>(x_[i]));
    for (int64_t j = 0; j < m_; ++j) g[j] = gbar_[j] + eps * std::log(static_cast<double>(y_[j]));
  } else {
    for (int64_t i = 0; i < n_; ++i) f[i] = f_[i];
    for (int64_t j = 0; j < m_; ++j) g[j] = g_[j];
  }
}

// Row/col sums (and <P,C>) of the current plan; stores it in the plan buffer when `store`.
void Solver::plan_pass(bool store, PlanStats& s) {
  s.rowSum.assign(n_, 0.0);
  s.colSum.assign(m_, 0.0);
  std::vector<double> partCol(static_cast<size_t>(chunks_) * m_), partCost(chunks_, 0.0);
  float* plan = store ? p_.plan : nullptr;
  if (mode_ == Mode::Scaling) {
    // u = a∘x, v = b∘y: z_ and w_ already hold them.
    par_(n_, m_, [&](int64_t r0, int64_t r1, int q) {
      kernels::plan_scaling(p_.C, K_, m_, r0, r1, z_.data(), w_.data(), plan, s.rowSum.data(),
                            partCol.data() + static_cast<size_t>(q) * m_, &partCost[q],
                            colBlk_.data() + static_cast<size_t>(q) * m_);
    });
  } else {
    const double eps = epsCur_;
    std::vector<double> F(n_), G(m_);
    for (int64_t i = 0; i < n_; ++i) F[i] = p_.a[i] > 0 ? f_[i] + eps * std::log(static_cast<double>(p_.a[i])) : -kInf;
    for (int64_t j = 0; j < m_; ++j) G[j] = p_.b[j] > 0 ? g_[j] + eps * std::log(static_cast<double>(p_.b[j])) : -kInf;
    kernels::ExpTerms terms;
    kernels::make_exp_terms(F.data(), n_, G.data(), m_, 1.0 / eps, terms);
    par_(n_, m_, [&](int64_t r0, int64_t r1, int q) {
      kernels::plan_log(p_.C, m_, r0, r1, terms, plan, s.rowSum.data(), partCol.data() + static_cast<size_t>(q) * m_,
                        &partCost[q], colBlk_.data() + static_cast<size_t>(q) * m_);
    });
  }
  s.cost = 0;
  for (int q = 0; q < chunks_; ++q) {
    s.cost += partCost[q];
    const double* pc = partCol.data() + static_cast<size_t>(q) * m_;
    for (int64_t j = 0; j < m_; ++j) s.colSum[j] += pc[j];
  }
}

double Solver::marginal_error(const PlanStats& s) const {
  double er = 0, ec = 0;
  if (o_.errorNorm == ErrorNorm::L1) {
    for (int64_t i = 0; i < n_; ++i) er += std::fabs(s.rowSum[i] - p_.a[i]);
    for (int64_t j = 0; j < m_; ++j) ec += std::fabs(s.colSum[j] - p_.b[j]);
    return er + ec;
  }
  for (int64_t i = 0; i < n_; ++i) er += (s.rowSum[i] - p_.a[i]) * (s.rowSum[i] - p_.a[i]);
  for (int64_t j = 0; j < m_; ++j) ec += (s.colSum[j] - p_.b[j]) * (s.colSum[j] - p_.b[j]);
  return std::sqrt(er) + std::sqrt(ec);
}

const float* match_mass(const float* a, int64_t n, const float* b, int64_t m, const SinkhornOptions& o,
                        std::vector<float>& storage) {
  if (!std::isinf(o.rho)) return b;
  double sa = 0, sb = 0;
  for (int64_t i = 0; i < n; ++i) sa += a[i];
  for (int64_t j = 0; j < m; ++j) sb += b[j];
  if (sa == sb) return b;
  const double r = sa / sb;
  std::vector<float> scaled(m);
  for (int64_t j = 0; j < m; ++j) scaled[j] = static_cast<float>(b[j] * r);
  storage.swap(scaled);
  return storage.data();
}

}  // namespace

Marginals problem_marginals(const RaggedLayout& L, int64_t k, const float* a, const float* b, const SinkhornOptions& o,
                            std::vector<float>& ua, std::vector<float>& ub) {
  const int64_t n = L.rows[k], m = L.cols[k];
  a = a ? a + L.rowOffset[k] : nullptr;
  b = b ? b + L.colOffset[k] : nullptr;
  if (!a) {
    ua.assign(n, static_cast<float>(1.0 / n));
    a = ua.data();
  }
  if (!b) {
    ub.assign(m, static_cast<float>(1.0 / m));
    b = ub.data();
  }
  return {a, match_mass(a, n, b, m, o, ub)};
}

int Splitter::chunks_for(int64_t total, int64_t cellsPerItem) {
  constexpr int64_t kChunkCells = int64_t{1} << 15;
  constexpr int64_t kMaxChunks = 64;
  const int64_t byCells = (total * std::max<int64_t>(cellsPerItem, 1)) / kChunkCells;
  return static_cast<int>(std::max<int64_t>(1, std::min({byCells, total, kMaxChunks})));
}

ProblemResult solve_problem(const ProblemView& p, const SinkhornOptions& o, const Splitter& par, int64_t problem) {
  const FlushDenormals ftz;
  Solver s(p, o, par, problem);
  return s.run();
}

void for_each_problem(const RaggedLayout& L, const SinkhornOptions& o, ThreadPool& pool,
                      const std::function<void(int64_t k, const Splitter& par)>& body) {
  const int allThreads = pool.threads_for(int64_t{1} << 30, o.threads);
  int64_t bigCount = 0;
  for (int64_t k = 0; k < L.batch; ++k) bigCount += int64_t{L.rows[k]} * L.cols[k] >= kSplitCells;
  const bool splitBig = allThreads > 1 && bigCount < allThreads;
  std::vector<int64_t> whole, split;
  for (int64_t k = 0; k < L.batch; ++k) {
    if (splitBig && int64_t{L.rows[k]} * L.cols[k] >= kSplitCells) split.push_back(k);
    else whole.push_back(k);
  }
  const Splitter serial{&pool, 1};
  // Largest first, so that a long problem does not start last and leave the other threads idle.
  std::stable_sort(whole.begin(), whole.end(), [&](int64_t x, int64_t y) {
    return int64_t{L.rows[x]} * L.cols[x] > int64_t{L.rows[y]} * L.cols[y];
  });
  pool.parallel_for(static_cast<int64_t>(whole.size()), o.threads,
                    [&](int64_t idx, int) { body(whole[idx], serial); });
  const Splitter wide{&pool, allThreads};
  for (int64_t k : split) body(k, wide);
}

void for_each_problem_checked(const RaggedLayout& L, const SinkhornOptions& o, ThreadPool& pool,
                              const std::function<void(int64_t k, const Splitter& par)>& body) {
  std::vector<std::exception_ptr> errors(L.batch);
  for_each_problem(L, o, pool, [&](int64_t k, const Splitter& par) {
    try {
      body(k, par);
    } catch (...) {
      errors[k] = std::current_exception();
    }
  });
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

void sinkhorn(const RaggedLayout& L, const SinkhornInputs& in, const SinkhornOptions& o, const SinkhornOutputs& out,
              ThreadPool& pool) {
  validate_options(o);
  for_each_problem_checked(L, o, pool, [&](int64_t k, const Splitter& par) {
    const int64_t n = L.rows[k], m = L.cols[k];
    std::vector<float> ua, ub;
    const Marginals w = problem_marginals(L, k, in.a, in.b, o, ua, ub);
    ProblemView p{n, m, in.cost + L.blockOffset[k], w.a, w.b, out.plan ? out.plan + L.blockOffset[k] : nullptr,
                  out.f + L.rowOffset[k], out.g + L.colOffset[k]};
    ProblemResult r;
    try {
      r = solve_problem(p, o, par, k);
    } catch (const NonFiniteCost& e) {
      throw_non_finite_cost("cost", k, e.row, e.col, e.value);
    }
    r.store(out, k);
  });
}

}  // namespace ot
