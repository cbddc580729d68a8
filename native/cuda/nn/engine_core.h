// The CUDA engine's model and its three calls — step, encode, optimizer step — on device buffers
// (native/nn/step.cpp and adamw.cpp, same StepSpec semantics, same numbers up to float rounding).
// Parameters, gradients, AdamW moments and every activation stay on the device for the whole step;
// the host sends token ids, masks and targets, and gets back loss values and extras.
//
// A step runs in two phases. Phase 1 (forward passes, losses, every loss gradient w.r.t. pooled
// vectors, logits or token states) allocates whatever the call needs and writes no parameter
// gradient: when the device runs out of memory there, the workspace is released and the step
// tried once more, then refused with a RangeError naming the batch and length — the model is
// unchanged and the process goes on. Phase 2 (the heads' and the encoders' backward passes, in
// the CPU engine's order) allocates nothing (DeviceArray refuses to grow then), so it cannot fail
// half-way through accumulating gradients.
//
// Header-only: compiled into engine.cu (nvcc) and into the kernel emulator (test/cuda/emulator),
// which runs whole steps on the CPU and compares them with native/nn.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "core/ot.h"
#include "cuda/marginals.h"
#include "cuda/nn/heads.h"
#include "nn/adamw.h"
#include "nn/step.h"

namespace optical::cuda::nn {

/** Device outputs of the OT term's fused chain (cost, Sinkhorn, envelope gradient). */
struct OtTermOutputs {
  float* plan;
  float* grad;
  double* cost;
  double* value;
  int32_t* iterations;
  double* error;
  uint8_t* converged;
};

/** Runs the fused OT chain on device-resident tokens (teacher rows, student cols, marginals a and b
 *  materialised on the device): optical::cuda::ot_loss_on_device in the addon, the emulated kernels
 *  under the emulator. Throws ot::ArgumentError for an eps below the costs' float32 resolution. */
class OtRunner {
 public:
  virtual ~OtRunner() = default;
  virtual void run(const Ctx& c, const ot::RaggedLayout& L, int64_t dim, const float* teacher, const float* student,
                   const float* a, const float* b, ot::CostKind kind, const ot::SinkhornOptions& o,
                   const OtTermOutputs& out) = 0;
};

/** Device buffers handed out in request order and reset per call: a repeated call of the same
 *  shape reuses them all. */
class BufferPool {
 public:
  template <class T>
  T* get(int64_t n) {
    if (next_ == bufs_.size()) bufs_.emplace_back();
    return reinterpret_cast<T*>(bufs_[next_++].ensure(static_cast<std::size_t>(std::max<int64_t>(n, 1)) * sizeof(T)));
  }
  void reset() { next_ = 0; }
  void release() {
    bufs_.clear();
    next_ = 0;
  }

 private:
  std::vector<DeviceArray<unsigned char>> bufs_;
  std::size_t next_ = 0;
};

/** Device memory ran out (a DeviceOutOfMemory, or a CUDA allocation failure inside the OT chain). */
inline bool out_of_device_memory(const std::exception& e) {
  if (dynamic_cast<const DeviceOutOfMemory*>(&e)) return true;
#ifndef OPTICAL_CUDA_EMULATION
  if (const auto* x = dynamic_cast<const CudaError*>(&e)) return x->code() == cudaErrorMemoryAllocation;
#endif
  return false;
}

class EngineCore {
 public:
  EngineCore(::nn::Model& host, GemmPrecision precision) : host_(host), gemm_(precision) { build_adam_chunks(); }

  ::nn::Model& host() { return host_; }
  const Gemm& gemm() const { return gemm_; }

  // ---- host ↔ device copies of the model's state (getParameters, setParameters, …) -------------

  void upload_params(const Stream& s) {
    const auto n = host_.params.size();
    upload(s, dm_.params.ensure(n), host_.params.data(), n);
    device_sync(s, "uploading the parameters");
  }
  void download_params(const Stream& s) {
    download(s, host_.params.data(), dm_.params.data(), host_.params.size());
    device_sync(s, "downloading the parameters");
  }
  /** host.grads ← device (zeros when no backward pass ran yet). */
  void download_grads(const Stream& s) {
    if (dm_.grads.empty()) {
      host_.grads.assign(host_.params.size(), 0.0f);
      return;
    }
    host_.ensure_grads();
    download(s, host_.grads.data(), dm_.grads.data(), host_.grads.size());
    device_sync(s, "downloading the gradients");
  }
  /** host.m, host.v ← device (empty when no optimizer step ran yet, as on the CPU). */
  void download_moments(const Stream& s) {
    if (dm_.m.empty()) {
      host_.m.clear();
      host_.v.clear();
      return;
    }
    host_.ensure_moments();
    download(s, host_.m.data(), dm_.m.data(), host_.m.size());
    download(s, host_.v.data(), dm_.v.data(), host_.v.size());
    device_sync(s, "downloading the optimizer state");
  }
  /** device ← host.m, host.v (empty host moments free the device ones). */
  void upload_moments(const Stream& s) {
    if (host_.m.empty()) {
      dm_.m.release();
      dm_.v.release();
      return;
    }
    const auto n = host_.params.size();
    upload(s, dm_.m.ensure(n), host_.m.data(), n);
    upload(s, dm_.v.ensure(n), host_.v.data(), n);
    device_sync(s, "uploading the optimizer state");
  }
  void zero_grads(const Stream& s) {
    if (!dm_.grads.empty()) zero_on_device(s, dm_.grads.data(), dm_.grads.size() * sizeof(float));
    device_sync(s, "zeroing the gradients");
  }
  /** Frees every activation buffer (the model's parameters, gradients and moments stay). */
  void release_workspace() { ws_ = Workspace{}; }

  // ---- step ----------------------------------------------------------------------------------------

