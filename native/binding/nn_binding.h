// Node-API side of the encoder engine (native/nn): the NnModel class exported by the CPU addon.
// Everything JavaScript hands over is read, checked and copied into native/nn structs here on the
// JS thread (sharp style); the work then runs on a libuv worker, one call at a time per model.
#ifndef OPTICAL_NATIVE_BINDING_NN_BINDING_H
#define OPTICAL_NATIVE_BINDING_NN_BINDING_H

#include <napi.h>

#include <memory>
#include <string>
#include <vector>

#include "../nn/adamw.h"
#include "../nn/model.h"
#include "../nn/step.h"

namespace optical {

// ---- nn_args.cpp: JS → C++ (throws ot::ArgumentError naming the argument) --------------------
nn::Config read_nn_config(const Napi::Value& v);
struct NamedTensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};
// { name: { shape: number[], data: Float32Array } } → tensors (copied).
std::vector<NamedTensor> read_tensor_map(const Napi::Value& v, const std::string& what);
nn::StepSpec read_step_spec(const Napi::Value& v);
nn::EncodeInput read_encode_input(const Napi::Value& v, const std::string& name);
nn::EncodeOptions read_encode_options(const Napi::Value& v);
nn::AdamWOptions read_adamw_options(const Napi::Value& v);

// ---- C++ → JS ------------------------------------------------------------------------------
Napi::Object step_result_to_js(Napi::Env env, const nn::StepResult& r, bool profile);
Napi::Object encode_result_to_js(Napi::Env env, const nn::EncodeResult& r);
// { name: { shape, data } } for every tensor of the model, from a flat buffer in its layout (empty
// buffer: zeros).
Napi::Object tensors_to_js(Napi::Env env, const nn::Model& m, const std::vector<float>& flat);

}  // namespace optical

#endif  // OPTICAL_NATIVE_BINDING_NN_BINDING_H
