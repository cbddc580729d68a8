// Batched ragged Sinkhorn: the per-problem iteration (log domain, scaling form, the automatic
// fallback between them, eps scaling, unbalanced updates, convergence checks) and the distribution
// of problems over threads. The O(n·m) loops live in sinkhorn_kernels.cpp.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <vector>

#include "fast_math.h"
#include "ot.h"
#include "sinkhorn_internal.h"
#include "sinkhorn_kernels.h"

namespace ot {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

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

// Log domain: for rows of at most this many columns the f update runs as column sums over a
// transposed copy of C (vectorised across rows); the horizontal reductions of short rows would
// otherwise dominate. Wider rows amortise them and need no copy.
// The copy is skipped for very large blocks (it would double their memory).
constexpr int64_t kTransposeMaxCols = 256;
constexpr int64_t kTransposeMaxCells = int64_t{1} << 24;

class Solver {
 public:
  Solver(const ProblemView& p, const SinkhornOptions& o, const Splitter& par)
      : p_(p), o_(o), par_(par), n_(p.n), m_(p.m), balanced_(std::isinf(o.rho)) {}

  ProblemResult run();

 private:
  enum class Mode { Log, Scaling };

  double tau_at(double eps) const { return balanced_ ? 1.0 : o_.rho / (o_.rho + eps); }
  void log_iteration(double eps, double tau);
  bool enter_scaling();
  bool build_kernel();
  bool scaling_iteration(double tau);
  void absorb();
  void leave_scaling();
  void potentials(std::vector<double>& f, std::vector<double>& g) const;
  // Plan pass: row/col sums (and <P,C>) of the current plan; stores it when `store`.
  double plan_pass(bool store, std::vector<double>& rowSum, std::vector<double>& colSum);
  double marginal_error(const std::vector<double>& r, const std::vector<double>& c) const;

  const ProblemView& p_;
  const SinkhornOptions& o_;
  const Splitter& par_;
  const int64_t n_, m_;
  const bool balanced_;
  Mode mode_ = Mode::Log;
  double epsCur_ = 0;  // eps of the latest iteration (the plan is defined with it)

  // Log-domain state.
  std::vector<float> f_, g_, loga_, logb_, lseRow_, lseCol_, h_, acc_, accRow_;
  std::vector<float> CT_;  // Cᵀ, only for narrow blocks in the log domain (see kTransposeMaxCols)
  bool haveShiftRow_ = false, haveShiftCol_ = false;
  int64_t logIterations_ = 0;

