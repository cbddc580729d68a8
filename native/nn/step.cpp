#include "step.h"

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <new>
#include <sstream>

#include "../core/fast_math.h"
#include "encoder.h"
#include "heads.h"

namespace nn {

struct Workspace {
  std::vector<EncoderActs> acts;                    // per input
  std::vector<std::vector<std::vector<float>>> dHidden;  // per input, per hidden state
  EncoderScratch scratch;
  EncoderActs inference;
};

namespace {

std::string idx(const std::string& base, int64_t i) { return base + "[" + std::to_string(i) + "]"; }

int64_t resolve_layer(const Model& m, int64_t layer) { return layer < 0 ? m.config.numLayers : layer; }

void check_finite(const std::vector<float>& v, const std::string& name) {
  for (size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i])) range_error(idx(name, static_cast<int64_t>(i)) + " is not finite (" + std::to_string(v[i]) + ")");
}

void check_layer(const Model& m, int64_t layer, const std::string& name) {
  if (layer < -1 || layer > m.config.numLayers)
    range_error(name + " must be a hidden-state index in [0, " + std::to_string(m.config.numLayers) +
                "] (0 = embeddings, " + std::to_string(m.config.numLayers) + " = last layer), got " + std::to_string(layer));
}

void check_pooled(const Model& m, const StepSpec& s, const PooledRef& r, const std::string& name) {
  if (r.input < 0 || r.input >= static_cast<int64_t>(s.inputs.size()))
    range_error(name + ".input must be an index into inputs [0, " + std::to_string(s.inputs.size()) + "), got " +
                std::to_string(r.input));
  check_layer(m, r.layer, name + ".layer");
}

void check_input_index(const StepSpec& s, int64_t input, const std::string& name) {
  if (input < 0 || input >= static_cast<int64_t>(s.inputs.size()))
    range_error(name + " must be an index into inputs [0, " + std::to_string(s.inputs.size()) + "), got " +
                std::to_string(input));
}

void check_length(size_t got, int64_t want, const std::string& name, const std::string& what) {
  if (static_cast<int64_t>(got) != want)
    range_error(name + " has " + std::to_string(got) + " entries, expected " + what + " = " + std::to_string(want));
}

void check_positive(const std::vector<int32_t>& positive, int64_t n, int64_t limit, const std::string& name,
                    const std::string& what) {
  check_length(positive.size(), n, name, "the number of queries");
  for (int64_t i = 0; i < n; ++i)
    if (positive[i] < 0 || positive[i] >= limit)
      range_error(idx(name, i) + " = " + std::to_string(positive[i]) + " is out of range [0, " + std::to_string(limit) +
                  ") (" + what + ")");
}

// Rethrows core errors with the term's name in front ("rows[2] ..." → "terms[3].rows[2] ...").
template <class F>
void prefixed(const std::string& prefix, F&& fn) {
  try {
    fn();
  } catch (const ArgumentError& e) {
    throw ArgumentError(e.kind(), prefix + "." + e.what());
  }
}

std::vector<int32_t> real_tokens(const EncodeInput& in) {
  std::vector<int32_t> cols(static_cast<size_t>(in.batch), 0);
  for (int64_t b = 0; b < in.batch; ++b)
    for (int64_t l = 0; l < in.length; ++l) cols[b] += in.mask[b * in.length + l] ? 1 : 0;
  return cols;
}

std::string describe_inputs(const StepSpec& s) {
  std::ostringstream o;
  for (size_t i = 0; i < s.inputs.size(); ++i)
    o << (i ? ", " : "") << "inputs[" << i << "] batch " << s.inputs[i].batch << " × length " << s.inputs[i].length;
  return o.str();
}

double physical_bytes() {
  const long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && size > 0 ? static_cast<double>(pages) * static_cast<double>(size) : 0.0;
}

Workspace& workspace(Model& m) {
  if (!m.workspace) m.workspace = std::make_shared<Workspace>();
  return *m.workspace;
}

InputView view(const EncodeInput& in, uint32_t index) {
  InputView v;
  v.B = in.batch;
  v.L = in.length;
  v.ids = in.ids.data();
  v.mask = in.mask.data();
  v.types = in.types.empty() ? nullptr : in.types.data();
  v.index = index;
  return v;
}

}  // namespace