  ::nn::StepResult step(const Stream& s, const ::nn::StepSpec& spec, OtRunner& ot) {
    ::nn::validate_step(host_, spec);
    check_fits(spec);
    const auto started = std::chrono::steady_clock::now();
    ::nn::StepResult result;
    for (int attempt = 0;; ++attempt) {
      try {
        result = step_once(s, spec, ot);
        break;
      } catch (const std::exception& e) {
        allocation_forbidden() = false;
        if (!out_of_device_memory(e)) throw;
        release_workspace();  // a smaller call may have left buffers of other shapes behind: start afresh
        if (attempt > 0) {
          std::ostringstream o;
          o.precision(3);
          o << "out of device memory in a step over " << describe_inputs(spec) << " (about "
            << static_cast<double>(step_bytes(spec)) / (1 << 20) << " MiB of activations; " << memory_sentence()
            << "): use a smaller batch or length";
          ::nn::range_error(o.str());
        }
      }
    }
    if (spec.profile) {
      const double total = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
      ::nn::Profile& p = result.profile;
      const double known = p.gemm + p.attention + p.layernorm + p.gelu + p.embeddings + p.dropout + p.losses + p.ot + p.other;
      p.other += std::max(0.0, total - known);
    }
    return result;
  }

  // ---- encode ----------------------------------------------------------------------------------------

  ::nn::EncodeResult encode(const Stream& s, const ::nn::EncodeInput& in, const ::nn::EncodeOptions& o) {
    ::nn::validate_input(host_, in, "input");
    const ::nn::Config& cfg = host_.config;
    const int64_t N = cfg.numLayers, H = cfg.hiddenSize, T = in.batch * in.length;
    if (o.layers.empty() && !o.pooled && !o.logits) ::nn::range_error("options must ask for something: layers, pooled or logits");
    int64_t top = (o.pooled || o.logits) ? N : 0;
    for (std::size_t i = 0; i < o.layers.size(); ++i) {
      if (o.layers[i] < 0 || o.layers[i] > N)
        ::nn::range_error("options.layers[" + std::to_string(i) + "] must be in [0, " + std::to_string(N) + "], got " +
                          std::to_string(o.layers[i]));
      top = std::max(top, o.layers[i]);
    }
    if (o.logits && !host_.heads.classifier)
      ::nn::range_error("options.logits needs the classifier head, but the model has no classifier.weight / classifier.bias");
    const int64_t need = encoder_device_bytes(cfg, in.batch, in.length, 1) +
                         static_cast<int64_t>(o.layers.size() + 2) * T * H * static_cast<int64_t>(sizeof(float));
    refuse_if_larger_than_device(need, "encoding input batch " + std::to_string(in.batch) + " × length " +
                                           std::to_string(in.length));
    for (int attempt = 0;; ++attempt) {
      try {
        return encode_once(s, in, o, top);
      } catch (const std::exception& e) {
        if (!out_of_device_memory(e)) throw;
        release_workspace();
        if (attempt > 0)
          ::nn::range_error("out of device memory encoding input batch " + std::to_string(in.batch) + " × length " +
                            std::to_string(in.length) + " (" + memory_sentence() + "): use a smaller batch");
      }
    }
  }

  // ---- optimizer step ----------------------------------------------------------------------------

  ::nn::AdamWResult adamw(const Stream& s, const ::nn::AdamWOptions& o) {
    ::nn::validate_adamw(o);
    // Frozen parameters (native/nn/adamw.cpp): named as the CPU engine names them, their gradients
    // cleared first so they count neither in the norm nor in the update.
    std::vector<bool> frozen(host_.tensors.size(), false);
    for (std::size_t i = 0; i < o.frozen.size(); ++i) {
      std::size_t k = 0;
      while (k < host_.tensors.size() && host_.tensors[k].name != o.frozen[i]) ++k;
      if (k == host_.tensors.size())
        ::nn::range_error("options.frozen[" + std::to_string(i) + "] '" + o.frozen[i] + "' is not a parameter of this model");
      frozen[k] = true;
    }
    ensure_grads(s);
    for (std::size_t k = 0; k < host_.tensors.size(); ++k)
      if (frozen[k])
        zero_on_device(s, dm_.grads.data() + host_.tensors[k].offset, static_cast<std::size_t>(host_.tensors[k].size) * sizeof(float));
    const auto n = static_cast<int64_t>(host_.params.size());
    ::nn::AdamWResult r;
    const int64_t chunks = static_cast<int64_t>(blocks_for(n, kNormChunk));
    double* part = normParts_.ensure(static_cast<std::size_t>(std::max<int64_t>(chunks, 1)));
    launch(s, "sum_squares_kernel", sum_squares_kernel, static_cast<std::size_t>(chunks), kThreads, 0,
           static_cast<const float*>(dm_.grads.data()), n, part);
    std::vector<double> parts(static_cast<std::size_t>(chunks));
    download(s, parts.data(), static_cast<const double*>(part), parts.size());
    device_sync(s, "gradient norm");
    double total = 0.0;
    for (double p : parts) total += p;  // chunk order, as native/nn's sum_squares
    r.gradNorm = std::sqrt(total);
    r.finite = std::isfinite(r.gradNorm);
    if (!r.finite) {
      zero_on_device(s, dm_.grads.data(), dm_.grads.size() * sizeof(float));
      device_sync(s, "clearing non-finite gradients");
      return r;
    }
    if (o.clipNorm > 0.0) {
      const double coef = o.clipNorm / (r.gradNorm + 1e-6);
      if (coef < 1.0) r.clipScale = coef;
    }
    if (dm_.m.empty()) {
      const auto bytes = host_.params.size() * sizeof(float);
      zero_on_device(s, dm_.m.ensure(host_.params.size()), bytes);
      zero_on_device(s, dm_.v.ensure(host_.params.size()), bytes);
    }
    host_.adamSteps += 1;
    const double bc1 = 1.0 - std::pow(o.beta1, static_cast<double>(host_.adamSteps));
    const double bc2 = 1.0 - std::pow(o.beta2, static_cast<double>(host_.adamSteps));
    AdamScalars a;
    a.gradScale = static_cast<float>(r.clipScale);
    a.decay = static_cast<float>(1.0 - o.lr * o.weightDecay);
    a.beta1 = static_cast<float>(o.beta1);
    a.oneMinusBeta1 = static_cast<float>(1.0 - o.beta1);
    a.beta2 = static_cast<float>(o.beta2);
    a.oneMinusBeta2 = static_cast<float>(1.0 - o.beta2);
    a.stepSize = static_cast<float>(o.lr / bc1);
    a.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
    a.eps = static_cast<float>(o.epsilon);
    std::size_t chunkCount = 0;
    const AdamChunk* chunkTable = adamChunks(s, o.weightDecay > 0.0, frozen, chunkCount);
    launch(s, "adamw_kernel", adamw_kernel, chunkCount, kThreads, 0, chunkTable, dm_.params.data(), dm_.grads.data(),
           dm_.m.data(), dm_.v.data(), a);
    // Frozen tensors are skipped by the table; their gradients were cleared above (the kernel
    // clears the others), so every gradient is zero afterwards, as on the CPU.
    // The weights the update left non-finite (e.g. an lr that overflows float32): one flag back,
    // and only then the parameters, to name the first such tensor (native/nn's nonFinite).
    int32_t* flag = nonFiniteFlag_.ensure(1);
    zero_on_device(s, flag, sizeof(int32_t));
    launch(s, "any_non_finite_kernel", any_non_finite_kernel, blocks_for(n, kThreads), kThreads, 0,
           static_cast<const float*>(dm_.params.data()), n, flag);
    int32_t nonFinite = 0;
    download(s, &nonFinite, static_cast<const int32_t*>(flag), 1);
    device_sync(s, "optimizer step");
    if (nonFinite) {
      std::vector<float> params(host_.params.size());
      download(s, params.data(), static_cast<const float*>(dm_.params.data()), params.size());
      device_sync(s, "optimizer step: finding the non-finite parameter");
      for (const ::nn::TensorInfo& t : host_.tensors) {
        const float* p = params.data() + t.offset;
        if (!std::all_of(p, p + t.size, [](float x) { return std::isfinite(x); })) {
          r.nonFinite = t.name;
          break;
        }
      }
    }
    return r;
  }

