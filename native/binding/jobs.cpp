#include "jobs.h"

#include <cmath>

namespace optical {

namespace {

// Keeps a JS output array alive from job creation until the result object is built.
template <class TA>
struct Output {
  Napi::Reference<TA> ref;
  decltype(std::declval<TA>().Data()) data = nullptr;

  void create(Napi::Env env, int64_t length, const char* what, bool reusable = false) {
    TA a = allocate<TA>(env, length, what, reusable);
    data = a.Data();
    ref = Napi::Persistent(a);
  }
  TA value() const { return ref.Value(); }
};

ot::RaggedLayout read_layout(const Napi::Object& input, const Kernels& k, int64_t dim = 0) {
  const IntInput rows = read_int32_array(input, "rows", "rows");
  const IntInput cols = read_int32_array(input, "cols", "cols");
  ot::RaggedLayout L = ot::RaggedLayout::build(rows.values.data(), static_cast<int64_t>(rows.values.size()),
                                               cols.values.data(), static_cast<int64_t>(cols.values.size()), dim);
  if (k.checkLayout) k.checkLayout(L);
  return L;
}

class SinkhornJob : public Job {
 public:
  SinkhornJob(const Napi::CallbackInfo& info, bool copy, const Kernels& k) : k_(k) {
    const Napi::Env env = info.Env();
    const Napi::Object problem = require_object(info[0], "problem");
    const ParsedOptions o = read_options(info[1]);
    options_ = o.sinkhorn;
    returnPlan_ = o.returnPlan.value_or(true);
    layout_ = read_layout(problem, k);
    cost_ = read_float_array(problem, "cost", "cost", copy, false);
    // The entries are checked at no extra pass: by the copy of an async call, or by the kernels'
    // first pass (CPU). Only a backend that does not check them costs a scan here.
    const bool known = cost_.firstNonFinite != ot::kScanCost;
    ot::validate_cost(layout_, cost_.data, cost_.length, "cost",
                      known ? cost_.firstNonFinite : k.checksCostEntries ? -1 : ot::kScanCost);
    if (!k.checksCostEntries) ot::validate_eps_resolution(layout_, cost_.data, options_.eps);
    a_ = read_float_array(problem, "a", "a", copy, true);
    if (a_.present) ot::validate_marginal(layout_, a_.data, a_.length, true, "a");
    b_ = read_float_array(problem, "b", "b", copy, true);
    if (b_.present) ot::validate_marginal(layout_, b_.data, b_.length, false, "b");
    if (std::isinf(options_.rho)) ot::validate_balanced_mass(layout_, a_.data, b_.data);
    const int64_t B = layout_.batch;
    if (returnPlan_) plan_.create(env, layout_.totalCells(), "plan", copy);
    else if (!k.planOptional) planScratch_ = ot::BigBuffer(static_cast<size_t>(layout_.totalCells()) * sizeof(float));
    f_.create(env, layout_.totalRows(), "f");
    g_.create(env, layout_.totalCols(), "g");
    cost_out_.create(env, B, "cost");
    value_.create(env, B, "value");
    iterations_.create(env, B, "iterations");
    error_.create(env, B, "error");
    converged_.create(env, B, "converged");
  }

  void execute() override {
    ot::SinkhornInputs in;
    in.cost = cost_.data;
    in.a = a_.present ? a_.data : nullptr;
    in.b = b_.present ? b_.data : nullptr;
    ot::SinkhornOutputs out;
    out.plan = returnPlan_ ? plan_.data : planScratch_.as<float>();
    out.f = f_.data;
    out.g = g_.data;
    out.cost = cost_out_.data;
    out.value = value_.data;
    out.iterations = iterations_.data;
    out.error = error_.data;
    out.converged = converged_.data;
    k_.sinkhorn(layout_, in, options_, out);
  }

  Napi::Value result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    if (returnPlan_) r.Set("plan", plan_.value());
    r.Set("f", f_.value());
    r.Set("g", g_.value());
    r.Set("cost", cost_out_.value());
    r.Set("value", value_.value());
    r.Set("iterations", iterations_.value());
    r.Set("error", error_.value());
    r.Set("converged", converged_.value());
    return r;
  }

 private:
  const Kernels& k_;
  ot::SinkhornOptions options_;
  bool returnPlan_ = true;
  ot::RaggedLayout layout_;
  FloatInput cost_, a_, b_;
  ot::BigBuffer planScratch_;  // no plan wanted, but the backend needs one to write
  Output<Napi::Float32Array> plan_, f_, g_;
  Output<Napi::Float64Array> cost_out_, value_, error_;
  Output<Napi::Int32Array> iterations_;
  Output<Napi::Uint8Array> converged_;
};

class CostJob : public Job {
 public:
  CostJob(const Napi::CallbackInfo& info, bool copy, const Kernels& k) : k_(k) {
    const Napi::Env env = info.Env();
    const Napi::Object pairs = require_object(info[0], "pairs");
    const ParsedOptions o = read_options(info[1]);
    kind_ = o.kind;
    threads_ = o.sinkhorn.threads;
    dim_ = read_positive_integer(pairs, "dim", "dim");
    layout_ = read_layout(pairs, k, dim_);
    x_ = read_float_array(pairs, "x", "x", copy, false);
    ot::validate_embeddings(layout_, dim_, x_.data, x_.length, true, "x");
    y_ = read_float_array(pairs, "y", "y", copy, false);
    ot::validate_embeddings(layout_, dim_, y_.data, y_.length, false, "y");
    out_.create(env, layout_.totalCells(), "cost", copy);
  }

