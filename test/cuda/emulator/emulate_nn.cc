// Runs the CUDA encoder engine (native/cuda/nn: engine_core.h, its kernels and the tiled GEMM)
// through the host emulator (cuda_emulator.h) and compares it with the CPU engine (native/nn, what
// the CPU addon serves) on tiny models:
//   - whole training steps with every loss term (InfoNCE, InfoNCE-to-targets, MSE, cosine, BCE on
//     the classifier head, MLM, OT on token states), dropout on and off, BERT and RoBERTa position
//     numbering, token types or none, ragged padding: loss values, extras and every parameter
//     gradient; then AdamW steps with clipping, weight decay, frozen parameters and an overflowing
//     lr: gradient norm, clip scale, parameters, moments, the non-finite tensor named;
//   - encode (hidden states, normalised pooled vectors, classifier logits);
//   - the dropout kernel's mask bits against native/nn's (Philox4x32-10, exact);
//   - GELU over a range that includes the far negative tail.
// Every engine scenario runs a second time on a fresh engine with the opposite thread schedule in
// every block; gradients, parameters and losses must be the same bits (a missing barrier — a race —
// changes them: the kernels reduce in fixed orders).
// The OT term's Sinkhorn chain itself runs as native/core here (its kernels have their own emulator
// scenarios in emulate_kernels.cc); what is checked is the engine around it: token gathering,
// marginals, the scatter of the gradient into the hidden states.
//
// Prints one line per check and "nn-emulator: N passed, N failed"; exits 1 on any failure.
#include "cuda_emulator.h"

#include <chrono>
#include <cstdio>
#include <random>

#include "core/ot.h"
#include "core/thread_pool.h"
#include "cuda/nn/engine_core.h"
#include "nn/adamw.h"
#include "nn/kernels.h"
#include "nn/step.h"

using namespace optical::cuda::nn;

namespace {

int passed = 0, failed = 0;

void report(const std::string& name, bool ok, const std::string& detail) {
  std::printf("%s %s%s%s\n", ok ? "ok  " : "FAIL", name.c_str(), detail.empty() ? "" : ": ", detail.c_str());
  std::fflush(stdout);
  (ok ? passed : failed) += 1;
}

ot::ThreadPool& pool() {
  static ot::ThreadPool p(1);
  return p;
}

/** native/core's OT loss on the (host) buffers of the emulated device. */
class HostOt : public OtRunner {
 public:
  void run(const Ctx&, const ot::RaggedLayout& L, int64_t dim, const float* teacher, const float* student,
           const float* a, const float* b, ot::CostKind kind, const ot::SinkhornOptions& o,
           const OtTermOutputs& out) override {
    ot::OtLossInputs in;
    in.dim = dim;
    in.teacher = teacher;
    in.student = student;
    in.a = a;
    in.b = b;
    ot::OtLossOutputs r;
    r.cost = out.cost;
    r.value = out.value;
    r.grad = out.grad;
    r.iterations = out.iterations;
    r.error = out.error;
    r.converged = out.converged;
    r.plan = out.plan;
    ot::ot_loss(L, in, kind, o, r, pool());
  }
};

/** max |x − y| / max(max |y|, floor): one number per tensor. */
double rel_error(const float* x, const float* y, int64_t n, double floor = 1e-20) {
  double diff = 0, scale = floor;
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(y[i]) && std::memcmp(&x[i], &y[i], sizeof(float)) == 0) continue;  // the same Inf or NaN
    const double d = std::fabs(static_cast<double>(x[i]) - static_cast<double>(y[i]));
    if (!(d <= diff)) diff = d;  // NaN wins
    if (std::isfinite(y[i])) scale = std::max(scale, std::fabs(static_cast<double>(y[i])));
  }
  return diff / scale;
}

bool same_bits(const float* x, const float* y, std::size_t n) { return std::memcmp(x, y, n * sizeof(float)) == 0; }

std::string fmt(double v) {
  char b[32];
  std::snprintf(b, sizeof b, "%.3g", v);
  return b;
}

/** The attention's key bias adds q·b_k to every score of a query's row, which the softmax cancels:
 *  its gradient is zero in exact arithmetic, so both engines hold rounding noise there. */
bool zero_in_exact_arithmetic(const std::string& name) { return name.find("attention.self.key.bias") != std::string::npos; }

/** Every tensor of `gpu` against `cpu` (a flat buffer in the model's layout) within tol, relative to
 *  the tensor's largest entry; tensors whose exact value is zero must be noise on both sides (below
 *  1e-6 of the buffer's largest entry). */