  // Scaling state: P = diag(a∘x) K diag(b∘y) with K_ij = exp((fbar_i + gbar_j − C_ij)/eps) stored in
  // the plan buffer, f = fbar + eps·log x, g = gbar + eps·log y. The absorbed potentials fbar, gbar
  // keep K's entries and x, y near 1 (a kernel built from C alone underflows at small eps).
  std::vector<double> fbar_, gbar_;
  std::vector<float> kx_, ky_;  // unbalanced: exp((tau − 1)·fbar/eps), exp((tau − 1)·gbar/eps)
  std::vector<float> x_, y_, xPrev_, yPrev_, w_, z_, S_, T_;  // w = b∘y, z = a∘x
  std::vector<float> KT_;  // Kᵀ for narrow blocks (see kTransposeMaxCols)
  int64_t sinceAbsorb_ = 0;  // scaling iterations since the kernel was (re)built
};

void Solver::log_iteration(double eps, double tau) {
  // Cᵀ pays off from the second log iteration on ('auto'/'scaling' usually run just one).
  if (CT_.empty() && logIterations_ > 0 && m_ <= kTransposeMaxCols && n_ > 1 && n_ * m_ <= kTransposeMaxCells) {
    CT_.resize(static_cast<size_t>(n_) * m_);
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::transpose(p_.C, n_, m_, r0, r1, CT_.data()); });
  }
  const float invEps = static_cast<float>(1.0 / eps);
  const float epsF = static_cast<float>(eps);
  for (int64_t j = 0; j < m_; ++j) h_[j] = g_[j] + epsF * logb_[j];
  if (!CT_.empty()) {
    // Narrow blocks: the f update reduces columns of Cᵀ (vertical sums, no horizontal reductions).
    par_(n_, m_, [&](int64_t c0, int64_t c1, int) {
      kernels::log_cols(CT_.data(), m_, n_, c0, c1, h_.data(), invEps, lseRow_.data(), haveShiftRow_, accRow_.data());
    });
  } else {
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) {
      kernels::log_rows(p_.C, m_, r0, r1, h_.data(), invEps, lseRow_.data(), haveShiftRow_, accRow_.data());
    });
  }
  haveShiftRow_ = true;
  for (int64_t i = 0; i < n_; ++i) f_[i] = to_float(-tau * eps * lseRow_[i]);
  for (int64_t i = 0; i < n_; ++i) h_[i] = f_[i] + epsF * loga_[i];
  par_(m_, n_, [&](int64_t c0, int64_t c1, int) {
    kernels::log_cols(p_.C, n_, m_, c0, c1, h_.data(), invEps, lseCol_.data(), haveShiftCol_, acc_.data());
  });
  haveShiftCol_ = true;
  for (int64_t j = 0; j < m_; ++j) g_[j] = to_float(-tau * eps * lseCol_[j]);
  ++logIterations_;
}

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
  par_(n_, m_, [&](int64_t r0, int64_t r1, int) {
    kernels::gibbs_kernel(p_.C, m_, r0, r1, fbar_.data(), gbar_.data(), 1.0 / eps, p_.plan);
  });
  std::fill(x_.begin(), x_.end(), 1.0f);
  std::fill(y_.begin(), y_.end(), 1.0f);
  for (int64_t j = 0; j < m_; ++j) w_[j] = p_.b[j];  // b∘y
  if (m_ <= kTransposeMaxCols && n_ > 1 && n_ * m_ <= kTransposeMaxCells) {
    // Narrow blocks: K·w as column sums of Kᵀ (vectorised across rows, like CT_ in the log domain).
    KT_.resize(static_cast<size_t>(n_) * m_);
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::transpose(p_.plan, n_, m_, r0, r1, KT_.data()); });
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
bool Solver::scaling_iteration(double tau) {
  const float bound = o_.method == Method::Auto ? kAutoBound : kStrictBound;
  const float t = static_cast<float>(tau);
  std::copy(y_.begin(), y_.end(), yPrev_.begin());
  std::copy(x_.begin(), x_.end(), xPrev_.begin());
  // w_ = b∘y is kept up to date by the previous y update (and build_kernel).
  if (!KT_.empty()) {
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::scale_cols(KT_.data(), m_, n_, r0, r1, w_.data(), S_.data()); });
  } else {
    par_(n_, m_, [&](int64_t r0, int64_t r1, int) { kernels::scale_rows(p_.plan, m_, r0, r1, w_.data(), S_.data()); });
  }
  if (!kernels::scaling_update(S_.data(), kx_.data(), p_.a, n_, balanced_, t, bound, x_.data(), z_.data())) return false;
  par_(m_, n_, [&](int64_t c0, int64_t c1, int) { kernels::scale_cols(p_.plan, n_, m_, c0, c1, z_.data(), T_.data()); });
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

