// Runs the CUDA kernels of native/cuda through the host emulator (cuda_emulator.h) and compares
// them with the CPU core (native/core, the reference the CPU addon serves) on ragged batches that
// cover every code path: log / scaling / auto, the scaling→log fallback, unbalanced, eps schedule,
// L1/L2, tol = 0, masked tokens, on-chip and streaming storage, the sliced and the one-thread-per-
// column column passes, the cost builders and the fused OT-loss gradient.
//
// Prints one line per scenario and a final "emulator: N passed, N failed"; exits 1 on any failure.
// Built and run by test/cuda/emulator.test.ts (g++ only: no GPU, no CUDA toolkit needed).
#include "cuda_emulator.h"

#include <chrono>
#include <cstdio>
#include <random>

#include "core/ot.h"
#include "cuda/cost_device.cuh"
#include "cuda/marginals.h"
#include "cuda/sinkhorn_device.cuh"
#include "cuda/sinkhorn_plan.h"
#include "cuda/wide_driver.h"
// The launch planning is host code in a .cu file: compile it here, with the emulator's keywords.
#include "cuda/sinkhorn_plan.cu"

using namespace optical::cuda;

namespace {

// H100: 227 KiB opt-in shared memory per block minus the kernel's static scratch (ptxas: 4288 B).
constexpr int64_t kH100Budget = 232448 - 4288;

struct Batch {
  std::vector<int32_t> rows, cols;
  std::vector<float> cost, a, b;
  bool hasA = false, hasB = false;
};

struct Outputs {
  std::vector<float> plan, f, g;
  std::vector<double> cost, value, error;
  std::vector<int32_t> iterations;
  std::vector<uint8_t> converged;