  /** Bytes of parameters, gradients and moments on the device now. */
  int64_t model_bytes() const {
    return static_cast<int64_t>((dm_.params.size() + dm_.grads.size() + dm_.m.size() + dm_.v.size()) * sizeof(float));
  }

 private:
  struct Workspace {
    std::vector<DeviceInput> inputs;
    std::vector<EncoderActs> acts;
    std::vector<std::vector<DeviceArray<float>>> dHidden;
    EncoderScratch scratch;
    DeviceInput inferenceInput;
    EncoderActs inference;
    OpScratch ops;
    BufferPool pool;
    std::vector<ClassifierActs> classifier;  // per term
    std::vector<MlmActs> mlm;                // per term
  };

  static std::string describe_inputs(const ::nn::StepSpec& s) {
    std::ostringstream o;
    for (std::size_t i = 0; i < s.inputs.size(); ++i)
      o << (i ? ", " : "") << "inputs[" << i << "] batch " << s.inputs[i].batch << " × length " << s.inputs[i].length;
    return o.str();
  }

  static std::string memory_sentence() {
    std::size_t freeBytes = 0, totalBytes = 0;
    try {
      device_memory(freeBytes, totalBytes);
    } catch (...) {
      return "device memory unknown";
    }
    std::ostringstream o;
    o.precision(3);
    o << "the device has " << static_cast<double>(freeBytes) / (1 << 30) << " GiB free of "
      << static_cast<double>(totalBytes) / (1 << 30) << " GiB";
    return o.str();
  }

  int64_t step_bytes(const ::nn::StepSpec& spec) const {
    int64_t total = 0;
    for (const ::nn::EncodeInput& in : spec.inputs)
      total += encoder_device_bytes(host_.config, in.batch, in.length, host_.config.numLayers);
    return total;
  }

  /** A call whose activations alone exceed the device's memory is refused before anything runs. */
  void refuse_if_larger_than_device(int64_t need, const std::string& what) const {
    std::size_t freeBytes = 0, totalBytes = 0;
    device_memory(freeBytes, totalBytes);
    const double budget = 0.95 * static_cast<double>(totalBytes) - static_cast<double>(model_bytes());
    if (static_cast<double>(need) <= budget) return;
    std::ostringstream o;
    o.precision(3);
    o << what << " needs about " << static_cast<double>(need) / (1 << 30) << " GiB of device memory for activations, more than the "
      << budget / (1 << 30) << " GiB this device has next to the model (" << static_cast<double>(totalBytes) / (1 << 30)
      << " GiB in all); use a smaller batch or length";
    ::nn::range_error(o.str());
  }

  void check_fits(const ::nn::StepSpec& spec) const {
    if (spec.backward) refuse_if_larger_than_device(step_bytes(spec), "a training step over " + describe_inputs(spec));
  }

  void ensure_grads(const Stream& s) {
    if (!dm_.grads.empty()) return;
    const auto n = host_.params.size();
    zero_on_device(s, dm_.grads.ensure(n), n * sizeof(float));
  }

  // Chunks of ≤ kAdamChunk entries per tensor, with the decay flag (decayOn: weight decay > 0).
  void build_adam_chunks() {
    adamHost_.clear();
    for (const ::nn::TensorInfo& t : host_.tensors)
      for (int64_t b = 0; b < t.size; b += kAdamChunk)
        adamHost_.push_back(AdamChunk{t.offset + b, static_cast<int32_t>(std::min<int64_t>(kAdamChunk, t.size - b)),
                                      t.decay ? 1 : 0});
    adamChunkCount_ = adamHost_.size();
  }
  /** The chunk table of one optimizer step: cached for the two decay settings without frozen
   *  tensors; with frozen ones (rare: a table per call) their chunks are left out. */
  const AdamChunk* adamChunks(const Stream& s, bool decayOn, const std::vector<bool>& frozen, std::size_t& count) {
    const bool anyFrozen = std::find(frozen.begin(), frozen.end(), true) != frozen.end();
    DeviceArray<AdamChunk>& table = anyFrozen ? adamFrozen_ : decayOn ? adamDecay_ : adamNoDecay_;
    if (!anyFrozen && !table.empty()) {
      count = adamChunkCount_;
      return table.data();
    }
    std::vector<AdamChunk> t;
    t.reserve(adamHost_.size());
    std::size_t k = 0;  // adamHost_ lists the tensors' chunks in tensor order
    for (const AdamChunk& c : adamHost_) {
      while (c.offset >= host_.tensors[k].offset + host_.tensors[k].size) ++k;
      if (frozen[k]) continue;
      t.push_back(c);
      if (!decayOn) t.back().decay = 0;
    }
    count = t.size();
    if (!t.empty()) {
      upload(s, table.ensure(t.size()), t.data(), t.size());
      device_sync(s, "optimizer chunk table");  // (t is a local)
    }
    return table.data();
  }