void compare_tensors(const std::string& what, const ::nn::Model& m, const std::vector<float>& gpu,
                     const std::vector<float>& cpu, double tol, bool exactZeros = false) {
  double worst = 0, global = 0, noise = 0;
  std::string worstName;
  for (float v : cpu) global = std::max(global, std::fabs(static_cast<double>(v)));
  for (const ::nn::TensorInfo& t : m.tensors) {
    if (exactZeros && zero_in_exact_arithmetic(t.name)) {
      for (int64_t i = 0; i < t.size; ++i)
        noise = std::max({noise, std::fabs(static_cast<double>(gpu[t.offset + i])), std::fabs(static_cast<double>(cpu[t.offset + i]))});
      continue;
    }
    const double e = rel_error(gpu.data() + t.offset, cpu.data() + t.offset, t.size);
    if (!(e <= worst)) {
      worst = e;
      worstName = t.name;
    }
  }
  std::string detail = worstName.empty() ? "all equal" : "worst " + worstName + " rel " + fmt(worst) + " (tol " + fmt(tol) + ")";
  bool ok = worst <= tol;
  if (exactZeros) {
    detail += "; key-bias noise " + fmt(noise / global) + " of the largest entry";
    ok = ok && noise <= 1e-6 * global;
  }
  report(what, ok, detail);
}

bool close(double a, double b, double tol) {
  return std::fabs(a - b) <= tol * std::max(1.0, std::max(std::fabs(a), std::fabs(b)));
}

void compare_results(const std::string& name, const ::nn::StepResult& gpu, const ::nn::StepResult& cpu, double tol) {
  bool ok = close(gpu.loss, cpu.loss, tol) && gpu.terms.size() == cpu.terms.size();
  std::string detail = "loss " + fmt(gpu.loss) + " vs " + fmt(cpu.loss);
  for (std::size_t k = 0; ok && k < cpu.terms.size(); ++k) {
    const ::nn::TermResult &g = gpu.terms[k], &c = cpu.terms[k];
    if (!close(g.value, c.value, tol)) {
      ok = false;
      detail += "; terms[" + std::to_string(k) + "] (" + ::nn::to_string(c.kind) + ") " + fmt(g.value) + " vs " + fmt(c.value);
    }
    for (const auto& [key, cv] : c.extras) {
      bool found = false;
      for (const auto& [gk, gv] : g.extras)
        if (gk == key) {
          found = true;
          // Iteration counts and convergence flags are exact; the plan's entropy and errors are
          // float32 sums in another order.
          const double t = key == "maxError" ? 1e-2 : key == "planEntropy" ? 1e-4 : tol;
          if (!close(gv, cv, t)) {
            ok = false;
            detail += "; terms[" + std::to_string(k) + "]." + key + " " + fmt(gv) + " vs " + fmt(cv);
          }
        }
      if (!found) {
        ok = false;
        detail += "; terms[" + std::to_string(k) + "] lacks extra " + key;
      }
    }
  }
  report(name + ": losses and extras", ok, detail);
}

// ---- models and inputs --------------------------------------------------------------------------

void randomise(::nn::Model& m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> n(0.0f, 0.08f);
  for (const ::nn::TensorInfo& t : m.tensors) {
    const bool gamma = t.name.find("LayerNorm.weight") != std::string::npos;
    for (int64_t i = 0; i < t.size; ++i) m.params[t.offset + i] = gamma ? 1.0f + n(rng) : n(rng);
  }
}

::nn::EncodeInput make_input(std::mt19937& rng, const ::nn::Config& cfg, int64_t B, int64_t L,
                             const std::vector<int64_t>& lengths, bool types) {
  ::nn::EncodeInput in;
  in.batch = B;
  in.length = L;
  std::uniform_int_distribution<int32_t> id(0, static_cast<int32_t>(cfg.vocabSize - 1));
  for (int64_t b = 0; b < B; ++b)
    for (int64_t l = 0; l < L; ++l) {
      const bool real = l < lengths[b];
      // Repeated ids (a small range) so that word-embedding rows collect several tokens.
      in.ids.push_back(real ? (l == 0 ? 2 : 3 + id(rng) % 9) : static_cast<int32_t>(cfg.padTokenId));
      in.mask.push_back(real ? 1 : 0);
      if (types) in.types.push_back(real && l >= lengths[b] / 2 ? 1 : 0);
    }
  return in;
}