const char* to_string(TermKind k) {
  switch (k) {
    case TermKind::InfoNce: return "infonce";
    case TermKind::InfoNceTarget: return "infonce-target";
    case TermKind::Bce: return "bce";
    case TermKind::Mse: return "mse";
    case TermKind::Cosine: return "cosine";
    case TermKind::Mlm: return "mlm";
    case TermKind::Ot: return "ot";
  }
  return "?";
}

void validate_input(const Model& m, const EncodeInput& in, const std::string& name) {
  const Config& cfg = m.config;
  if (in.batch < 1) range_error(name + ".batch must be an integer >= 1, got " + std::to_string(in.batch));
  if (in.length < 1) range_error(name + ".length must be an integer >= 1, got " + std::to_string(in.length));
  const int64_t room = cfg.maxPositions - cfg.positionOffset();
  if (in.length > room)
    range_error(name + ".length " + std::to_string(in.length) + " exceeds max_position_embeddings " + std::to_string(room) +
                (cfg.positionOffset() ? " (after the RoBERTa offset of " + std::to_string(cfg.positionOffset()) + ")" : ""));
  const int64_t n = in.batch * in.length;
  check_length(in.ids.size(), n, name + ".ids", "batch·length");
  check_length(in.mask.size(), n, name + ".mask", "batch·length");
  if (!in.types.empty()) check_length(in.types.size(), n, name + ".types", "batch·length");
  for (int64_t i = 0; i < n; ++i) {
    if (in.ids[i] < 0 || in.ids[i] >= cfg.vocabSize)
      range_error(idx(name + ".ids", i) + " = " + std::to_string(in.ids[i]) + " is out of range [0, " +
                  std::to_string(cfg.vocabSize) + ") (the vocabulary size)");
    if (in.mask[i] > 1) range_error(idx(name + ".mask", i) + " must be 0 or 1, got " + std::to_string(in.mask[i]));
    if (!in.types.empty() && (in.types[i] < 0 || in.types[i] >= cfg.typeVocabSize))
      range_error(idx(name + ".types", i) + " = " + std::to_string(in.types[i]) + " is out of range [0, " +
                  std::to_string(cfg.typeVocabSize) + ") (type_vocab_size)");
  }
  const std::vector<int32_t> real = real_tokens(in);
  for (int64_t b = 0; b < in.batch; ++b)
    if (real[b] == 0) range_error(name + ".mask row " + std::to_string(b) + " has no real token (every row needs at least one 1)");
}