  // The step itself; throws DeviceOutOfMemory (phase 1 only) for step() to handle.
  ::nn::StepResult step_once(const Stream& s, const ::nn::StepSpec& spec, OtRunner& ot);
  ::nn::EncodeResult encode_once(const Stream& s, const ::nn::EncodeInput& in, const ::nn::EncodeOptions& o, int64_t top);

  ::nn::Model& host_;
  DeviceModel dm_;
  Gemm gemm_;
  Workspace ws_;
  DeviceArray<double> normParts_;
  std::vector<AdamChunk> adamHost_;
  std::size_t adamChunkCount_ = 0;
  DeviceArray<AdamChunk> adamDecay_, adamNoDecay_, adamFrozen_;
  DeviceArray<int32_t> nonFiniteFlag_;

 public:
  const DeviceModel& device_model() const { return dm_; }
};

// ---------------------------------------------------------------------------------------------------

namespace engine_detail {

inline int64_t resolve_layer(const ::nn::Model& m, int64_t layer) { return layer < 0 ? m.config.numLayers : layer; }

/** Host values that come back at the end of the step, and what is computed from them. */
struct Pending {
  std::vector<std::unique_ptr<std::vector<double>>> doubles;
  std::vector<std::unique_ptr<std::vector<uint8_t>>> bytes;
  std::vector<std::unique_ptr<std::vector<int32_t>>> ints;
  std::vector<std::function<void()>> finish;

