// The fused distillation step: cost from teacher/student tokens, Sinkhorn plan, and the gradient of
// <P, C> with respect to the student tokens with P held fixed (the envelope-theorem gradient of the
// entropic value at convergence).
#include <cmath>
#include <vector>

#include "cost_kernels.h"
#include "fast_math.h"
#include "ot.h"
#include "sinkhorn_internal.h"

namespace ot {

namespace {

// grad for one problem. T: n × dim teacher, S: m × dim student, P: n × m plan, C: its cost.
//   cosine:      grad_j = −(Σ_i P_ij t̂_i − (Σ_i P_ij cos_ij) ŝ_j) / ‖s_j‖   (clamped norms)
//   sqeuclidean: grad_j = 2 (Σ_i P_ij) s_j − 2 Σ_i P_ij t_i
//   dot:         grad_j = −Σ_i P_ij t_i
void student_gradient(CostKind kind, const float* T, const float* S, const float* P, const float* C, int64_t n,
                      int64_t m, int64_t dim, float* grad, const Splitter& par) {
  const FlushDenormals ftz;
  std::vector<float> tn, sn, that;
  const float* tt = T;
  if (kind == CostKind::Cosine) {
    tn.resize(n);
    sn.resize(m);
    kernels::row_norms(T, n, dim, tn.data());
    kernels::row_norms(S, m, dim, sn.data());
    that.resize(static_cast<size_t>(n) * dim);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t k = 0; k < dim; ++k) that[i * dim + k] = T[i * dim + k] / tn[i];
    tt = that.data();
  }
  // Column statistics of P: mass Σ_i P_ij and, for cosine, Σ_i P_ij cos_ij = mass − Σ_i P_ij C_ij.
  std::vector<double> mass(m, 0.0), pc(m, 0.0);
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < m; ++j) {
      const double p = P[i * m + j];
      mass[j] += p;
      pc[j] += p * C[i * m + j];
    }
  par(m, n * dim, [&](int64_t c0, int64_t c1, int) {
    kernels::plan_transpose_times(P, tt, n, m, dim, c0, c1, grad);  // grad[j] = Σ_i P_ij t_i (or t̂_i)
    for (int64_t j = c0; j < c1; ++j) {
      float* gj = grad + j * dim;
      const float* sj = S + j * dim;
      switch (kind) {
        case CostKind::Cosine: {
          const double w = mass[j] - pc[j];  // Σ_i P_ij cos_ij
          const double inv = 1.0 / sn[j];
          for (int64_t k = 0; k < dim; ++k)
            gj[k] = static_cast<float>(-(gj[k] - w * sj[k] * inv) * inv);
          break;
        }
        case CostKind::SqEuclidean:
          for (int64_t k = 0; k < dim; ++k) gj[k] = static_cast<float>(2.0 * (mass[j] * sj[k] - gj[k]));
          break;
        case CostKind::Dot:
          for (int64_t k = 0; k < dim; ++k) gj[k] = -gj[k];
          break;
      }
    }
  });
}

}  // namespace

void ot_loss(const RaggedLayout& L, const OtLossInputs& in, CostKind kind, const SinkhornOptions& o,
             const OtLossOutputs& out, ThreadPool& pool) {
  validate_options(o);
  const int64_t dim = in.dim;
  if (dim < 1) throw ArgumentError(ArgumentError::Kind::Range, "dim must be an integer >= 1, got " + std::to_string(dim));
  for_each_problem_checked(L, o, pool, [&](int64_t k, const Splitter& par) {
    const int64_t n = L.rows[k], m = L.cols[k];
    const float* T = in.teacher + L.rowOffset[k] * dim;
    const float* S = in.student + L.colOffset[k] * dim;
    std::vector<float> C(static_cast<size_t>(n) * m), ownPlan, f(n), g(m), ua, ub;
    float* plan = out.plan ? out.plan + L.blockOffset[k] : nullptr;
    if (!plan) {
      ownPlan.resize(static_cast<size_t>(n) * m);
      plan = ownPlan.data();
    }
    build_cost_block(kind, T, S, n, m, dim, C.data(), par);
    const Marginals w = problem_marginals(L, k, in.a, in.b, o, ua, ub);
    const ProblemView p{n, m, C.data(), w.a, w.b, plan, f.data(), g.data()};
    ProblemResult r;
    try {
      r = solve_problem(p, o, par, k);
    } catch (const NonFiniteCost& e) {
      // Finite embeddings whose squared distances or products overflow float32.
      throw ArgumentError(ArgumentError::Kind::Range,
                          "teacher/student of problem " + std::to_string(k) + ": the " + to_string(kind) +
                              " cost between teacher token " + std::to_string(e.row) + " and student token " +
                              std::to_string(e.col) + " is not a finite float32 (" + std::to_string(e.value) +
                              "); scale the embeddings down");
    }
    student_gradient(kind, T, S, plan, C.data(), n, m, dim, out.grad + L.colOffset[k] * dim, par);
    r.store(out, k);
  });
}

}  // namespace ot