void validate_step(const Model& m, const StepSpec& s) {
  const int64_t H = m.config.hiddenSize;
  if (s.inputs.empty()) range_error("inputs must hold at least one input");
  if (s.terms.empty()) range_error("terms must hold at least one loss term");
  if (s.seed >= (uint64_t{1} << 53)) range_error("seed must be an integer in [0, 2^53), got " + std::to_string(s.seed));
  for (size_t i = 0; i < s.inputs.size(); ++i) validate_input(m, s.inputs[i], idx("inputs", static_cast<int64_t>(i)));
  std::vector<bool> used(s.inputs.size(), false);
  for (size_t k = 0; k < s.terms.size(); ++k) {
    const LossTerm& t = s.terms[k];
    const std::string name = idx("terms", static_cast<int64_t>(k));
    if (!std::isfinite(t.weight)) range_error(name + ".weight must be a finite number, got " + std::to_string(t.weight));
    switch (t.kind) {
      case TermKind::InfoNce: {
        check_pooled(m, s, t.queries, name + ".queries");
        check_pooled(m, s, t.docs, name + ".docs");
        used[t.queries.input] = used[t.docs.input] = true;
        const int64_t nq = s.inputs[t.queries.input].batch, nd = s.inputs[t.docs.input].batch;
        check_positive(t.positive, nq, nd, name + ".positive", "the documents of inputs[" + std::to_string(t.docs.input) + "]");
        if (!(std::isfinite(t.temperature) && t.temperature > 0))
          range_error(name + ".temperature must be a finite number > 0, got " + std::to_string(t.temperature));
        break;
      }
      case TermKind::InfoNceTarget: {
        check_pooled(m, s, t.queries, name);
        used[t.queries.input] = true;
        if (t.target.empty() || t.target.size() % static_cast<size_t>(H) != 0)
          range_error(name + ".targets has " + std::to_string(t.target.size()) + " entries, expected a positive multiple of hiddenSize = " +
                      std::to_string(H));
        check_finite(t.target, name + ".targets");
        const int64_t nt = static_cast<int64_t>(t.target.size()) / H;
        check_positive(t.positive, s.inputs[t.queries.input].batch, nt, name + ".positive", "the rows of targets");
        if (!(std::isfinite(t.temperature) && t.temperature > 0))
          range_error(name + ".temperature must be a finite number > 0, got " + std::to_string(t.temperature));
        break;
      }
      case TermKind::Mse:
      case TermKind::Cosine: {
        check_pooled(m, s, t.queries, name);
        used[t.queries.input] = true;
        check_length(t.target.size(), s.inputs[t.queries.input].batch * H, name + ".target", "batch·hiddenSize");
        check_finite(t.target, name + ".target");
        break;
      }
      case TermKind::Bce: {
        check_input_index(s, t.input, name + ".input");
        used[t.input] = true;
        if (!m.heads.classifier)
          range_error(name + " (bce) needs the classifier head, but the model has no classifier.weight / classifier.bias");
        check_length(t.labels.size(), s.inputs[t.input].batch, name + ".labels", "batch");
        for (size_t i = 0; i < t.labels.size(); ++i)
          if (!(t.labels[i] >= 0.0f && t.labels[i] <= 1.0f))
            range_error(idx(name + ".labels", static_cast<int64_t>(i)) + " must be in [0, 1], got " + std::to_string(t.labels[i]));
        break;
      }
      case TermKind::Mlm: {
        check_input_index(s, t.input, name + ".input");
        used[t.input] = true;
        if (!m.heads.mlm)
          range_error(name + " (mlm) needs the MLM head, but the model has no cls.predictions.* tensors");
        const EncodeInput& in = s.inputs[t.input];
        check_length(t.mlmLabels.size(), in.batch * in.length, name + ".labels", "batch·length");
        for (size_t i = 0; i < t.mlmLabels.size(); ++i) {
          const int32_t v = t.mlmLabels[i];
          if (v != -100 && (v < 0 || v >= m.config.vocabSize))
            range_error(idx(name + ".labels", static_cast<int64_t>(i)) + " = " + std::to_string(v) +
                        " must be -100 (ignored) or a token id in [0, " + std::to_string(m.config.vocabSize) + ")");
        }
        break;
      }
      case TermKind::Ot: {
        check_input_index(s, t.input, name + ".input");
        used[t.input] = true;
        check_layer(m, t.layer, name + ".layer");
        const EncodeInput& in = s.inputs[t.input];
        check_length(t.rows.size(), in.batch, name + ".rows", "batch");
        const std::vector<int32_t> cols = real_tokens(in);
        prefixed(name, [&] {
          ot::validate_options(t.sinkhorn);
          const ot::RaggedLayout L = ot::RaggedLayout::build(t.rows.data(), static_cast<int64_t>(t.rows.size()),
                                                             cols.data(), static_cast<int64_t>(cols.size()), H);
          ot::validate_embeddings(L, H, t.teacher.data(), static_cast<int64_t>(t.teacher.size()), true, "teacher");
          if (!t.a.empty()) ot::validate_marginal(L, t.a.data(), static_cast<int64_t>(t.a.size()), true, "a");
          if (!t.b.empty()) ot::validate_marginal(L, t.b.data(), static_cast<int64_t>(t.b.size()), false, "b");
          if (std::isinf(t.sinkhorn.rho))
            ot::validate_balanced_mass(L, t.a.empty() ? nullptr : t.a.data(), t.b.empty() ? nullptr : t.b.data());
        });
        break;
      }
    }
  }
  for (size_t i = 0; i < used.size(); ++i)
    if (!used[i]) range_error(idx("inputs", static_cast<int64_t>(i)) + " is not used by any loss term");
}

int64_t step_activation_bytes(const Model& m, const StepSpec& spec) {
  int64_t total = 0;
  for (const EncodeInput& in : spec.inputs)
    total += encoder_training_bytes(m.config, in.batch, in.length, m.config.numLayers);
  return total;
}