double Solver::plan_pass(bool store, std::vector<double>& rowSum, std::vector<double>& colSum) {
  rowSum.assign(n_, 0.0);
  colSum.assign(m_, 0.0);
  const int parts = Splitter::chunks_for(n_, m_);
  std::vector<double> partCol(static_cast<size_t>(parts) * m_), partCost(parts, 0.0);
  float* plan = store ? p_.plan : nullptr;
  if (mode_ == Mode::Scaling) {
    // u = a∘x, v = b∘y: z_ and w_ already hold them.
    par_(n_, m_, [&](int64_t r0, int64_t r1, int part) {
      kernels::plan_scaling(p_.C, p_.plan, m_, r0, r1, z_.data(), w_.data(), plan, rowSum.data(),
                            partCol.data() + static_cast<size_t>(part) * m_, &partCost[part]);
    });
  } else {
    const double eps = epsCur_;
    std::vector<double> F(n_), G(m_);
    for (int64_t i = 0; i < n_; ++i) F[i] = p_.a[i] > 0 ? f_[i] + eps * std::log(static_cast<double>(p_.a[i])) : -kInf;
    for (int64_t j = 0; j < m_; ++j) G[j] = p_.b[j] > 0 ? g_[j] + eps * std::log(static_cast<double>(p_.b[j])) : -kInf;
    par_(n_, m_, [&](int64_t r0, int64_t r1, int part) {
      kernels::plan_log(p_.C, m_, r0, r1, F.data(), G.data(), 1.0 / eps, plan, rowSum.data(),
                        partCol.data() + static_cast<size_t>(part) * m_, &partCost[part]);
    });
  }
  double cost = 0;
  for (int q = 0; q < parts; ++q) {
    cost += partCost[q];
    const double* pc = partCol.data() + static_cast<size_t>(q) * m_;
    for (int64_t j = 0; j < m_; ++j) colSum[j] += pc[j];
  }
  return cost;
}

double Solver::marginal_error(const std::vector<double>& r, const std::vector<double>& c) const {
  double er = 0, ec = 0;
  if (o_.errorNorm == ErrorNorm::L1) {
    for (int64_t i = 0; i < n_; ++i) er += std::fabs(r[i] - p_.a[i]);
    for (int64_t j = 0; j < m_; ++j) ec += std::fabs(c[j] - p_.b[j]);
    return er + ec;
  }
  for (int64_t i = 0; i < n_; ++i) er += (r[i] - p_.a[i]) * (r[i] - p_.a[i]);
  for (int64_t j = 0; j < m_; ++j) ec += (c[j] - p_.b[j]) * (c[j] - p_.b[j]);
  return std::sqrt(er) + std::sqrt(ec);
}

double max_abs_diff(const std::vector<double>& u, const std::vector<double>& v) {
  double mx = 0;
  for (size_t i = 0; i < u.size(); ++i) mx = std::max(mx, std::fabs(u[i] - v[i]));
  return mx;
}