  const std::vector<double>& get(const Stream& s, const double* d, int64_t n) {
    doubles.push_back(std::make_unique<std::vector<double>>(static_cast<std::size_t>(n)));
    download(s, doubles.back()->data(), d, static_cast<std::size_t>(n));
    return *doubles.back();
  }
  const std::vector<uint8_t>& get(const Stream& s, const uint8_t* d, int64_t n) {
    bytes.push_back(std::make_unique<std::vector<uint8_t>>(static_cast<std::size_t>(n)));
    download(s, bytes.back()->data(), d, static_cast<std::size_t>(n));
    return *bytes.back();
  }
  const std::vector<int32_t>& get(const Stream& s, const int32_t* d, int64_t n) {
    ints.push_back(std::make_unique<std::vector<int32_t>>(static_cast<std::size_t>(n)));
    download(s, ints.back()->data(), d, static_cast<std::size_t>(n));
    return *ints.back();
  }
};

inline double sum_of(const std::vector<double>& v) {
  double s = 0.0;
  for (double x : v) s += x;
  return s;
}
inline double share_of(const std::vector<uint8_t>& v) {
  double s = 0.0;
  for (uint8_t x : v) s += x;
  return v.empty() ? 0.0 : s / static_cast<double>(v.size());
}

}  // namespace engine_detail

inline ::nn::StepResult EngineCore::step_once(const Stream& s, const ::nn::StepSpec& spec, OtRunner& ot) {
  using namespace engine_detail;
  using ::nn::TermKind;
  ::nn::StepResult result;
  result.profile.on = spec.profile;
  OpScratch& scratch = ws_.ops;
  const Ctx c{s, &gemm_, &scratch, &result.profile};
  const ::nn::Config& cfg = host_.config;
  const int64_t H = cfg.hiddenSize, N = cfg.numLayers;
  const std::size_t nI = spec.inputs.size(), nT = spec.terms.size();
  ws_.pool.reset();
  BufferPool& pool = ws_.pool;

  // The highest hidden state each input needs, and the hidden states that receive gradients.
  std::vector<int64_t> top(nI, 0);
  std::vector<std::vector<bool>> sinkWanted(nI);
  auto want = [&](int64_t i, int64_t layer) {
    top[i] = std::max(top[i], layer);
    if (spec.backward) {
      if (static_cast<int64_t>(sinkWanted[i].size()) <= layer) sinkWanted[i].resize(static_cast<std::size_t>(layer + 1), false);
      sinkWanted[i][layer] = true;
    }
  };
  for (const ::nn::LossTerm& t : spec.terms) {
    switch (t.kind) {
      case TermKind::InfoNce:
        want(t.queries.input, resolve_layer(host_, t.queries.layer));
        want(t.docs.input, resolve_layer(host_, t.docs.layer));
        break;
      case TermKind::InfoNceTarget:
      case TermKind::Mse:
      case TermKind::Cosine: want(t.queries.input, resolve_layer(host_, t.queries.layer)); break;
      case TermKind::Bce:
      case TermKind::Mlm: want(t.input, N); break;
      case TermKind::Ot: want(t.input, resolve_layer(host_, t.layer)); break;
    }
  }

  // ---- phase 1: forward passes and losses (allocates; writes no parameter gradient) -------------
  if (ws_.inputs.size() < nI) ws_.inputs.resize(nI);
  if (ws_.acts.size() < nI) ws_.acts.resize(nI);
  if (ws_.dHidden.size() < nI) ws_.dHidden.resize(nI);
  if (ws_.classifier.size() < nT) ws_.classifier.resize(nT);
  if (ws_.mlm.size() < nT) ws_.mlm.resize(nT);
  if (spec.backward) ensure_grads(s);
  const ::nn::Dropout drop{spec.training, spec.seed};
  for (std::size_t i = 0; i < nI; ++i) {
    upload_input(c, spec.inputs[i], static_cast<uint32_t>(i), ws_.inputs[i]);
    encoder_forward(host_, dm_, c, ws_.inputs[i], top[i], drop, spec.backward, nullptr, ws_.acts[i], ws_.scratch);
  }
  // Loss gradients w.r.t. hidden states, zeroed here.
  std::vector<std::vector<float*>> sinks(nI);
  for (std::size_t i = 0; i < nI; ++i) {
    sinks[i].assign(static_cast<std::size_t>(top[i] + 1), nullptr);
    auto& bufs = ws_.dHidden[i];
    if (bufs.size() < sinkWanted[i].size()) bufs.resize(sinkWanted[i].size());
    const int64_t n = spec.inputs[i].batch * spec.inputs[i].length * H;
    for (std::size_t l = 0; l < sinkWanted[i].size(); ++l)
      if (sinkWanted[i][l]) {
        sinks[i][l] = bufs[l].ensure(static_cast<std::size_t>(n));
        zero(c, sinks[i][l], n);
      }
  }
  auto hidden = [&](int64_t i, int64_t layer) -> const float* { return ws_.acts[i].hidden[layer].data(); };
  auto mask = [&](int64_t i) -> const uint8_t* { return ws_.inputs[i].mask.data(); };

  Pending pending;
  std::vector<std::function<void()>> backward;  // phase 2, in term order
  result.terms.resize(nT);

  for (std::size_t k = 0; k < nT; ++k) {
    const ::nn::LossTerm& t = spec.terms[k];
    ::nn::TermResult& tr = result.terms[k];
    tr.kind = t.kind;
    switch (t.kind) {
      case TermKind::InfoNce:
      case TermKind::InfoNceTarget: {
        Timed timer(c, &::nn::Profile::losses);
        const bool docs = t.kind == TermKind::InfoNce;
        const ::nn::EncodeInput& qi = spec.inputs[t.queries.input];
        const int64_t nq = qi.batch, qLayer = resolve_layer(host_, t.queries.layer);
        float* q = pool.get<float>(nq * H);
        float* qn = pool.get<float>(nq * H);
        pool_forward(c, t.queries.pooling, hidden(t.queries.input, qLayer), mask(t.queries.input), nq, qi.length, H, q);
        launch(s, "l2_normalize_forward_kernel", l2_normalize_forward_kernel, warp_rows_grid(nq), kThreads, 0,
               static_cast<const float*>(q), nq, H, qn);
        int64_t nd;
        float* d;
        if (docs) {
          const ::nn::EncodeInput& di = spec.inputs[t.docs.input];
          nd = di.batch;
          d = pool.get<float>(nd * H);
          pool_forward(c, t.docs.pooling, hidden(t.docs.input, resolve_layer(host_, t.docs.layer)), mask(t.docs.input), nd,
                       di.length, H, d);
        } else {
          nd = static_cast<int64_t>(t.target.size()) / H;
          d = pool.get<float>(nd * H);
          upload(s, d, t.target.data(), t.target.size());
        }
        float* dn = pool.get<float>(nd * H);
        launch(s, "l2_normalize_forward_kernel", l2_normalize_forward_kernel, warp_rows_grid(nd), kThreads, 0,
               static_cast<const float*>(d), nd, H, dn);
        double* S = pool.get<double>(nq * nd);
        launch(s, "infonce_logits_kernel", infonce_logits_kernel, warp_rows_grid(nq * nd), kThreads, 0,
               static_cast<const float*>(qn), nq, static_cast<const float*>(dn), nd, H, t.temperature, S);
        int32_t* positive = pool.get<int32_t>(nq);
        upload(s, positive, t.positive.data(), t.positive.size());
        double* rowLoss = pool.get<double>(nq);
        uint8_t* hit = pool.get<uint8_t>(nq);
        launch(s, "infonce_rows_kernel", infonce_rows_kernel, grid_of(nq), kThreads, 0, S, nq, nd,
               static_cast<const int32_t*>(positive), t.weight, rowLoss, hit);
        const auto* lossHost = &pending.get(s, rowLoss, nq);
        const auto* hitHost = &pending.get(s, hit, nq);
        pending.finish.push_back([trp = &tr, lossHost, hitHost, nq] {
          trp->value = sum_of(*lossHost) / static_cast<double>(nq);
          trp->extras.emplace_back("accuracy", share_of(*hitHost));
        });
        if (spec.backward) {
          float* dqn = pool.get<float>(nq * H);
          float* dq = pool.get<float>(nq * H);
          launch(s, "infonce_grad_kernel", infonce_grad_kernel, grid_of(nq * H), kThreads, 0, static_cast<const double*>(S),
                 nq, nd, static_cast<const float*>(dn), H, t.temperature, false, dqn);
          zero(c, dq, nq * H);
          launch(s, "l2_normalize_backward_kernel", l2_normalize_backward_kernel, warp_rows_grid(nq), kThreads, 0,
                 static_cast<const float*>(q), static_cast<const float*>(dqn), nq, H, dq);
          float* dd = nullptr;
          if (docs) {
            float* ddn = pool.get<float>(nd * H);
            dd = pool.get<float>(nd * H);
            launch(s, "infonce_grad_kernel", infonce_grad_kernel, grid_of(nd * H), kThreads, 0,
                   static_cast<const double*>(S), nq, nd, static_cast<const float*>(qn), H, t.temperature, true, ddn);
            zero(c, dd, nd * H);
            launch(s, "l2_normalize_backward_kernel", l2_normalize_backward_kernel, warp_rows_grid(nd), kThreads, 0,
                   static_cast<const float*>(d), static_cast<const float*>(ddn), nd, H, dd);
          }
          float* qSink = sinks[t.queries.input][qLayer];
          float* dSink = docs ? sinks[t.docs.input][resolve_layer(host_, t.docs.layer)] : nullptr;
          backward.push_back([&, tp = &t, dq, dd, qSink, dSink, nq, nd, docs] {
            pool_backward(c, tp->queries.pooling, dq, mask(tp->queries.input), nq, spec.inputs[tp->queries.input].length, H, qSink);
            if (docs)
              pool_backward(c, tp->docs.pooling, dd, mask(tp->docs.input), nd, spec.inputs[tp->docs.input].length, H, dSink);
          });
        }
        break;
      }
      case TermKind::Mse:
      case TermKind::Cosine: {
        Timed timer(c, &::nn::Profile::losses);
        const ::nn::EncodeInput& in = spec.inputs[t.queries.input];
        const int64_t n = in.batch, layer = resolve_layer(host_, t.queries.layer);
        float* p = pool.get<float>(n * H);
        float* target = pool.get<float>(n * H);
        float* dp = pool.get<float>(n * H);
        pool_forward(c, t.queries.pooling, hidden(t.queries.input, layer), mask(t.queries.input), n, in.length, H, p);
        upload(s, target, t.target.data(), t.target.size());
        if (t.kind == TermKind::Mse) {
          const int64_t count = n * H;
          const auto blocks = static_cast<int64_t>(grid_of(count));
          double* part = pool.get<double>(blocks);
          launch(s, "mse_kernel", mse_kernel, static_cast<std::size_t>(blocks), kThreads, 0, static_cast<const float*>(p),
                 static_cast<const float*>(target), count, t.weight, dp, part);
          const auto* parts = &pending.get(s, part, blocks);
          pending.finish.push_back([trp = &tr, parts, count] { trp->value = sum_of(*parts) / static_cast<double>(count); });
        } else {
          double* rowLoss = pool.get<double>(n);
          launch(s, "cosine_loss_kernel", cosine_loss_kernel, warp_rows_grid(n), kThreads, 0, static_cast<const float*>(p),
                 static_cast<const float*>(target), n, H, t.weight, dp, rowLoss);
          const auto* rows = &pending.get(s, rowLoss, n);
          pending.finish.push_back([trp = &tr, rows, n] { trp->value = sum_of(*rows) / static_cast<double>(n); });
        }
        if (spec.backward) {
          float* sink = sinks[t.queries.input][layer];
          backward.push_back([&, tp = &t, dp, sink, n] {
            pool_backward(c, tp->queries.pooling, dp, mask(tp->queries.input), n, spec.inputs[tp->queries.input].length, H, sink);
          });
        }
        break;
      }
      case TermKind::Bce: {
        const ::nn::EncodeInput& in = spec.inputs[t.input];
        const int64_t B = in.batch;
        ClassifierActs& a = ws_.classifier[k];
        classifier_forward(host_, dm_, c, hidden(t.input, N), B, in.length, drop, static_cast<uint32_t>(t.input), a);
        a.d.ensure(static_cast<std::size_t>(B * H));  // (phase 2 buffers)
        a.dcls.ensure(static_cast<std::size_t>(B * H));
        float* labels = pool.get<float>(B);
        float* dlogits = pool.get<float>(B);
        double* rowLoss = pool.get<double>(B);
        uint8_t* hit = pool.get<uint8_t>(B);
        {
          Timed timer(c, &::nn::Profile::losses);
          upload(s, labels, t.labels.data(), t.labels.size());
          launch(s, "bce_kernel", bce_kernel, grid_of(B), kThreads, 0, static_cast<const float*>(a.logits.data()),
                 static_cast<const float*>(labels), B, t.weight, dlogits, rowLoss, hit);
        }
        const auto* lossHost = &pending.get(s, rowLoss, B);
        const auto* hitHost = &pending.get(s, hit, B);
        pending.finish.push_back([trp = &tr, lossHost, hitHost, B] {
          trp->value = sum_of(*lossHost) / static_cast<double>(B);
          trp->extras.emplace_back("accuracy", share_of(*hitHost));
        });
        if (spec.backward) {
          float* sink = sinks[t.input][N];
          backward.push_back([&, input = static_cast<uint32_t>(t.input), dlogits, sink, B, k] {
            classifier_backward(host_, dm_, c, dlogits, B, drop, input, ws_.classifier[k], sink);
          });
        }
        break;
      }
      case TermKind::Mlm: {
        const ::nn::EncodeInput& in = spec.inputs[t.input];
        std::vector<int64_t> rows;
        std::vector<int32_t> labels;
        for (int64_t i = 0; i < in.batch * in.length; ++i)
          if (t.mlmLabels[i] != -100) {
            rows.push_back(i);
            labels.push_back(t.mlmLabels[i]);
          }
        const auto count = static_cast<int64_t>(rows.size());
        if (count == 0) {  // nothing to predict: value 0, no gradient
          tr.extras.emplace_back("count", 0.0);
          tr.extras.emplace_back("accuracy", 0.0);
          break;
        }
        MlmActs& a = ws_.mlm[k];
        mlm_forward(host_, dm_, c, hidden(t.input, N), rows, a);
        a.dt.ensure(static_cast<std::size_t>(count * H));  // (phase 2 buffers)
        a.dx.ensure(static_cast<std::size_t>(count * H));
        int32_t* dLabels = pool.get<int32_t>(count);
        double* rowLoss = pool.get<double>(count);
        uint8_t* hit = pool.get<uint8_t>(count);
        {
          Timed timer(c, &::nn::Profile::losses);
          upload(s, dLabels, labels.data(), labels.size());
          launch(s, "cross_entropy_kernel", cross_entropy_kernel, static_cast<std::size_t>(count), kThreads, 0,
                 a.logits.data(), static_cast<const int32_t*>(dLabels), cfg.vocabSize,
                 static_cast<float>(t.weight / static_cast<double>(count)), rowLoss, hit);
        }
        const auto* lossHost = &pending.get(s, rowLoss, count);
        const auto* hitHost = &pending.get(s, hit, count);
        pending.finish.push_back([trp = &tr, lossHost, hitHost, count] {
          trp->extras.emplace_back("count", static_cast<double>(count));
          trp->value = sum_of(*lossHost) / static_cast<double>(count);
          trp->extras.emplace_back("accuracy", share_of(*hitHost));
        });
        if (spec.backward) {
          float* sink = sinks[t.input][N];
          backward.push_back([&, sink, k] {
            MlmActs& m = ws_.mlm[k];
            mlm_backward(host_, dm_, c, m.logits.data(), m, sink);
          });
        }
        break;
      }
      case TermKind::Ot: {
        Timed timer(c, &::nn::Profile::ot);
        const ::nn::EncodeInput& in = spec.inputs[t.input];
        const int64_t B = in.batch, L = in.length, layer = resolve_layer(host_, t.layer);
        std::vector<int32_t> cols(static_cast<std::size_t>(B));
        std::vector<int64_t> positions;
        for (int64_t b = 0; b < B; ++b) {
          int32_t n = 0;
          for (int64_t l = 0; l < L; ++l)
            if (in.mask[b * L + l]) {
              positions.push_back(b * L + l);
              ++n;
            }
          cols[b] = n;
        }
        const ot::RaggedLayout layout = ot::RaggedLayout::build(t.rows.data(), B, cols.data(), B, H);
        const int64_t S = layout.totalCols();
        int64_t* pos = pool.get<int64_t>(S);
        upload(s, pos, positions.data(), positions.size());
        float* student = pool.get<float>(S * H);
        launch(s, "gather_rows_kernel", gather_rows_kernel, grid_of(S * H), kThreads, 0, hidden(t.input, layer),
               static_cast<const int64_t*>(pos), S, H, student);
        // A diverged model: NaN loss and a poisoned gradient, so the optimizer step refuses it (as
        // native/nn's ot_distill). The check brings back one flag.
        int32_t* flag = pool.get<int32_t>(1);
        zero_on_device(s, flag, sizeof(int32_t));
        launch(s, "any_non_finite_kernel", any_non_finite_kernel, grid_of(S * H), kThreads, 0,
               static_cast<const float*>(student), S * H, flag);
        int32_t nonFinite = 0;
        download(s, &nonFinite, static_cast<const int32_t*>(flag), 1);
        device_sync(s, "OT term: checking the student tokens");
        float* sink = spec.backward ? sinks[t.input][layer] : nullptr;
        if (nonFinite) {
          tr.value = std::numeric_limits<double>::quiet_NaN();
          for (const char* e : {"iterations", "converged", "planEntropy", "entropicValue", "maxError"}) tr.extras.emplace_back(e, 0.0);
          if (sink) {
            const float nan = std::numeric_limits<float>::quiet_NaN();
            std::vector<float> poison(static_cast<std::size_t>(S * H), 0.0f);
            for (int64_t r = 0; r < S; ++r) poison[static_cast<std::size_t>(r * H)] = nan;
            float* src = pool.get<float>(S * H);
            upload(s, src, poison.data(), poison.size());
            device_sync(s, "OT term");  // (poison is a local)
            backward.push_back([&, src, pos, sink, S] {
              launch(s, "scatter_add_rows_kernel", scatter_add_rows_kernel, grid_of(S * H), kThreads, 0,
                     static_cast<const float*>(src), static_cast<const int64_t*>(pos), S, H, 1.0f, sink);
            });
          }
          break;
        }
        float* teacher = pool.get<float>(static_cast<int64_t>(t.teacher.size()));
        upload(s, teacher, t.teacher.data(), t.teacher.size());
        std::vector<float> A, Bm;
        materialise_marginals(layout, t.a.empty() ? nullptr : t.a.data(), t.b.empty() ? nullptr : t.b.data(),
                              std::isinf(t.sinkhorn.rho), A, Bm);
        float* a = pool.get<float>(static_cast<int64_t>(A.size()));
        float* b = pool.get<float>(static_cast<int64_t>(Bm.size()));
        upload(s, a, A.data(), A.size());
        upload(s, b, Bm.data(), Bm.size());
        OtTermOutputs out{};
        out.plan = pool.get<float>(layout.totalCells());
        out.grad = pool.get<float>(S * H);
        out.cost = pool.get<double>(B);
        out.value = pool.get<double>(B);
        out.iterations = pool.get<int32_t>(B);
        out.error = pool.get<double>(B);
        out.converged = pool.get<uint8_t>(B);
        ot.run(c, layout, H, teacher, student, a, b, t.cost, t.sinkhorn, out);
        int64_t* blockOffset = pool.get<int64_t>(B + 1);
        upload(s, blockOffset, layout.blockOffset.data(), layout.blockOffset.size());
        double* entropy = pool.get<double>(B);
        launch(s, "plan_entropy_kernel", plan_entropy_kernel, static_cast<std::size_t>(B), kThreads, 0,
               static_cast<const int64_t*>(blockOffset), static_cast<const float*>(out.plan), entropy);
        device_sync(s, "OT term");  // (A, Bm and the layout are locals)
        const auto* cost = &pending.get(s, out.cost, B);
        const auto* value = &pending.get(s, out.value, B);
        const auto* iterations = &pending.get(s, out.iterations, B);
        const auto* error = &pending.get(s, out.error, B);
        const auto* converged = &pending.get(s, out.converged, B);
        const auto* planEntropy = &pending.get(s, entropy, B);
        pending.finish.push_back([trp = &tr, cost, value, iterations, error, converged, planEntropy, B] {
          ::nn::OtExtras e;
          double loss = 0.0;
          for (int64_t q = 0; q < B; ++q) {
            loss += (*cost)[q];
            e.iterations += (*iterations)[q];
            e.converged += (*converged)[q];
            e.entropicValue += (*value)[q];
            e.maxError = std::max(e.maxError, (*error)[q]);
            e.planEntropy += (*planEntropy)[q];
          }
          const double inv = 1.0 / static_cast<double>(B);
          trp->value = loss * inv;
          trp->extras.emplace_back("iterations", e.iterations * inv);
          trp->extras.emplace_back("converged", e.converged * inv);
          trp->extras.emplace_back("planEntropy", e.planEntropy * inv);
          trp->extras.emplace_back("entropicValue", e.entropicValue * inv);
          trp->extras.emplace_back("maxError", e.maxError);
        });
        if (sink) {
          const float scale = static_cast<float>(t.weight / static_cast<double>(B));
          const float* grad = out.grad;
          backward.push_back([&, grad, pos, sink, S, scale] {
            launch(s, "scatter_add_rows_kernel", scatter_add_rows_kernel, grid_of(S * H), kThreads, 0, grad,
                   static_cast<const int64_t*>(pos), S, H, scale, sink);
          });
        }
        break;
      }
    }
  }

  // Everything phase 2 uses, reserved now: the encoders' backward scratch and the column-sum
  // partials of every backward linear layer / LayerNorm.
  if (spec.backward) {
    int64_t cols = 3 * H > cfg.intermediateSize ? 3 * H : cfg.intermediateSize;
    int64_t partFloats = 0, attn = 0, probs = 0, T = 0, inter = 0;
    for (const ::nn::EncodeInput& in : spec.inputs) {
      const int64_t t = in.batch * in.length;
      T = std::max(T, t);
      partFloats = std::max(partFloats, row_chunks(t) * cols);
      attn = std::max(attn, t * H);
      probs = std::max(probs, in.batch * cfg.numHeads * in.length * in.length);
      inter = std::max(inter, t * std::max(H, cfg.intermediateSize));
    }
    for (std::size_t k = 0; k < nT; ++k) {
      const ::nn::LossTerm& t = spec.terms[k];
      if (t.kind == TermKind::Mlm && ws_.mlm[k].N > 0) partFloats = std::max(partFloats, row_chunks(ws_.mlm[k].N) * cfg.vocabSize);
      if (t.kind == TermKind::Bce) partFloats = std::max(partFloats, row_chunks(spec.inputs[t.input].batch) * H);
    }
    EncoderScratch& w = ws_.scratch;
    for (DeviceArray<float>* a : {&w.h1, &w.h2, &w.h3, &w.q, &w.k, &w.v, &w.headCtx, &w.dq, &w.dk, &w.dv})
      a->ensure(static_cast<std::size_t>(attn));
    w.i1.ensure(static_cast<std::size_t>(inter));
    w.i2.ensure(static_cast<std::size_t>(T * cfg.intermediateSize));
    w.qkv.ensure(static_cast<std::size_t>(T * 3 * H));
    w.dropped.ensure(static_cast<std::size_t>(probs));
    w.dprobs.ensure(static_cast<std::size_t>(probs));
    w.order.ensure(static_cast<std::size_t>(T));
    w.groupBounds.ensure(static_cast<std::size_t>(2 * T));
    w.groupId.ensure(static_cast<std::size_t>(T));
    scratch.part.ensure(static_cast<std::size_t>(partFloats));
    scratch.part2.ensure(static_cast<std::size_t>(partFloats));
  }

  // ---- phase 2: backward (no allocation, so no failure half-way through the gradients) ----------
  if (spec.backward) {
    allocation_forbidden() = true;
    for (auto& b : backward) b();
    for (std::size_t i = 0; i < nI; ++i) encoder_backward(host_, dm_, c, ws_.acts[i], drop, sinks[i], ws_.scratch);
    allocation_forbidden() = false;
  }
  device_sync(s, "step");
  for (auto& f : pending.finish) f();
  for (std::size_t k = 0; k < nT; ++k) result.loss += spec.terms[k].weight * result.terms[k].value;
  return result;
}

inline ::nn::EncodeResult EngineCore::encode_once(const Stream& s, const ::nn::EncodeInput& in,
                                                  const ::nn::EncodeOptions& o, int64_t top) {
  const ::nn::Config& cfg = host_.config;
  const int64_t N = cfg.numLayers, H = cfg.hiddenSize, T = in.batch * in.length;
  OpScratch& scratch = ws_.ops;
  const Ctx c{s, &gemm_, &scratch, nullptr};
  ::nn::EncodeResult r;
  std::vector<bool> keep(static_cast<std::size_t>(top + 1), false);
  for (int64_t l : o.layers) keep[l] = true;
  if (o.pooled || o.logits) keep[N] = true;
  upload_input(c, in, 0, ws_.inferenceInput);
  encoder_forward(host_, dm_, c, ws_.inferenceInput, top, ::nn::Dropout{}, false, &keep, ws_.inference, ws_.scratch);
  for (int64_t l : o.layers) {
    r.hidden.emplace_back(static_cast<std::size_t>(T * H));
    download(s, r.hidden.back().data(), static_cast<const float*>(ws_.inference.hidden[l].data()),
             static_cast<std::size_t>(T * H));
  }
  const float* last = (o.pooled || o.logits) ? ws_.inference.hidden[N].data() : nullptr;
  ws_.pool.reset();
  if (o.pooled) {
    float* pooled = ws_.pool.get<float>(in.batch * H);
    pool_forward(c, o.pooling, last, ws_.inferenceInput.mask.data(), in.batch, in.length, H, pooled);
    if (o.normalize)
      launch(s, "l2_normalize_forward_kernel", l2_normalize_forward_kernel, warp_rows_grid(in.batch), kThreads, 0,
             static_cast<const float*>(pooled), in.batch, H, pooled);
    r.pooled.resize(static_cast<std::size_t>(in.batch * H));
    download(s, r.pooled.data(), static_cast<const float*>(pooled), r.pooled.size());
  }
  if (o.logits) {
    if (ws_.classifier.empty()) ws_.classifier.resize(1);
    ClassifierActs& a = ws_.classifier[0];
    classifier_forward(host_, dm_, c, last, in.batch, in.length, ::nn::Dropout{}, 0, a);
    r.logits.resize(static_cast<std::size_t>(in.batch));
    download(s, r.logits.data(), static_cast<const float*>(a.logits.data()), r.logits.size());
  }
  device_sync(s, "encode");
  return r;
}

}  // namespace optical::cuda::nn