StepResult step(Model& m, const StepSpec& spec, ot::ThreadPool& pool) {
  validate_step(m, spec);
  const double need = static_cast<double>(step_activation_bytes(m, spec)), have = physical_bytes();
  if (spec.backward && have > 0 && need > 0.9 * have) {
    std::ostringstream o;
    o.precision(3);
    o << "a training step over " << describe_inputs(spec) << " needs about " << need / (1 << 30)
      << " GiB of activations, more than this machine's " << have / (1 << 30) << " GiB of memory; use a smaller batch or length";
    range_error(o.str());
  }
  const ot::FlushDenormals ftz;  // the same floating-point mode on this thread as on the pool's
  StepResult result;
  result.profile.on = spec.profile;
  const Ctx c{&pool, m.threads, &result.profile};
  const auto started = std::chrono::steady_clock::now();
  const Config& cfg = m.config;
  const int64_t H = cfg.hiddenSize, N = cfg.numLayers;
  const size_t nI = spec.inputs.size();
  try {
    // The highest hidden state each input needs.
    std::vector<int64_t> top(nI, 0);
    for (const LossTerm& t : spec.terms) {
      switch (t.kind) {
        case TermKind::InfoNce:
          top[t.queries.input] = std::max(top[t.queries.input], resolve_layer(m, t.queries.layer));
          top[t.docs.input] = std::max(top[t.docs.input], resolve_layer(m, t.docs.layer));
          break;
        case TermKind::InfoNceTarget:
        case TermKind::Mse:
        case TermKind::Cosine:
          top[t.queries.input] = std::max(top[t.queries.input], resolve_layer(m, t.queries.layer));
          break;
        case TermKind::Bce:
        case TermKind::Mlm: top[t.input] = N; break;
        case TermKind::Ot: top[t.input] = std::max(top[t.input], resolve_layer(m, t.layer)); break;
      }
    }
    Workspace& ws = workspace(m);
    if (ws.acts.size() < nI) ws.acts.resize(nI);
    if (ws.dHidden.size() < nI) ws.dHidden.resize(nI);
    if (spec.backward) m.ensure_grads();
    const Dropout drop{spec.training, spec.seed};
    for (size_t i = 0; i < nI; ++i)
      encoder_forward(m, c, view(spec.inputs[i], static_cast<uint32_t>(i)), top[i], drop, spec.backward, nullptr,
                      ws.acts[i], ws.scratch);

    // Loss gradients w.r.t. hidden states, allocated (zeroed) on first use.
    std::vector<std::vector<float*>> sinks(nI);
    for (size_t i = 0; i < nI; ++i) sinks[i].assign(static_cast<size_t>(top[i] + 1), nullptr);
    auto sink = [&](int64_t i, int64_t layer) -> float* {
      float*& s = sinks[i][layer];
      if (!s) {
        auto& bufs = ws.dHidden[i];
        if (static_cast<int64_t>(bufs.size()) <= layer) bufs.resize(static_cast<size_t>(layer + 1));
        const int64_t n = spec.inputs[i].batch * spec.inputs[i].length * H;
        s = ensure(bufs[layer], n);
        std::fill(s, s + n, 0.0f);
      }
      return s;
    };
    auto hidden = [&](int64_t i, int64_t layer) { return ws.acts[i].hidden[layer].data(); };
    // Pooled vectors and, after the loss, their gradient back into the token states.
    auto pooled = [&](const PooledRef& r, std::vector<float>& out) {
      const EncodeInput& in = spec.inputs[r.input];
      out.resize(static_cast<size_t>(in.batch * H));
      pool_forward(r.pooling, hidden(r.input, resolve_layer(m, r.layer)), in.mask.data(), in.batch, in.length, H, out.data());
    };
    auto pooled_back = [&](const PooledRef& r, const std::vector<float>& d) {
      const EncodeInput& in = spec.inputs[r.input];
      pool_backward(r.pooling, d.data(), in.mask.data(), in.batch, in.length, H, sink(r.input, resolve_layer(m, r.layer)));
    };

    for (const LossTerm& t : spec.terms) {
      TermResult tr;
      tr.kind = t.kind;
      switch (t.kind) {
        case TermKind::InfoNce:
        case TermKind::InfoNceTarget: {
          Timed timer(c, &Profile::losses);
          std::vector<float> q, qn, d, dn, dq, ddn, dqn;
          pooled(t.queries, q);
          const int64_t nq = spec.inputs[t.queries.input].batch;
          qn.resize(q.size());
          l2_normalize_forward(q.data(), nq, H, qn.data());
          int64_t nd;
          if (t.kind == TermKind::InfoNce) {
            pooled(t.docs, d);
            nd = spec.inputs[t.docs.input].batch;
          } else {
            d = t.target;
            nd = static_cast<int64_t>(d.size()) / H;
          }
          dn.resize(d.size());
          l2_normalize_forward(d.data(), nd, H, dn.data());
          dqn.resize(q.size());
          ddn.resize(t.kind == TermKind::InfoNce ? d.size() : 0);
          double accuracy = 0;
          tr.value = infonce(qn.data(), nq, dn.data(), nd, H, t.positive.data(), t.temperature, t.weight, dqn.data(),
                             ddn.empty() ? nullptr : ddn.data(), &accuracy);
          tr.extras.emplace_back("accuracy", accuracy);
          if (spec.backward) {
            dq.assign(q.size(), 0.0f);
            l2_normalize_backward(q.data(), dqn.data(), nq, H, dq.data());
            pooled_back(t.queries, dq);
            if (t.kind == TermKind::InfoNce) {
              std::vector<float> dd(d.size(), 0.0f);
              l2_normalize_backward(d.data(), ddn.data(), nd, H, dd.data());
              pooled_back(t.docs, dd);
            }
          }
          break;
        }
        case TermKind::Mse:
        case TermKind::Cosine: {
          Timed timer(c, &Profile::losses);
          std::vector<float> p, dp;
          pooled(t.queries, p);
          const int64_t n = spec.inputs[t.queries.input].batch;
          dp.resize(p.size());
          tr.value = t.kind == TermKind::Mse ? mse(p.data(), t.target.data(), n, H, t.weight, dp.data())
                                             : cosine_loss(p.data(), t.target.data(), n, H, t.weight, dp.data());
          if (spec.backward) pooled_back(t.queries, dp);
          break;
        }
        case TermKind::Bce: {
          const EncodeInput& in = spec.inputs[t.input];
          ClassifierActs a;
          classifier_forward(m, c, hidden(t.input, N), in.batch, in.length, drop, static_cast<uint32_t>(t.input), a);
          std::vector<float> dlogits(static_cast<size_t>(in.batch));
          double accuracy = 0;
          {
            Timed timer(c, &Profile::losses);
            tr.value = bce_with_logits(a.logits.data(), t.labels.data(), in.batch, t.weight, dlogits.data(), &accuracy);
          }
          tr.extras.emplace_back("accuracy", accuracy);
          if (spec.backward)
            classifier_backward(m, c, dlogits.data(), in.batch, in.length, drop, static_cast<uint32_t>(t.input), a,
                                sink(t.input, N));
          break;
        }
        case TermKind::Mlm: {
          const EncodeInput& in = spec.inputs[t.input];
          std::vector<int64_t> rows;
          std::vector<int32_t> labels;
          for (int64_t i = 0; i < in.batch * in.length; ++i)
            if (t.mlmLabels[i] != -100) {
              rows.push_back(i);
              labels.push_back(t.mlmLabels[i]);
            }
          tr.extras.emplace_back("count", static_cast<double>(rows.size()));
          if (rows.empty()) {
            tr.extras.emplace_back("accuracy", 0.0);
            break;  // nothing to predict: value 0, no gradient
          }
          MlmActs a;
          mlm_forward(m, c, hidden(t.input, N), rows, a);
          double accuracy = 0;
          {
            Timed timer(c, &Profile::losses);
            tr.value = cross_entropy(c, a.logits.data(), labels.data(), static_cast<int64_t>(rows.size()), cfg.vocabSize,
                                     t.weight, &accuracy);
          }
          tr.extras.emplace_back("accuracy", accuracy);
          if (spec.backward) mlm_backward(m, c, a.logits.data(), a, sink(t.input, N));
          break;
        }
        case TermKind::Ot: {
          const EncodeInput& in = spec.inputs[t.input];
          const int64_t layer = resolve_layer(m, t.layer);
          OtTerm ot;
          ot.teacher = t.teacher.data();
          ot.rows = t.rows.data();
          ot.a = t.a.empty() ? nullptr : t.a.data();
          ot.b = t.b.empty() ? nullptr : t.b.data();
          ot.cost = t.cost;
          ot.sinkhorn = t.sinkhorn;
          OtExtras e;
          tr.value = ot_distill(c, hidden(t.input, layer), in.mask.data(), in.batch, in.length, H, ot, t.weight,
                                sink(t.input, layer), &e);
          tr.extras.emplace_back("iterations", e.iterations);
          tr.extras.emplace_back("converged", e.converged);
          tr.extras.emplace_back("planEntropy", e.planEntropy);
          tr.extras.emplace_back("entropicValue", e.entropicValue);
          tr.extras.emplace_back("maxError", e.maxError);
          break;
        }
      }
      result.loss += t.weight * tr.value;
      result.terms.push_back(std::move(tr));
    }

    if (spec.backward)
      for (size_t i = 0; i < nI; ++i) encoder_backward(m, c, ws.acts[i], drop, sinks[i], ws.scratch);
  } catch (const std::bad_alloc&) {
    range_error("out of memory in a step over " + describe_inputs(spec) + " (" +
                std::to_string(static_cast<int64_t>(need / (1 << 20))) + " MiB of activations): use a smaller batch or length");
  }
  if (spec.profile) {
    const double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    Profile& p = result.profile;
    const double known = p.gemm + p.attention + p.layernorm + p.gelu + p.embeddings + p.dropout + p.losses + p.ot + p.other;
    p.other += std::max(0.0, total - known);
  }
  return result;
}