  void resize(const ot::RaggedLayout& L) {
    plan.assign(L.totalCells(), 0);
    f.assign(L.totalRows(), 0);
    g.assign(L.totalCols(), 0);
    cost.assign(L.batch, 0);
    value.assign(L.batch, 0);
    error.assign(L.batch, 0);
    iterations.assign(L.batch, 0);
    converged.assign(L.batch, 0);
  }
  ot::SinkhornOutputs view() {
    ot::SinkhornOutputs o;
    o.plan = plan.data();
    o.f = f.data();
    o.g = g.data();
    o.cost = cost.data();
    o.value = value.data();
    o.iterations = iterations.data();
    o.error = error.data();
    o.converged = converged.data();
    return o;
  }
};

ot::RaggedLayout layout_of(const Batch& b, int64_t dim = 0) {
  return ot::RaggedLayout::build(b.rows.data(), static_cast<int64_t>(b.rows.size()), b.cols.data(),
                                 static_cast<int64_t>(b.cols.size()), dim);
}

/** The emulated optical::cuda::sinkhorn: same marginals, same launch plan, same kernel. */
/** `multiprocessors` decides streaming (one block per problem) vs the multi-block path, as on a GPU
 *  with that many SMs. */
void emulated_sinkhorn(const ot::RaggedLayout& L, const float* cost, const float* a, const float* b,
                       const ot::SinkhornOptions& o, Outputs& out, int64_t budget, int multiprocessors = 1) {
  std::vector<float> A, B;
  materialise_marginals(L, a, b, std::isinf(o.rho), A, B);
  const SinkhornLaunchPlan plan = plan_sinkhorn_launch(L, kernel_method(o.method), budget, multiprocessors);
  SinkhornParams p = sinkhorn_option_params(o);
  p.rows = L.rows.data();
  p.cols = L.cols.data();
  p.rowOffset = L.rowOffset.data();
  p.colOffset = L.colOffset.data();
  p.blockOffset = L.blockOffset.data();
  p.cost = cost;
  p.a = A.data();
  p.b = B.data();
  // Outputs start as NaN: an entry the kernel never writes fails the comparison.
  const float nanF = std::numeric_limits<float>::quiet_NaN();
  std::fill(out.plan.begin(), out.plan.end(), nanF);
  std::fill(out.f.begin(), out.f.end(), nanF);
  std::fill(out.g.begin(), out.g.end(), nanF);
  p.plan = out.plan.data();
  p.f = out.f.data();
  p.g = out.g.data();
  p.cost_out = out.cost.data();
  p.value = out.value.data();
  p.iterations = out.iterations.data();
  p.error = out.error.data();
  p.converged = out.converged.data();
  for (const OnChipBin& bin : plan.onChip) {
    SinkhornParams q = p;
    q.problems = bin.problems.data();
    emu::launch(static_cast<unsigned>(bin.problems.size()), static_cast<unsigned>(bin.threads),
                static_cast<std::size_t>(bin.sharedBytes), [&] { sinkhorn_kernel<true>(q); });
  }
  if (!plan.streaming.empty()) {
    std::vector<float> workspace(static_cast<std::size_t>(plan.workspaceFloats), nanF);
    SinkhornParams q = p;
    q.problems = plan.streaming.data();
    q.workspaceOffset = plan.workspaceOffset.data();
    q.workspace = workspace.data();
    emu::launch(static_cast<unsigned>(plan.streaming.size()), static_cast<unsigned>(plan.streamingThreads), 0,
                [&] { sinkhorn_kernel<false>(q); });
  }
  if (!plan.wide.empty()) {
    const WideTasks tasks = build_wide_tasks(L, plan.wide);
    const std::size_t slots = plan.wide.size(), rowsTotal = L.totalRows(), colsTotal = L.totalCols();
    std::vector<float> partMx(tasks.partCount, nanF), f(rowsTotal, nanF), fn(rowsTotal, nanF), la(rowsTotal, nanF),
        rowVal(rowsTotal, nanF), g(colsTotal, nanF), gn(colsTotal, nanF), lb(colsTotal, nanF), colVal(colsTotal, nanF),
        err(slots, nanF), rowMaxC(rowsTotal, nanF), bestErr(slots, nanF);
    std::vector<double> partSum(tasks.partCount), rowMass(rowsTotal), rowCost(rowsTotal), colMass(colsTotal);
    std::vector<int32_t> active(slots, -1), lastIter(slots, -1), sinceBest(slots, -1);
    std::vector<uint8_t> convergedFlag(slots, 7);
    WideState w{};
    w.rowTasks = tasks.rows.data();
    w.colTasks = tasks.cols.data();
    w.combineTasks = tasks.combine.data();
    w.problems = plan.wide.data();
    w.partOffset = tasks.partOffset.data();
    w.partMx = partMx.data();
    w.partSum = partSum.data();
    w.f = f.data();
    w.fn = fn.data();
    w.la = la.data();
    w.rowVal = rowVal.data();
    w.rowMass = rowMass.data();
    w.rowCost = rowCost.data();
    w.g = g.data();
    w.gn = gn.data();
    w.lb = lb.data();
    w.colVal = colVal.data();
    w.colMass = colMass.data();
    w.active = active.data();
    w.lastIter = lastIter.data();
    w.convergedFlag = convergedFlag.data();
    w.err = err.data();
    w.rowMaxC = rowMaxC.data();
    w.bestErr = bestErr.data();
    w.sinceBest = sinceBest.data();
    auto launch = [](auto kernel, std::size_t grid, int block, const SinkhornParams& params, const WideState& state) {
      emu::launch(static_cast<unsigned>(grid), static_cast<unsigned>(block), 0, [&] { kernel(params, state); });
    };
    auto active_count = [&] {
      int c = 0;
      for (int32_t x : active) c += x != 0;
      return c;
    };
    run_wide(o, static_cast<int32_t>(slots), tasks, p, w, launch, active_count);
  }
}

struct Diff {
  double plan = 0, fg = 0, cost = 0, value = 0, error = 0;
  int iterations = 0, converged = 0;
  bool nonFinite = false;
};

template <class T>
bool same_bits(const std::vector<T>& x, const std::vector<T>& y) {
  return x.size() == y.size() && std::memcmp(x.data(), y.data(), x.size() * sizeof(T)) == 0;
}

/** FNV-1a over the bytes of every output: printed per scenario, so a refactoring of a kernel can be
 *  checked to leave its results bit-identical (compare the "bits" of two runs). */
struct BitHash {
  uint64_t h = 1469598103934665603ull;
  template <class T>
  BitHash& add(const std::vector<T>& v) {
    const auto* p = reinterpret_cast<const unsigned char*>(v.data());
    for (std::size_t i = 0; i < v.size() * sizeof(T); ++i) h = (h ^ p[i]) * 1099511628211ull;
    return *this;
  }
};

double rel(double x, double y) { return std::fabs(x - y) / std::max(1e-12, std::max(std::fabs(x), std::fabs(y))); }

int failures = 0, passes = 0;

/** One line per scenario, with its wall time (time since the previous line). */
void report(const std::string& name, bool ok, const std::string& detail) {
  static auto last = std::chrono::steady_clock::now();
  const auto now = std::chrono::steady_clock::now();
  const double ms = std::chrono::duration<double, std::milli>(now - last).count();
  last = now;
  std::printf("%s %s: %s  [%.0f ms]\n", ok ? "ok  " : "FAIL", name.c_str(), detail.c_str(), ms);
  (ok ? passes : failures)++;
}

/** Compares against ot::sinkhorn on the same batch. Tolerances: float32 kernels with different
 *  summation orders; plan and potentials agree to ~1e-5 of their scale when both converge. */
void check_sinkhorn(const std::string& name, const Batch& batch, const ot::SinkhornOptions& o, int64_t budget,
                    bool expectSameIterations = true, int multiprocessors = 1) {
  const ot::RaggedLayout L = layout_of(batch);
  Outputs ref, got;
  ref.resize(L);
  got.resize(L);
  ot::SinkhornInputs in;
  in.cost = batch.cost.data();
  in.a = batch.hasA ? batch.a.data() : nullptr;
  in.b = batch.hasB ? batch.b.data() : nullptr;
  ot::sinkhorn(L, in, o, ref.view(), ot::default_pool());
  Outputs rev;
  rev.resize(L);
  try {
    emulated_sinkhorn(L, in.cost, in.a, in.b, o, got, budget, multiprocessors);
    emu::run_in_order(emu::Order::Reverse,
                      [&] { emulated_sinkhorn(L, in.cost, in.a, in.b, o, rev, budget, multiprocessors); });
  } catch (const std::exception& e) {
    report(name, false, e.what());
    return;
  }
  const bool orderIndependent = same_bits(got.plan, rev.plan) && same_bits(got.f, rev.f) && same_bits(got.g, rev.g) &&
                                same_bits(got.cost, rev.cost) && same_bits(got.value, rev.value) &&
                                same_bits(got.error, rev.error) && got.iterations == rev.iterations &&
                                got.converged == rev.converged;
  Diff d;
  double planScale = 0, fgScale = 1;
  for (std::size_t x = 0; x < ref.plan.size(); ++x) {
    planScale = std::max(planScale, static_cast<double>(std::fabs(ref.plan[x])));
    d.nonFinite |= !std::isfinite(got.plan[x]);
    d.plan = std::max(d.plan, static_cast<double>(std::fabs(ref.plan[x] - got.plan[x])));
  }
  d.plan /= std::max(planScale, 1e-30);
  for (std::size_t i = 0; i < ref.f.size(); ++i) fgScale = std::max(fgScale, static_cast<double>(std::fabs(ref.f[i])));
  for (std::size_t j = 0; j < ref.g.size(); ++j) fgScale = std::max(fgScale, static_cast<double>(std::fabs(ref.g[j])));
  for (std::size_t i = 0; i < ref.f.size(); ++i) {
    d.nonFinite |= !std::isfinite(got.f[i]);
    d.fg = std::max(d.fg, std::fabs(ref.f[i] - got.f[i]) / fgScale);
  }
  for (std::size_t j = 0; j < ref.g.size(); ++j) {
    d.nonFinite |= !std::isfinite(got.g[j]);
    d.fg = std::max(d.fg, std::fabs(ref.g[j] - got.g[j]) / fgScale);
  }
  for (int64_t k = 0; k < L.batch; ++k) {
    d.cost = std::max(d.cost, rel(ref.cost[k], got.cost[k]));
    d.value = std::max(d.value, std::fabs(ref.value[k] - got.value[k]) / std::max(1e-3, std::fabs(ref.value[k])));
    d.error = std::max(d.error, std::fabs(ref.error[k] - got.error[k]));
    d.iterations = std::max(d.iterations, std::abs(ref.iterations[k] - got.iterations[k]));
    d.converged += ref.converged[k] != got.converged[k];
    d.nonFinite |= !std::isfinite(got.cost[k]) || !std::isfinite(got.value[k]);
  }
  const int iterSlack = expectSameIterations ? static_cast<int>(o.checkEvery) : static_cast<int>(o.maxIter);
  const bool ok = orderIndependent && !d.nonFinite && d.plan <= 2e-4 && d.fg <= 2e-4 && d.cost <= 2e-4 && d.value <= 2e-4 &&
                  d.error <= std::max(1e-5, 10 * o.tol) && d.iterations <= iterSlack &&
                  (d.converged == 0 || !expectSameIterations);
  const uint64_t bits = BitHash()
                            .add(got.plan)
                            .add(got.f)
                            .add(got.g)
                            .add(got.cost)
                            .add(got.value)
                            .add(got.error)
                            .add(got.iterations)
                            .add(got.converged)
                            .h;
  char buf[512];
  std::snprintf(buf, sizeof buf,
                "plan %.2e  f/g %.2e  cost %.2e  value %.2e  |Δerror| %.2e  |Δiter| %d  Δconverged %d  (iters ref %d got %d)  bits %016llx%s",
                d.plan, d.fg, d.cost, d.value, d.error, d.iterations, d.converged, ref.iterations.back(),
                got.iterations.back(), static_cast<unsigned long long>(bits), d.nonFinite ? "  NON-FINITE OUTPUT" : "");
  report(name, ok, std::string(buf) + (orderIndependent ? "" : "  RACE: output depends on the thread schedule"));
}

/** A tol below the float32 error floor: native/core stops every problem at the floor (converged = 1,
 *  error > tol, before maxIter); the kernels must do the same, with the same plans. Where the
 *  plateau is detected depends on rounding, so iteration counts may differ by a few checks. */
/** `kernelsAtFloor`: false where the kernels may instead land on an exact float fixed point (error 0,
 *  converged by tol) — unbalanced problems at moderate eps do. */
void check_floor(const std::string& name, const Batch& batch, const ot::SinkhornOptions& o, int64_t budget,
                 int multiprocessors = 1, bool kernelsAtFloor = true) {
  const ot::RaggedLayout L = layout_of(batch);
  Outputs ref, got, rev;
  ref.resize(L);
  got.resize(L);
  rev.resize(L);
  ot::SinkhornInputs in;
  in.cost = batch.cost.data();
  in.a = batch.hasA ? batch.a.data() : nullptr;
  in.b = batch.hasB ? batch.b.data() : nullptr;
  ot::sinkhorn(L, in, o, ref.view(), ot::default_pool());
  try {
    emulated_sinkhorn(L, in.cost, in.a, in.b, o, got, budget, multiprocessors);
    emu::run_in_order(emu::Order::Reverse,
                      [&] { emulated_sinkhorn(L, in.cost, in.a, in.b, o, rev, budget, multiprocessors); });
  } catch (const std::exception& e) {
    report(name, false, e.what());
    return;
  }
  const bool orderIndependent = same_bits(got.plan, rev.plan) && same_bits(got.f, rev.f) && same_bits(got.g, rev.g) &&
                                got.iterations == rev.iterations && got.converged == rev.converged;
  // Every problem stops before maxIter with converged = 1; those not solved exactly (1×1 blocks
  // are) stop at the floor with error > tol.
  auto floored = [&](const Outputs& out, int& atFloor, bool needFloor) {
    bool all = true;
    atFloor = 0;
    for (int64_t k = 0; k < L.batch; ++k) {
      all &= out.converged[k] == 1 && out.iterations[k] < o.maxIter;
      atFloor += out.error[k] > o.tol;
    }
    return all && (atFloor > 0 || !needFloor);
  };
  double plan = 0, planScale = 0;
  int dIter = 0;
  for (std::size_t x = 0; x < ref.plan.size(); ++x) {
    planScale = std::max(planScale, static_cast<double>(std::fabs(ref.plan[x])));
    plan = std::max(plan, static_cast<double>(std::fabs(ref.plan[x] - got.plan[x])));
  }
  plan /= std::max(planScale, 1e-30);
  int refMax = 0, gotMax = 0;
  for (int64_t k = 0; k < L.batch; ++k) {
    dIter = std::max(dIter, std::abs(ref.iterations[k] - got.iterations[k]));
    refMax = std::max(refMax, ref.iterations[k]);
    gotMax = std::max(gotMax, got.iterations[k]);
  }
  int refAt = 0, gotAt = 0;
  const bool refFloored = floored(ref, refAt, true), gotFloored = floored(got, gotAt, kernelsAtFloor);
  char buf[400];
  std::snprintf(buf, sizeof buf,
                "all stopped (converged = 1) before maxIter: core %s (%d at the floor), kernels %s (%d at the floor); "
                "most iterations %d / %d of %lld  plan %.2e  |Δiter| %d%s",
                refFloored ? "yes" : "NO", refAt, gotFloored ? "yes" : "NO", gotAt, refMax, gotMax,
                static_cast<long long>(o.maxIter), plan, dIter,
                orderIndependent ? "" : "  RACE: output depends on the thread schedule");
  report(name, orderIndependent && refFloored && gotFloored && plan <= 2e-4, buf);
}

Batch random_batch(std::mt19937& rng, const std::vector<std::pair<int, int>>& shapes, bool weights, bool masks) {
  Batch b;
  std::uniform_real_distribution<float> u(0.f, 1.f);
  for (auto [n, m] : shapes) {
    b.rows.push_back(n);
    b.cols.push_back(m);
    for (int x = 0; x < n * m; ++x) b.cost.push_back(u(rng));
    if (weights) {
      std::vector<float> a(n), w(m);
      double sa = 0, sb = 0;
      for (int i = 0; i < n; ++i) sa += a[i] = (masks && n > 2 && i % 3 == 1) ? 0.f : 0.2f + u(rng);
      for (int j = 0; j < m; ++j) sb += w[j] = (masks && m > 2 && j % 4 == 2) ? 0.f : 0.2f + u(rng);
      for (float& x : a) b.a.push_back(static_cast<float>(x / sa));
      for (float& x : w) b.b.push_back(static_cast<float>(x / sb));
    }
  }
  b.hasA = b.hasB = weights;
  return b;
}

ot::SinkhornOptions options(ot::Method method, double eps = 0.05, double tol = 1e-6, int64_t maxIter = 400) {
  ot::SinkhornOptions o;
  o.method = method;
  o.eps = eps;
  o.epsInit = eps;
  o.tol = tol;
  o.maxIter = maxIter;
  o.checkEvery = 10;
  return o;
}

// ---- cost builders and the OT loss -------------------------------------------------------------

struct Pairs {
  std::vector<int32_t> rows, cols;
  int64_t dim = 0;
  std::vector<float> x, y;
};

Pairs random_pairs(std::mt19937& rng, const std::vector<std::pair<int, int>>& shapes, int64_t dim) {
  Pairs p;
  p.dim = dim;
  std::normal_distribution<float> nd(0.f, 1.f);
  for (auto [n, m] : shapes) {
    p.rows.push_back(n);
    p.cols.push_back(m);
    for (int64_t x = 0; x < n * dim; ++x) p.x.push_back(nd(rng) * 0.3f);
    for (int64_t x = 0; x < m * dim; ++x) p.y.push_back(nd(rng) * 0.3f);
  }
  // One all-zero vector exercises the 1e-8 norm clamp of the cosine cost.
  std::fill(p.y.begin(), p.y.begin() + dim, 0.f);
  return p;
}

ot::RaggedLayout layout_of(const Pairs& p) {
  return ot::RaggedLayout::build(p.rows.data(), static_cast<int64_t>(p.rows.size()), p.cols.data(),
                                 static_cast<int64_t>(p.cols.size()), p.dim);
}

/** The emulated cost chain of optical::cuda::cost_matrices / ot_loss (norms, tiles, cost kernel). */
void emulated_costs(const ot::RaggedLayout& L, int64_t dim, const float* x, const float* y, ot::CostKind kind,
                    std::vector<float>& out, std::vector<float>& xn, std::vector<float>& yn) {
  xn.assign(L.totalRows(), std::numeric_limits<float>::quiet_NaN());
  yn.assign(L.totalCols(), std::numeric_limits<float>::quiet_NaN());
  const int kindIndex = kind == ot::CostKind::Cosine ? kCosine : kind == ot::CostKind::SqEuclidean ? kSqEuclidean : kDot;
  if (kindIndex == kCosine) {
    auto norms = [&](const float* v, int64_t count, float* o) {
      const unsigned blocks = static_cast<unsigned>((count + 7) / 8);
      emu::launch(blocks, 256, 0, [&] { clamped_norms_kernel(v, count, dim, o); });
    };
    norms(x, L.totalRows(), xn.data());
    norms(y, L.totalCols(), yn.data());
  }
  std::vector<CostTile> tiles;
  for (int64_t k = 0; k < L.batch; ++k)
    for (int32_t i0 = 0; i0 < L.rows[k]; i0 += kTile)
      for (int32_t j0 = 0; j0 < L.cols[k]; j0 += kTile) tiles.push_back({static_cast<int32_t>(k), i0, j0});
  out.assign(L.totalCells(), std::numeric_limits<float>::quiet_NaN());
  const auto grid = static_cast<unsigned>(tiles.size());
  auto run = [&](auto kernel) {
    emu::launch(grid, kTileThreads, 0, [&] {
      kernel(tiles.data(), L.rows.data(), L.cols.data(), L.rowOffset.data(), L.colOffset.data(),
             L.blockOffset.data(), dim, x, y, xn.data(), yn.data(), out.data());
    });
  };
  if (kindIndex == kCosine) run(cost_kernel<kCosine>);
  else if (kindIndex == kSqEuclidean) run(cost_kernel<kSqEuclidean>);
  else run(cost_kernel<kDot>);
}

void check_costs(const std::string& name, const Pairs& p, ot::CostKind kind) {
  const ot::RaggedLayout L = layout_of(p);
  std::vector<float> ref(L.totalCells()), got, xn, yn, rev, rxn, ryn;
  ot::cost_matrices(L, p.dim, p.x.data(), p.y.data(), kind, ref.data(), ot::default_pool(), 0);
  try {
    emulated_costs(L, p.dim, p.x.data(), p.y.data(), kind, got, xn, yn);
    emu::run_in_order(emu::Order::Reverse, [&] { emulated_costs(L, p.dim, p.x.data(), p.y.data(), kind, rev, rxn, ryn); });
  } catch (const std::exception& e) {
    report(name, false, e.what());
    return;
  }
  double worst = 0;
  bool finite = true;
  for (std::size_t i = 0; i < ref.size(); ++i) {
    finite &= std::isfinite(got[i]);
    worst = std::max(worst, std::fabs(static_cast<double>(ref[i]) - got[i]) / (1.0 + std::fabs(ref[i])));
  }
  // The per-problem max |C| of the eps resolution check (optical::cuda::check_eps_resolution).
  std::vector<float> maxima(L.batch, std::numeric_limits<float>::quiet_NaN());
  emu::launch(static_cast<unsigned>(L.batch), 256, 0,
              [&] { max_abs_cost_kernel(L.blockOffset.data(), got.data(), maxima.data()); });
  bool maximaOk = true;
  for (int64_t k = 0; k < L.batch; ++k) {
    float mx = 0.f;
    for (int64_t x = L.blockOffset[k]; x < L.blockOffset[k + 1]; ++x) mx = std::max(mx, std::fabs(got[x]));
    maximaOk &= maxima[k] == mx;
  }
  const bool orderIndependent = same_bits(got, rev);
  char buf[240];
  std::snprintf(buf, sizeof buf, "max |ΔC|/(1+|C|) %.2e  bits %016llx%s%s%s", worst,
                static_cast<unsigned long long>(BitHash().add(got).h), finite ? "" : "  NON-FINITE",
                orderIndependent ? "" : "  RACE: output depends on the thread schedule",
                maximaOk ? "" : "  WRONG per-problem max |C|");
  report(name, orderIndependent && finite && maximaOk && worst <= 1e-5, buf);
}

void check_loss(const std::string& name, const Pairs& p, ot::CostKind kind, const ot::SinkhornOptions& o) {
  const ot::RaggedLayout L = layout_of(p);
  const int64_t B = L.batch;
  std::vector<double> rc(B), rv(B), re(B);
  std::vector<int32_t> ri(B);
  std::vector<uint8_t> rconv(B);
  std::vector<float> rgrad(L.totalCols() * p.dim), rplan(L.totalCells());
  ot::OtLossInputs in;
  in.dim = p.dim;
  in.teacher = p.x.data();
  in.student = p.y.data();
  ot::OtLossOutputs ro;
  ro.cost = rc.data();
  ro.value = rv.data();
  ro.grad = rgrad.data();
  ro.iterations = ri.data();
  ro.error = re.data();
  ro.converged = rconv.data();
  ro.plan = rplan.data();
  ot::ot_loss(L, in, kind, o, ro, ot::default_pool());

  std::vector<float> C, xn, yn, grad(L.totalCols() * p.dim, std::numeric_limits<float>::quiet_NaN());
  std::vector<float> gradReverse(grad.size(), std::numeric_limits<float>::quiet_NaN());
  Outputs got;
  got.resize(L);
  try {
    emulated_costs(L, p.dim, p.x.data(), p.y.data(), kind, C, xn, yn);
    emulated_sinkhorn(L, C.data(), nullptr, nullptr, o, got, kH100Budget);
    std::vector<GradTile> tiles;
    for (int64_t k = 0; k < B; ++k)
      for (int32_t j0 = 0; j0 < L.cols[k]; j0 += kTile)
        for (int64_t d0 = 0; d0 < p.dim; d0 += kGradDims) tiles.push_back({static_cast<int32_t>(k), j0, static_cast<int32_t>(d0)});
    auto run = [&](auto kernel) {
      auto once = [&](std::vector<float>& out) {
        emu::launch(static_cast<unsigned>(tiles.size()), kTileThreads, 0, [&] {
          kernel(tiles.data(), L.rows.data(), L.cols.data(), L.rowOffset.data(), L.colOffset.data(),
                 L.blockOffset.data(), p.dim, p.x.data(), p.y.data(), xn.data(), yn.data(), C.data(), got.plan.data(),
                 out.data());
        });
      };
      once(grad);
      emu::run_in_order(emu::Order::Reverse, [&] { once(gradReverse); });
    };
    if (kind == ot::CostKind::Cosine) run(grad_kernel<kCosine>);
    else if (kind == ot::CostKind::SqEuclidean) run(grad_kernel<kSqEuclidean>);
    else run(grad_kernel<kDot>);
  } catch (const std::exception& e) {
    report(name, false, e.what());
    return;
  }
  double gscale = 1e-12, gworst = 0, cworst = 0, vworst = 0;
  bool finite = true;
  for (float v : rgrad) gscale = std::max(gscale, static_cast<double>(std::fabs(v)));
  for (std::size_t x = 0; x < rgrad.size(); ++x) {
    finite &= std::isfinite(grad[x]);
    gworst = std::max(gworst, std::fabs(static_cast<double>(rgrad[x]) - grad[x]) / gscale);
  }
  for (int64_t k = 0; k < B; ++k) {
    cworst = std::max(cworst, rel(rc[k], got.cost[k]));
    vworst = std::max(vworst, std::fabs(rv[k] - got.value[k]) / std::max(1e-3, std::fabs(rv[k])));
  }
  const bool orderIndependent = same_bits(grad, gradReverse);
  const uint64_t bits = BitHash().add(grad).add(got.plan).add(got.cost).add(got.value).add(got.iterations).h;
  char buf[240];
  std::snprintf(buf, sizeof buf, "grad %.2e (of max |grad|)  cost %.2e  value %.2e  (iters ref %d got %d)  bits %016llx%s%s",
                gworst, cworst, vworst, ri.back(), got.iterations.back(), static_cast<unsigned long long>(bits),
                finite ? "" : "  NON-FINITE",
                orderIndependent ? "" : "  RACE: output depends on the thread schedule");
  report(name, orderIndependent && finite && gworst <= 5e-4 && cworst <= 2e-4 && vworst <= 2e-4, buf);
}

}  // namespace