ProblemResult Solver::run() {
  f_.assign(n_, 0.0f);
  g_.assign(m_, 0.0f);
  loga_.resize(n_);
  logb_.resize(m_);
  for (int64_t i = 0; i < n_; ++i) loga_[i] = p_.a[i] > 0 ? std::log(p_.a[i]) : -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < m_; ++j) logb_[j] = p_.b[j] > 0 ? std::log(p_.b[j]) : -std::numeric_limits<float>::infinity();
  lseRow_.assign(n_, 0.0f);
  lseCol_.assign(m_, 0.0f);
  h_.assign(std::max(n_, m_), 0.0f);
  acc_.assign(m_, 0.0f);
  accRow_.assign(n_, 0.0f);

  bool wantScaling = o_.method != Method::Log;
  std::vector<double> fBefore, gBefore, fNow, gNow, rowSum, colSum;
  double error = kInf;
  bool converged = false, haveError = false;
  int64_t it = 0;
  epsCur_ = eps_at(o_, 0);
  while (it < o_.maxIter) {
    const double eps = eps_at(o_, it);
    const bool atTarget = eps == o_.eps;
    // With tol = 0 nothing can stop early: only the last iteration's error is needed.
    const bool checkHere = (o_.tol > 0 && (it + 1) % o_.checkEvery == 0) || it + 1 == o_.maxIter;
    // The scaling form starts after one log-domain iteration at eps, from potentials that are
    // already adapted to C (exp(−C/eps) alone would underflow at small eps).
    if (mode_ == Mode::Log && wantScaling && atTarget && it > 0 && eps_at(o_, it - 1) == o_.eps && !enter_scaling()) {
      wantScaling = false;  // f_, g_ are untouched: carry on in the log domain
    }
    if (!balanced_ && checkHere) potentials(fBefore, gBefore);
    if (mode_ == Mode::Scaling) {
      if (!scaling_iteration(tau_at(eps))) {
        // Redo this iteration: stabilised (fresh kernel) if that can help, else in the log domain.
        if (o_.method == Method::Auto && sinceAbsorb_ > 0) {
          absorb();
        } else {
          leave_scaling();
          wantScaling = false;
        }
        continue;
      }
    } else {
      log_iteration(eps, tau_at(eps));
    }
    ++it;
    epsCur_ = eps;
    haveError = false;
    if (checkHere) {
      if (balanced_) {
        plan_pass(false, rowSum, colSum);
        error = marginal_error(rowSum, colSum);
      } else {
        potentials(fNow, gNow);
        error = max_abs_diff(fNow, fBefore) + max_abs_diff(gNow, gBefore);
      }
      haveError = true;
      if (o_.tol > 0 && atTarget && error <= o_.tol) {
        converged = true;
        break;
      }
    }
  }

  // Final plan, potentials and reported values (in double).
  ProblemResult res;
  res.iterations = static_cast<int32_t>(it);
  potentials(fNow, gNow);
  res.cost = plan_pass(true, rowSum, colSum);
  if (balanced_) error = marginal_error(rowSum, colSum);
  else if (!haveError) error = kInf;  // unreachable: the last iteration is always a check
  for (int64_t i = 0; i < n_; ++i) p_.f[i] = to_float(fNow[i]);
  for (int64_t j = 0; j < m_; ++j) p_.g[j] = to_float(gNow[j]);

  // value = Σ f·(P1) + Σ g·(Pᵀ1) − eps·(ΣP − Σa·Σb) [+ rho·KL(P1‖a) + rho·KL(Pᵀ1‖b)], which equals
  // <P,C> + eps·KL(P‖a⊗b) [...] because log(P_ij / (a_i b_j)) = (f_i + g_j − C_ij)/eps.
  double fr = 0, gc = 0, mass = 0, sa = 0, sb = 0;
  for (int64_t i = 0; i < n_; ++i) {
    fr += fNow[i] * rowSum[i];
    mass += rowSum[i];
    sa += p_.a[i];
  }
  for (int64_t j = 0; j < m_; ++j) {
    gc += gNow[j] * colSum[j];
    sb += p_.b[j];
  }
  double value = fr + gc - epsCur_ * (mass - sa * sb);
  if (!balanced_) {
    auto kl = [](const std::vector<double>& p, const float* q, int64_t len) {
      double s = 0;
      for (int64_t i = 0; i < len; ++i) {
        const double qi = q[i];
        if (p[i] > 0) s += p[i] * std::log(p[i] / qi) - p[i] + qi;
        else s += qi;
      }
      return s;
    };
    value += o_.rho * (kl(rowSum, p_.a, n_) + kl(colSum, p_.b, m_));
  }
  res.value = value;
  res.error = error;
  // Converged means the check passed (at eps, with tol > 0): with tol = 0 every problem runs
  // maxIter iterations and reports converged = 0, like the reference.
  res.converged = converged;
  return res;
}

}  // namespace

namespace {

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

ProblemResult solve_problem(const ProblemView& p, const SinkhornOptions& o, const Splitter& par) {
  const FlushDenormals ftz;
  Solver s(p, o, par);
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

void sinkhorn(const RaggedLayout& L, const SinkhornInputs& in, const SinkhornOptions& o, const SinkhornOutputs& out,
              ThreadPool& pool) {
  validate_options(o);
  for_each_problem(L, o, pool, [&](int64_t k, const Splitter& par) {
    const int64_t n = L.rows[k], m = L.cols[k];
    std::vector<float> ua, ub;
    const Marginals w = problem_marginals(L, k, in.a, in.b, o, ua, ub);
    ProblemView p{n, m, in.cost + L.blockOffset[k], w.a, w.b, out.plan + L.blockOffset[k], out.f + L.rowOffset[k],
                  out.g + L.colOffset[k]};
    const ProblemResult r = solve_problem(p, o, par);
    out.cost[k] = r.cost;
    out.value[k] = r.value;
    out.iterations[k] = r.iterations;
    out.error[k] = r.error;
    out.converged[k] = r.converged ? 1 : 0;
  });
}

}  // namespace ot