  void execute() override {
    k_.costMatrices(layout_, dim_, x_.data, y_.data, kind_, out_.data, threads_);
  }

  Napi::Value result(Napi::Env) override { return out_.value(); }

 private:
  const Kernels& k_;
  ot::CostKind kind_ = ot::CostKind::Cosine;
  int threads_ = 0;
  int64_t dim_ = 0;
  ot::RaggedLayout layout_;
  FloatInput x_, y_;
  Output<Napi::Float32Array> out_;
};

class OtLossJob : public Job {
 public:
  OtLossJob(const Napi::CallbackInfo& info, bool copy, const Kernels& k) : k_(k) {
    const Napi::Env env = info.Env();
    const Napi::Object input = require_object(info[0], "input");
    const ParsedOptions o = read_options(info[1]);
    options_ = o.sinkhorn;
    kind_ = o.kind;
    returnPlan_ = o.returnPlan.value_or(false);
    dim_ = read_positive_integer(input, "dim", "dim");
    layout_ = read_layout(input, k, dim_);
    teacher_ = read_float_array(input, "teacher", "teacher", copy, false);
    ot::validate_embeddings(layout_, dim_, teacher_.data, teacher_.length, true, "teacher");
    student_ = read_float_array(input, "student", "student", copy, false);
    ot::validate_embeddings(layout_, dim_, student_.data, student_.length, false, "student");
    a_ = read_float_array(input, "a", "a", copy, true);
    if (a_.present) ot::validate_marginal(layout_, a_.data, a_.length, true, "a");
    b_ = read_float_array(input, "b", "b", copy, true);
    if (b_.present) ot::validate_marginal(layout_, b_.data, b_.length, false, "b");
    if (std::isinf(options_.rho)) ot::validate_balanced_mass(layout_, a_.data, b_.data);
    const int64_t B = layout_.batch;
    cost_.create(env, B, "cost");
    value_.create(env, B, "value");
    grad_.create(env, layout_.totalCols() * dim_, "grad");
    iterations_.create(env, B, "iterations");
    error_.create(env, B, "error");
    converged_.create(env, B, "converged");
    if (returnPlan_) plan_.create(env, layout_.totalCells(), "plan", copy);
  }

  void execute() override {
    ot::OtLossInputs in;
    in.dim = dim_;
    in.teacher = teacher_.data;
    in.student = student_.data;
    in.a = a_.present ? a_.data : nullptr;
    in.b = b_.present ? b_.data : nullptr;
    ot::OtLossOutputs out;
    out.cost = cost_.data;
    out.value = value_.data;
    out.grad = grad_.data;
    out.iterations = iterations_.data;
    out.error = error_.data;
    out.converged = converged_.data;
    out.plan = returnPlan_ ? plan_.data : nullptr;
    k_.otLoss(layout_, in, kind_, options_, out);
  }

  Napi::Value result(Napi::Env env) override {
    Napi::Object r = Napi::Object::New(env);
    r.Set("cost", cost_.value());
    r.Set("value", value_.value());
    r.Set("grad", grad_.value());
    r.Set("iterations", iterations_.value());
    r.Set("error", error_.value());
    r.Set("converged", converged_.value());
    if (returnPlan_) r.Set("plan", plan_.value());
    return r;
  }

 private:
  const Kernels& k_;
  ot::SinkhornOptions options_;
  ot::CostKind kind_ = ot::CostKind::Cosine;
  bool returnPlan_ = false;
  int64_t dim_ = 0;
  ot::RaggedLayout layout_;
  FloatInput teacher_, student_, a_, b_;
  Output<Napi::Float64Array> cost_, value_, error_;
  Output<Napi::Float32Array> grad_, plan_;
  Output<Napi::Int32Array> iterations_;
  Output<Napi::Uint8Array> converged_;
};

}  // namespace

const Kernels& cpu_kernels() {
  static const Kernels k{
      [](const ot::RaggedLayout& L, const ot::SinkhornInputs& in, const ot::SinkhornOptions& o,
         const ot::SinkhornOutputs& out) { ot::sinkhorn(L, in, o, out, ot::default_pool()); },
      [](const ot::RaggedLayout& L, int64_t dim, const float* x, const float* y, ot::CostKind kind, float* out,
         int threads) { ot::cost_matrices(L, dim, x, y, kind, out, ot::default_pool(), threads); },
      [](const ot::RaggedLayout& L, const ot::OtLossInputs& in, ot::CostKind kind, const ot::SinkhornOptions& o,
         const ot::OtLossOutputs& out) { ot::ot_loss(L, in, kind, o, out, ot::default_pool()); },
      nullptr,
      true,
      true,
  };
  return k;
}

std::unique_ptr<Job> make_sinkhorn_job(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels) {
  return std::make_unique<SinkhornJob>(info, copyInputs, kernels);
}
std::unique_ptr<Job> make_cost_job(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels) {
  return std::make_unique<CostJob>(info, copyInputs, kernels);
}
std::unique_ptr<Job> make_ot_loss_job(const Napi::CallbackInfo& info, bool copyInputs, const Kernels& kernels) {
  return std::make_unique<OtLossJob>(info, copyInputs, kernels);
}

}  // namespace optical