EncodeResult encode(Model& m, const EncodeInput& in, const EncodeOptions& o, ot::ThreadPool& pool) {
  validate_input(m, in, "input");
  const int64_t N = m.config.numLayers, H = m.config.hiddenSize, T = in.batch * in.length;
  if (o.layers.empty() && !o.pooled && !o.logits)
    range_error("options must ask for something: layers, pooled or logits");
  int64_t top = (o.pooled || o.logits) ? N : 0;
  for (size_t i = 0; i < o.layers.size(); ++i) {
    if (o.layers[i] < 0 || o.layers[i] > N)
      range_error(idx("options.layers", static_cast<int64_t>(i)) + " must be in [0, " + std::to_string(N) + "], got " +
                  std::to_string(o.layers[i]));
    top = std::max(top, o.layers[i]);
  }
  if (o.logits && !m.heads.classifier)
    range_error("options.logits needs the classifier head, but the model has no classifier.weight / classifier.bias");
  // One layer's activations plus the kept hidden states must fit (checked before allocating).
  const double need = static_cast<double>(encoder_training_bytes(m.config, in.batch, in.length, 1)) +
                      static_cast<double>(o.layers.size() + 2) * static_cast<double>(T * H) * sizeof(float);
  const double have = physical_bytes();
  if (have > 0 && need > 0.9 * have) {
    std::ostringstream msg;
    msg.precision(3);
    msg << "encoding input batch " << in.batch << " × length " << in.length << " needs about " << need / (1 << 30)
        << " GiB, more than this machine's " << have / (1 << 30) << " GiB of memory; use a smaller batch or length";
    range_error(msg.str());
  }
  const ot::FlushDenormals ftz;
  const Ctx c{&pool, m.threads, nullptr};
  EncodeResult r;
  try {
    std::vector<bool> keep(static_cast<size_t>(top + 1), false);
    for (int64_t l : o.layers) keep[l] = true;
    if (o.pooled || o.logits) keep[N] = true;
    Workspace& ws = workspace(m);
    encoder_forward(m, c, view(in, 0), top, Dropout{}, false, &keep, ws.inference, ws.scratch);
    for (int64_t l : o.layers) {
      const float* h = ws.inference.hidden[l].data();
      r.hidden.emplace_back(h, h + T * H);
    }
    const float* last = (o.pooled || o.logits) ? ws.inference.hidden[N].data() : nullptr;
    if (o.pooled) {
      r.pooled.resize(static_cast<size_t>(in.batch * H));
      pool_forward(o.pooling, last, in.mask.data(), in.batch, in.length, H, r.pooled.data());
      if (o.normalize) l2_normalize_forward(r.pooled.data(), in.batch, H, r.pooled.data());
    }
    if (o.logits) {
      ClassifierActs a;
      classifier_forward(m, c, last, in.batch, in.length, Dropout{}, 0, a);
      r.logits = a.logits;
    }
  } catch (const std::bad_alloc&) {
    range_error("out of memory encoding input batch " + std::to_string(in.batch) + " × length " + std::to_string(in.length) +
                ": use a smaller batch");
  }
  return r;
}

}  // namespace nn