/** The launch plan: every problem exactly once, ≤ kMaxOnChipBins on-chip launches, each reserving
 *  enough shared memory for its members, small problems not charged for large ones. */
void check_plan() {
  const std::vector<int32_t> rows = {1, 3, 17, 40, 70, 9, 300, 2}, cols = {1, 7, 5, 33, 129, 64, 400, 2};
  const ot::RaggedLayout L = ot::RaggedLayout::build(rows.data(), 8, cols.data(), 8);
  const SinkhornLaunchPlan plan = plan_sinkhorn_launch(L, KernelMethod::Auto, kH100Budget, 132);
  std::vector<int> seen(8, 0);
  bool ok = plan.onChip.size() <= kMaxOnChipBins && plan.onChip.size() >= 2;
  for (const OnChipBin& bin : plan.onChip) {
    ok &= bin.threads >= 64 && bin.threads <= kMaxOnChipThreads && bin.sharedBytes <= kH100Budget;
    for (int32_t k : bin.problems) {
      ++seen[k];
      ok &= 4 * (int64_t{rows[k]} * cols[k] + sinkhorn_vector_floats(rows[k], cols[k])) <= bin.sharedBytes;
    }
  }
  for (int32_t k : plan.streaming) ++seen[k];
  for (int32_t k : plan.wide) ++seen[k];
  for (int c : seen) ok &= c == 1;
  // 300×400 (480 kB) does not fit; a single large problem is split across blocks (132 SMs).
  ok &= plan.wide == std::vector<int32_t>{6} && plan.streaming.empty();
  // The 1×1 problem's launch must not reserve the 70×129 problem's 40 kB.
  for (const OnChipBin& bin : plan.onChip)
    for (int32_t k : bin.problems)
      if (k == 0) ok &= bin.sharedBytes < 4096;
  report("launch plan (bins, streaming, multi-block)", ok,
         std::to_string(plan.onChip.size()) + " on-chip launches, " + std::to_string(plan.wide.size()) + " multi-block");
}