std::vector<float> randoms(std::mt19937& rng, std::size_t n, float sd = 1.0f) {
  std::normal_distribution<float> d(0.0f, sd);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

/** A CUDA engine (emulated) over its own host model, seeded with the same parameters. */
struct Gpu {
  ::nn::Model host;
  EngineCore core;
  Stream s;
  Gpu(const ::nn::Model& ref)
      : host(ref.config, ref.heads), core(host, GemmPrecision::Fp32) {
    host.params = ref.params;
    core.upload_params(s);
  }
  std::vector<float> grads() {
    core.download_grads(s);
    return host.grads;
  }
  std::vector<float> params() {
    core.download_params(s);
    return host.params;
  }
};

struct Scenario {
  std::string name;
  ::nn::Config cfg;
  ::nn::Heads heads;
  ::nn::StepSpec spec;
  std::vector<::nn::AdamWOptions> adam;  // optimizer steps after the step (each after a fresh step)
};

void run_scenario(const Scenario& sc) {
  const auto started = std::chrono::steady_clock::now();
  ::nn::Model cpu(sc.cfg, sc.heads);
  randomise(cpu, 7);
  Gpu gpu(cpu);
  HostOt ot;

  const ::nn::StepResult rc = ::nn::step(cpu, sc.spec, pool());
  const ::nn::StepResult rg = gpu.core.step(gpu.s, sc.spec, ot);
  compare_results(sc.name, rg, rc, 1e-5);
  if (sc.spec.backward) compare_tensors(sc.name + ": gradients", cpu, gpu.grads(), cpu.grads, 1e-4, true);

  // The same step with every block's threads scheduled in the opposite order: the same bits.
  Gpu rev(cpu);
  ::nn::StepResult rr;
  emu::run_in_order(emu::Order::Reverse, [&] { rr = rev.core.step(rev.s, sc.spec, ot); });
  bool same = rr.loss == rg.loss || (std::isnan(rr.loss) && std::isnan(rg.loss));
  if (sc.spec.backward) {
    const std::vector<float> a = gpu.grads(), b = rev.grads();
    same = same && same_bits(a.data(), b.data(), a.size());
  }
  report(sc.name + ": reversed thread schedule", same, same ? "bit-identical" : "results differ (a race)");

  // Optimizer steps (each after one more step, so the moments and bias correction move).
  ::nn::Ctx cctx{&pool(), 1, nullptr};
  for (std::size_t k = 0; k < sc.adam.size(); ++k) {
    const std::string what = sc.name + ": AdamW step " + std::to_string(k + 1);
    if (k > 0) {
      ::nn::step(cpu, sc.spec, pool());
      gpu.core.step(gpu.s, sc.spec, ot);
      emu::run_in_order(emu::Order::Reverse, [&] { rev.core.step(rev.s, sc.spec, ot); });
    }
    // Both optimizers start from the same gradients (the CPU engine's, copied into the emulated
    // device's buffer), so what is compared is the optimizer itself: AdamW amplifies the rounding
    // noise of gradients near zero (m/√v ≈ ±1 whatever |g|), which says nothing about its kernel.
    for (Gpu* e : {&gpu, &rev})
      std::memcpy(e->core.device_model().grads.data(), cpu.grads.data(), cpu.grads.size() * sizeof(float));
    const ::nn::AdamWResult ac = ::nn::adamw_step(cpu, cctx, sc.adam[k]);
    const ::nn::AdamWResult ag = gpu.core.adamw(gpu.s, sc.adam[k]);
    ::nn::AdamWResult ar;
    emu::run_in_order(emu::Order::Reverse, [&] { ar = rev.core.adamw(rev.s, sc.adam[k]); });
    report(what + ": gradient norm and clipping",
           close(ag.gradNorm, ac.gradNorm, 1e-6) && close(ag.clipScale, ac.clipScale, 1e-6) && ag.finite == ac.finite,
           "norm " + fmt(ag.gradNorm) + " vs " + fmt(ac.gradNorm) + ", clip " + fmt(ag.clipScale) + " vs " +
               fmt(ac.clipScale));
    if (!sc.adam[k].frozen.empty() || !ac.nonFinite.empty())
      report(what + ": non-finite parameters named", ag.nonFinite == ac.nonFinite && ar.nonFinite == ac.nonFinite,
             "'" + ag.nonFinite + "' vs '" + ac.nonFinite + "'");
    {
      const std::vector<float> gg = gpu.grads();
      bool cleared = std::all_of(gg.begin(), gg.end(), [](float x) { return x == 0.0f; });
      report(what + ": gradients cleared", cleared, "");
    }
    compare_tensors(what + ": parameters", cpu, gpu.params(), cpu.params, 1e-6);
    gpu.core.download_moments(gpu.s);
    compare_tensors(what + ": first moments", cpu, gpu.host.m, cpu.m, 1e-6);
    compare_tensors(what + ": second moments", cpu, gpu.host.v, cpu.v, 1e-6);
    const std::vector<float> pa = gpu.params(), pb = rev.params();
    report(what + ": reversed thread schedule", same_bits(pa.data(), pb.data(), pa.size()) && ar.gradNorm == ag.gradNorm,
           "");
    // The GPU keeps stepping from its own state; the CPU's parameters are handed to it so the
    // next comparison starts from the same point (no drift from the last bits).
    gpu.host.params = cpu.params;
    gpu.core.upload_params(gpu.s);
    rev.host.params = cpu.params;
    rev.core.upload_params(rev.s);
  }
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  std::printf("     (%s: %.0f ms)\n", sc.name.c_str(), ms);
}

::nn::Config tiny_config(const std::string& type) {
  ::nn::Config c;
  c.modelType = type;
  c.vocabSize = 40;
  c.hiddenSize = 32;
  c.numLayers = 2;
  c.numHeads = 4;
  c.intermediateSize = 48;
  c.maxPositions = 24;
  c.typeVocabSize = type == "bert" ? 2 : 1;
  c.padTokenId = type == "bert" ? 0 : 1;
  c.layerNormEps = type == "bert" ? 1e-12 : 1e-5;
  return c;
}

Scenario all_terms(bool dropout) {
  Scenario sc;
  sc.name = std::string("bert, every loss term, dropout ") + (dropout ? "on" : "off");
  sc.cfg = tiny_config("bert");
  sc.heads.pooler = sc.heads.classifier = sc.heads.mlm = true;
  std::mt19937 rng(11);
  const int64_t H = sc.cfg.hiddenSize;
  sc.spec.inputs.push_back(make_input(rng, sc.cfg, 3, 7, {7, 4, 1}, true));
  sc.spec.inputs.push_back(make_input(rng, sc.cfg, 3, 5, {5, 3, 2}, false));
  sc.spec.training = dropout;
  sc.spec.seed = 0x123456789ull;
  using ::nn::TermKind;
  ::nn::LossTerm t;
  t = {};
  t.kind = TermKind::InfoNce;
  t.queries = {0, ::nn::Pooling::Mean, -1};
  t.docs = {1, ::nn::Pooling::Cls, -1};
  t.positive = {0, 1, 2};
  t.temperature = 0.1;
  t.weight = 0.7;
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = TermKind::InfoNceTarget;
  t.queries = {1, ::nn::Pooling::Mean, 1};
  t.target = randoms(rng, static_cast<std::size_t>(4 * H));
  t.positive = {3, 0, 2};
  t.temperature = 0.05;
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = TermKind::Mse;
  t.queries = {1, ::nn::Pooling::Mean, 1};
  t.target = randoms(rng, static_cast<std::size_t>(3 * H), 0.5f);
  t.weight = 0.5;
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = TermKind::Cosine;
  t.queries = {0, ::nn::Pooling::Cls, 0};
  t.target = randoms(rng, static_cast<std::size_t>(3 * H));
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = TermKind::Bce;
  t.input = 0;
  t.labels = {1.0f, 0.0f, 0.25f};
  t.weight = 0.3;
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = TermKind::Mlm;
  t.input = 0;
  t.mlmLabels.assign(21, -100);
  t.mlmLabels[1] = 5;
  t.mlmLabels[3] = 17;
  t.mlmLabels[8] = 39;
  t.mlmLabels[14] = 0;
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = TermKind::Ot;
  t.input = 1;
  t.layer = -1;
  t.rows = {4, 2, 3};
  t.teacher = randoms(rng, static_cast<std::size_t>(9 * H));
  t.cost = ot::CostKind::Cosine;
  t.sinkhorn.eps = 0.1;
  t.sinkhorn.epsInit = 0.1;
  t.sinkhorn.maxIter = 200;
  t.weight = 2.0;
  sc.spec.terms.push_back(t);
  ::nn::AdamWOptions a;
  a.lr = 1e-3;
  a.weightDecay = 0.01;
  a.clipNorm = 0.25;  // below the gradient norm: the step is clipped
  sc.adam.push_back(a);
  a.clipNorm = 0.0;
  a.weightDecay = 0.0;
  sc.adam.push_back(a);
  // Frozen parameters: no update, no decay, moments kept, not in the norm.
  a.weightDecay = 0.05;
  a.clipNorm = 1.0;
  a.frozen = {"embeddings.word_embeddings.weight", "encoder.layer.1.intermediate.dense.bias", "classifier.weight"};
  sc.adam.push_back(a);
  // An lr that overflows float32: the update is applied and the first non-finite tensor named.
  a.frozen = {"embeddings.word_embeddings.weight"};
  a.lr = 1e300;
  a.weightDecay = 0.0;
  sc.adam.push_back(a);
  return sc;
}

Scenario roberta_ot() {
  Scenario sc;
  sc.name = "xlm-roberta, OT (squared L2, unbalanced, given marginals) + MSE at layer 0";
  sc.cfg = tiny_config("xlm-roberta");
  sc.cfg.hiddenDropout = 0.2;
  sc.cfg.attentionDropout = 0.3;
  std::mt19937 rng(5);
  const int64_t H = sc.cfg.hiddenSize;
  sc.spec.inputs.push_back(make_input(rng, sc.cfg, 2, 9, {9, 5}, false));
  sc.spec.training = true;
  sc.spec.seed = 42;
  ::nn::LossTerm t;
  t.kind = ::nn::TermKind::Ot;
  t.input = 0;
  t.layer = 1;
  t.rows = {3, 6};
  t.teacher = randoms(rng, static_cast<std::size_t>(9 * H), 0.3f);
  t.a = std::vector<float>(9, 1.0f / 9.0f);
  t.b = std::vector<float>(14, 1.0f / 14.0f);
  t.cost = ot::CostKind::SqEuclidean;
  t.sinkhorn.eps = 0.5;
  t.sinkhorn.epsInit = 0.5;
  t.sinkhorn.rho = 1.0;
  t.sinkhorn.maxIter = 300;
  sc.spec.terms.push_back(t);
  t = {};
  t.kind = ::nn::TermKind::Mse;
  t.queries = {0, ::nn::Pooling::Mean, 0};
  t.target = randoms(rng, static_cast<std::size_t>(2 * H), 0.2f);
  sc.spec.terms.push_back(t);
  ::nn::AdamWOptions a;
  a.clipNorm = 1e6;  // above the norm: no clipping
  sc.adam.push_back(a);
  return sc;
}

Scenario forward_only() {
  Scenario sc = all_terms(false);
  sc.name = "bert, every loss term, forward only (backward = false)";
  sc.spec.backward = false;
  sc.adam.clear();
  return sc;
}

void check_encode() {
  ::nn::Config cfg = tiny_config("bert");
  ::nn::Heads heads;
  heads.pooler = heads.classifier = true;
  ::nn::Model cpu(cfg, heads);
  randomise(cpu, 3);
  Gpu gpu(cpu);
  std::mt19937 rng(9);
  const ::nn::EncodeInput in = make_input(rng, cfg, 4, 6, {6, 1, 3, 5}, true);
  ::nn::EncodeOptions o;
  o.layers = {0, 2, 1};
  o.pooled = true;
  o.normalize = true;
  o.pooling = ::nn::Pooling::Mean;
  o.logits = true;
  const ::nn::EncodeResult rc = ::nn::encode(cpu, in, o, pool());
  const ::nn::EncodeResult rg = gpu.core.encode(gpu.s, in, o);
  double worst = 0;
  for (std::size_t l = 0; l < o.layers.size(); ++l)
    worst = std::max(worst, rel_error(rg.hidden[l].data(), rc.hidden[l].data(), static_cast<int64_t>(rc.hidden[l].size())));
  report("encode: hidden states 0, 2, 1", worst <= 1e-5, "rel " + fmt(worst));
  const double ep = rel_error(rg.pooled.data(), rc.pooled.data(), static_cast<int64_t>(rc.pooled.size()));
  report("encode: normalised mean-pooled vectors", ep <= 1e-5, "rel " + fmt(ep));
  const double el = rel_error(rg.logits.data(), rc.logits.data(), static_cast<int64_t>(rc.logits.size()));
  report("encode: classifier logits", el <= 1e-5, "rel " + fmt(el));
  Gpu rev(cpu);
  ::nn::EncodeResult rr;
  emu::run_in_order(emu::Order::Reverse, [&] { rr = rev.core.encode(rev.s, in, o); });
  bool same = same_bits(rr.pooled.data(), rg.pooled.data(), rg.pooled.size()) &&
              same_bits(rr.logits.data(), rg.logits.data(), rg.logits.size());
  for (std::size_t l = 0; l < o.layers.size(); ++l) same = same && same_bits(rr.hidden[l].data(), rg.hidden[l].data(), rg.hidden[l].size());
  report("encode: reversed thread schedule", same, "");
}

/** The dropout kernel draws native/nn's mask bits, for any start element and length. */
void check_dropout_bits() {
  std::mt19937 rng(1);
  bool ok = true;
  std::string detail;
  int cases = 0;
  for (double rate : {0.1, 0.5, 0.9}) {
    for (uint64_t first : {0ull, 1ull, 2ull, 3ull, 5ull, 1001ull, (1ull << 34) + 3}) {
      for (int64_t n : {1, 3, 4, 5, 257, 1029}) {
        ::nn::DropoutKey key;
        key.seed = (1ull << 40) + 77;
        key.stream = ::nn::dropout_stream(3, ::nn::DropoutSite::AttentionProbs);
        key.input = 2;
        key.rate = rate;
        const std::vector<float> x = randoms(rng, static_cast<std::size_t>(n));
        std::vector<float> cpu(static_cast<std::size_t>(n)), gpu(static_cast<std::size_t>(n), -1.0f);
        ::nn::dropout_apply_serial(key, x.data(), cpu.data(), n, first);
        const Ctx c{};
        dropout_apply(c, key, x.data(), gpu.data(), n, first);
        ++cases;
        if (!same_bits(cpu.data(), gpu.data(), cpu.size())) {
          ok = false;
          detail = "rate " + fmt(rate) + ", first " + std::to_string(first) + ", n " + std::to_string(n) + " differ";
        }
      }
    }
  }
  report("dropout kernel: native/nn's Philox mask bits, exact", ok, ok ? std::to_string(cases) + " cases" : detail);
}

/** GELU forward (with the kept derivative) and backward against native/nn, including the tails. */
void check_gelu() {
  const int64_t n = 4001;
  std::vector<float> x(n), dy(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = -20.0f + 30.0f * static_cast<float>(i) / static_cast<float>(n - 1);
    dy[i] = 1.0f + 0.001f * static_cast<float>(i % 7);
  }
  std::vector<float> yc(n), dc(n), bc(n), yg(n), dg(n), bg(n);
  ::nn::kernels::gelu_with_derivative(x.data(), yc.data(), dc.data(), n);
  ::nn::kernels::gelu_backward(x.data(), dy.data(), bc.data(), n);
  const Ctx c{};
  gelu_forward(c, x.data(), yg.data(), n, dg.data());
  gelu_backward(c, x.data(), dy.data(), bg.data(), n);
  // Against native/nn: relative, with an absolute floor for values near zero (the derivative
  // crosses zero at x ≈ −0.75, where both sides cancel).
  double worst = 0;
  for (int64_t i = 0; i < n; ++i)
    for (auto [g, r] : {std::pair{yg[i], yc[i]}, std::pair{dg[i], dc[i]}, std::pair{bg[i], bc[i]}})
      worst = std::max(worst, std::fabs(static_cast<double>(g) - r) / (std::fabs(static_cast<double>(r)) + 1e-2));
  report("GELU forward, derivative and backward on [-20, 10] vs native/nn", worst <= 1e-5,
         "worst |gpu - cpu| / (|cpu| + 0.01) " + fmt(worst));
  // The far negative tail, relative to a double-precision reference: the erfc form keeps its
  // accuracy where 1 + erf would cancel.
  double tail = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double v = x[i], ref = v * 0.5 * std::erfc(-v / std::sqrt(2.0));
    if (std::fabs(ref) > 1e-37) tail = std::max(tail, std::fabs(yg[i] - ref) / std::fabs(ref));
  }
  report("GELU forward relative to a double reference, tails included", tail <= 2e-5, "worst rel " + fmt(tail));
}

}  // namespace

int main() {
  try {
    check_dropout_bits();
    check_gelu();
    check_encode();
    run_scenario(all_terms(true));
    run_scenario(all_terms(false));
    run_scenario(forward_only());
    run_scenario(roberta_ot());
  } catch (const std::exception& e) {
    report("exception", false, e.what());
  }
  std::printf("nn-emulator: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
