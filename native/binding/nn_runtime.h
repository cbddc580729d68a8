// What an NnModel runs on. The CPU addon's NnModel runs native/nn on the thread pool; the CUDA
// addon's runs the same model on a GPU (native/cuda/nn). Both addons share the NnModel class
// (nn_model.cpp): argument reading and checks, the async jobs, the HF-named tensor maps — only
// the runtime differs, so the TypeScript NativeEngine drives either addon with the same calls.
#ifndef OPTICAL_NATIVE_BINDING_NN_RUNTIME_H
#define OPTICAL_NATIVE_BINDING_NN_RUNTIME_H

#include <napi.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../nn/adamw.h"
#include "../nn/model.h"
#include "../nn/step.h"

namespace optical {

struct Backend;

/** One fact of NnModel.info(): a number or a text. */
struct InfoValue {
  bool isNumber = false;
  double number = 0;
  std::string text;
  static InfoValue of(double v) { return InfoValue{true, v, {}}; }
  static InfoValue of(std::string v) { return InfoValue{false, 0, std::move(v)}; }
};
using InfoList = std::vector<std::pair<std::string, InfoValue>>;

class NnRuntime {
 public:
  virtual ~NnRuntime() = default;
  /** The tensor table (names, shapes, offsets) and the host copies of the state — current after
   *  pull(), sent to where the work runs by push(). */
  virtual nn::Model& model() = 0;
  enum Part : unsigned { kParams = 1, kGrads = 2, kMoments = 4 };
  virtual void pull(unsigned parts) { (void)parts; }
  virtual void push(unsigned parts) { (void)parts; }
  // The calls run on a libuv worker (one at a time per model).
  virtual nn::StepResult step(const nn::StepSpec& spec) = 0;
  virtual nn::AdamWResult optimizer_step(const nn::AdamWOptions& o) = 0;
  virtual nn::EncodeResult encode(const nn::EncodeInput& in, const nn::EncodeOptions& o) = 0;
  virtual void zero_grads() = 0;
  virtual int threads() const = 0;
  virtual void set_threads(int threads) = 0;
  /** The runtime's facts for NnModel.info() (engine, GEMM, device, …). */
  virtual InfoList describe() const = 0;
};

/** Builds the runtime of a new NnModel from the config, the heads its tensors imply and the
 *  constructor's `options` (an object or undefined), whose known keys it reads and checks (an
 *  unknown key is an ArgumentError naming it). */
using NnRuntimeFactory = std::unique_ptr<NnRuntime> (*)(const nn::Config& config, const nn::Heads& heads,
                                                        const Napi::Value& options);

/** `threads` of an options object: an integer in [0, 4096] (0 = all); `name` for messages. */
int read_nn_threads(const Napi::Value& v, const std::string& name);
/** Throws an ArgumentError naming the first key of `options` that is not in `known`. */
void check_nn_option_keys(const Napi::Value& options, const std::vector<std::string>& known);

/** The CPU addon's runtime: native/nn on the addon's thread pool (options: threads). */
std::unique_ptr<NnRuntime> make_cpu_runtime(const nn::Config& config, const nn::Heads& heads, const Napi::Value& options);

/** Adds `NnModel` to the addon's exports; its failures are mapped by `backend` (runner.h), its
 *  models built by `factory`. Both must outlive the addon (statics). */
void init_nn(Napi::Env env, Napi::Object exports, const Backend& backend, NnRuntimeFactory factory);

}  // namespace optical

#endif  // OPTICAL_NATIVE_BINDING_NN_RUNTIME_H