int main() {
  std::mt19937 rng(20261122);
  check_plan();
  // Shapes: 1×1, thin, m < 32 (one lane group), m > T/2 (one slice), tall, ≥ 64 in both.
  const std::vector<std::pair<int, int>> mixed = {{1, 1}, {3, 7}, {17, 5}, {40, 33}, {70, 129}, {9, 64}};
  const Batch uniform = random_batch(rng, mixed, false, false);
  const Batch weighted = random_batch(rng, mixed, true, true);

  for (auto method : {ot::Method::Log, ot::Method::Scaling, ot::Method::Auto}) {
    const std::string m = ot::to_string(method);
    check_sinkhorn("sinkhorn " + m + " uniform, on-chip", uniform, options(method), kH100Budget);
    check_sinkhorn("sinkhorn " + m + " masked weights, on-chip", weighted, options(method), kH100Budget);
    check_sinkhorn("sinkhorn " + m + " masked weights, streaming", weighted, options(method), 0);
  }
  {
    ot::SinkhornOptions o = options(ot::Method::Auto);
    o.rho = 0.5;
    check_sinkhorn("sinkhorn unbalanced rho=0.5 auto", weighted, o, kH100Budget);
    o.method = ot::Method::Log;
    check_sinkhorn("sinkhorn unbalanced rho=0.5 log, streaming", weighted, o, 0);
  }
  {
    ot::SinkhornOptions o = options(ot::Method::Auto, 0.02);
    o.epsInit = 1.0;
    o.epsDecay = 0.8;
    check_sinkhorn("sinkhorn eps schedule 1→0.02 auto", uniform, o, kH100Budget);
  }
  {
    ot::SinkhornOptions o = options(ot::Method::Log, 0.05, 0.0, 37);
    o.checkEvery = 5;
    o.errorNorm = ot::ErrorNorm::L2;
    check_sinkhorn("sinkhorn tol=0 maxIter=37 L2", weighted, o, kH100Budget);
  }
  {
    // eps = 0.004 on costs in [0, 1]: e^{−1/0.004} underflows float, so the scaling form must hand
    // over to the log domain (auto early, scaling at the genuine underflow).
    ot::SinkhornOptions o = options(ot::Method::Scaling, 0.004, 1e-5, 300);
    check_sinkhorn("sinkhorn scaling→log fallback (eps 0.004)", weighted, o, kH100Budget, false);
    o.method = ot::Method::Auto;
    check_sinkhorn("sinkhorn auto→log fallback (eps 0.004)", weighted, o, kH100Budget, false);
  }
  {
    // m ≥ 512 = the streaming block: the one-thread-per-column pass.
    const Batch wide = random_batch(rng, {{6, 600}, {130, 20}}, true, false);
    check_sinkhorn("sinkhorn streaming wide (m ≥ T) log", wide, options(ot::Method::Log, 0.05, 1e-6, 200), 0);
    check_sinkhorn("sinkhorn streaming wide (m ≥ T) auto", wide, options(ot::Method::Auto, 0.05, 1e-6, 200), 0);
  }

  {
    // The multi-block path (fewer large problems than SMs): rows in several 8-row blocks, columns
    // in several 256-row chunks (n = 300 > 256) and 256-column tiles (m = 600 > 256).
    const Batch large = random_batch(rng, {{300, 40}, {6, 600}, {1, 1}}, true, true);
    check_sinkhorn("sinkhorn multi-block log", large, options(ot::Method::Log, 0.05, 1e-6, 300), 0, true, 132);
    check_sinkhorn("sinkhorn multi-block auto (log iterates)", large, options(ot::Method::Auto, 0.05, 1e-6, 300), 0, true, 132);
    ot::SinkhornOptions o = options(ot::Method::Log, 0.05, 1e-6, 300);
    o.rho = 0.5;
    check_sinkhorn("sinkhorn multi-block unbalanced", large, o, 0, true, 132);
    o = options(ot::Method::Log, 0.02, 0.0, 45);
    o.epsInit = 0.5;
    o.epsDecay = 0.9;
    o.errorNorm = ot::ErrorNorm::L2;
    o.checkEvery = 7;
    check_sinkhorn("sinkhorn multi-block schedule, tol=0, L2", large, o, 0, true, 132);
  }

  {
    // tol below the float32 floor (native/core's rule: converged = 1 with error > tol at the plateau).
    ot::SinkhornOptions o = options(ot::Method::Log, 0.05, 1e-10, 1500);
    check_floor("float32 floor: log, on-chip", uniform, o, kH100Budget);
    check_floor("float32 floor: log, streaming, masked weights", weighted, o, 0);
    o.method = ot::Method::Auto;
    check_floor("float32 floor: auto (scaling form), on-chip", weighted, o, kH100Budget);
    // Unbalanced: the potential change reaches its floor at small eps (at eps 0.05 the float
    // iteration lands on an exact fixed point instead, error 0).
    o = options(ot::Method::Log, 0.002, 1e-10, 2000);
    o.rho = 0.5;
    check_floor("float32 floor: unbalanced, on-chip", weighted, o, kH100Budget);
    o = options(ot::Method::Log, 0.05, 1e-10, 1500);
    std::mt19937 own(7);  // (its own generator: the scenarios below keep their data)
    const Batch large = random_batch(own, {{300, 40}, {6, 600}}, true, false);
    check_floor("float32 floor: multi-block", large, o, 0, 132);
    // (Here the kernels' float iteration reaches an exact fixed point; the unbalanced floor itself
    // is exercised on chip above: at the eps where the multi-block kernels plateau, a run takes
    // over 10 s in the emulator.)
    o = options(ot::Method::Log, 0.01, 1e-10, 2000);
    o.rho = 0.05;
    check_floor("float32 floor: multi-block unbalanced (floor or exact fixed point)", large, o, 0, 132, false);
  }

  const std::vector<std::pair<int, int>> tokens = {{5, 7}, {33, 40}, {1, 3}};
  for (int64_t dim : {3, 32, 45}) {
    const Pairs p = random_pairs(rng, tokens, dim);
    check_costs("cost cosine dim " + std::to_string(dim), p, ot::CostKind::Cosine);
    check_costs("cost sqeuclidean dim " + std::to_string(dim), p, ot::CostKind::SqEuclidean);
    check_costs("cost dot dim " + std::to_string(dim), p, ot::CostKind::Dot);
  }
  {
    const Pairs p = random_pairs(rng, {{6, 9}, {20, 13}}, 40);
    ot::SinkhornOptions o = options(ot::Method::Auto, 0.1, 1e-6, 500);
    check_loss("otLoss cosine", p, ot::CostKind::Cosine, o);
    check_loss("otLoss sqeuclidean", p, ot::CostKind::SqEuclidean, o);
    check_loss("otLoss dot", p, ot::CostKind::Dot, o);
    // Several 32-row chunks, 32-column tiles and a partial 64-dim tile in the gradient GEMM.
    const Pairs q = random_pairs(rng, {{40, 35}, {3, 70}}, 70);
    check_loss("otLoss cosine, multi-tile gradient", q, ot::CostKind::Cosine, o);
    check_loss("otLoss sqeuclidean, multi-tile gradient", q, ot::CostKind::SqEuclidean, o);
  }

  std::printf("emulator: %d passed, %d failed\n", passes, failures);
  return failures == 0 ? 0 : 1;
}
