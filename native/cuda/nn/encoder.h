// The BERT encoder on the GPU (native/nn/encoder.h step by step, on device buffers): embeddings,
// LayerNorm, dropout, then per layer the fused QKV projection, attention, output projection,
// dropout, residual + LayerNorm, feed-forward (dense, GELU, dense), dropout, residual + LayerNorm.
// Forward keeps what backward needs; backward takes the loss gradients of any hidden states and
// accumulates every parameter gradient. Everything stays on the device.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "cuda/nn/ops.h"
#include "nn/encoder.h"
#include "nn/model.h"
#include "nn/step.h"  // EncodeInput

namespace optical::cuda::nn {

/** Device buffers of the model: the flat parameter, gradient and moment buffers in native/nn's
 *  layout (Model::tensors gives every tensor's offset). */
struct DeviceModel {
  DeviceArray<float> params, grads, m, v;
  float* p(int64_t offset) const { return params.data() + offset; }
  float* g(int64_t offset) const { return grads.data() + offset; }
};

/** One input of a call on the device, with the host copies the backward pass and the OT term
 *  need (token order of the embedding gradient, the positions of real tokens). */
struct DeviceInput {
  int64_t B = 0, L = 0;
  uint32_t index = 0;
  const int32_t* hostIds = nullptr;
  const uint8_t* hostMask = nullptr;
  const int32_t* hostTypes = nullptr;
  DeviceArray<int32_t> ids, types;
  DeviceArray<uint8_t> mask;
  bool hasTypes = false;
};

/** Uploads one input (ids, mask, types). */
inline void upload_input(const Ctx& c, const ::nn::EncodeInput& in, uint32_t index, DeviceInput& d) {
  const std::size_t n = static_cast<std::size_t>(in.batch * in.length);
  d.B = in.batch;
  d.L = in.length;
  d.index = index;
  d.hostIds = in.ids.data();
  d.hostMask = in.mask.data();
  d.hostTypes = in.types.empty() ? nullptr : in.types.data();
  d.hasTypes = !in.types.empty();
  upload(c.s, d.ids.ensure(n), in.ids.data(), n);
  upload(c.s, d.mask.ensure(n), in.mask.data(), n);
  if (d.hasTypes) upload(c.s, d.types.ensure(n), in.types.data(), n);
}

struct LayerActs {
  // ffnAct = gelu(intermediate), ffnDeriv = gelu'(intermediate) (training only).
  DeviceArray<float> qkv, probs, ctx, ln1In, ln1Mean, ln1Rstd, h1, ffnAct, ffnDeriv, ln2In, ln2Mean, ln2Rstd;
};

struct EncoderActs {
  const DeviceInput* in = nullptr;
  int64_t T = 0, top = 0;
  bool forBackward = false;
  DeviceArray<float> embSum, embMean, embRstd;
  std::vector<DeviceArray<float>> hidden;  // [top + 1] × T·H (inference: only the kept ones)
  std::vector<LayerActs> layers;           // forBackward: one per layer; else one reused
};

/** Scratch shared by the inputs of one call (grown, never shrunk). */
struct EncoderScratch {
  DeviceArray<float> h1, h2, h3, i1, i2, qkv;
  // Attention: head-major Q, K, V, the context per head, the dropped probabilities and dP.
  DeviceArray<float> q, k, v, headCtx, dropped, dprobs, dq, dk, dv;
  // Embedding gradient: the tokens grouped by id.
  DeviceArray<int64_t> order, groupBounds;
  DeviceArray<int32_t> groupId;
};

inline ::nn::DropoutKey key_for(const ::nn::Dropout& d, const DeviceInput& in, int64_t layer, ::nn::DropoutSite site,
                                double rate) {
  ::nn::DropoutKey k;
  k.seed = d.seed;
  k.stream = ::nn::dropout_stream(layer, site);
  k.input = in.index;
  k.rate = rate;
  return k;
}
inline bool active(const ::nn::Dropout& d, double rate) { return d.on && rate > 0.0; }

// ---- embeddings --------------------------------------------------------------------------------

inline void embeddings_forward(const Ctx& c, const DeviceInput& in, int64_t H, int64_t posOffset, const float* word,
                               const float* pos, const float* type, float* out) {
  Timed t(c, &::nn::Profile::embeddings);
  const int64_t T = in.B * in.L;
  launch(c.s, "embeddings_forward_kernel", embeddings_forward_kernel, grid_of(T * H), kThreads, 0,
         static_cast<const int32_t*>(in.ids.data()), in.hasTypes ? static_cast<const int32_t*>(in.types.data()) : nullptr,
         T, in.L, H, posOffset, word, pos, type, out);
}

/** The scatter-add backward: tokens grouped by id on the host (stable counting sort, padding id
 *  excluded as torch's padding_idx), then one thread per (row, column) sums in token order. */
inline void embeddings_backward(const Ctx& c, const float* dout, const DeviceInput& in, int64_t H, int64_t posOffset,
                                int64_t vocab, int64_t typeVocab, int64_t padId, float* dword, float* dpos,
                                float* dtype, EncoderScratch& s) {
  Timed t(c, &::nn::Profile::embeddings);
  const int64_t B = in.B, L = in.L, T = B * L;
  std::vector<int64_t> start(static_cast<std::size_t>(vocab) + 1, 0);
  for (int64_t i = 0; i < T; ++i) ++start[static_cast<std::size_t>(in.hostIds[i]) + 1];
  for (int64_t v = 0; v < vocab; ++v) start[v + 1] += start[v];
  std::vector<int64_t> order(static_cast<std::size_t>(T));
  {
    std::vector<int64_t> fill(start.begin(), start.end() - 1);
    for (int64_t i = 0; i < T; ++i) order[fill[in.hostIds[i]]++] = i;
  }
  // Group d: id groupId[d], tokens order[bounds[2d] … bounds[2d+1]).
  std::vector<int32_t> groupId;
  std::vector<int64_t> bounds;
  for (int64_t v = 0; v < vocab; ++v)
    if (start[v + 1] > start[v] && v != padId) {
      groupId.push_back(static_cast<int32_t>(v));
      bounds.push_back(start[v]);
      bounds.push_back(start[v + 1]);
    }
  const int64_t groups = static_cast<int64_t>(groupId.size());
  int64_t* dOrder = s.order.ensure(static_cast<std::size_t>(T));
  int64_t* dBounds = s.groupBounds.ensure(static_cast<std::size_t>(std::max<int64_t>(2 * groups, 1)));
  int32_t* dIds = s.groupId.ensure(static_cast<std::size_t>(std::max<int64_t>(groups, 1)));
  upload(c.s, dOrder, order.data(), order.size());
  upload(c.s, dBounds, bounds.data(), bounds.size());
  upload(c.s, dIds, groupId.data(), groupId.size());
  launch(c.s, "embeddings_word_backward_kernel", embeddings_word_backward_kernel,
         static_cast<std::size_t>(groups) * blocks_for(H, kThreads), kThreads, 0, dout,
         static_cast<const int64_t*>(dOrder), static_cast<const int64_t*>(dBounds), static_cast<const int32_t*>(dIds),
         groups, H, dword);
  launch(c.s, "embeddings_position_backward_kernel", embeddings_position_backward_kernel, grid_of(L * H), kThreads, 0,
         dout, B, L, H, posOffset, dpos);
  launch(c.s, "embeddings_type_backward_kernel", embeddings_type_backward_kernel, grid_of(typeVocab * H), kThreads, 0,
         dout, in.hasTypes ? static_cast<const int32_t*>(in.types.data()) : nullptr, T, H, typeVocab, dtype);
  // (The host vectors may go now: a copy from pageable memory returns once the data is staged.)
}

// ---- attention -----------------------------------------------------------------------------------

struct AttentionShape {
  int64_t B, L, H, heads;
};

inline float attention_scale(int64_t dh) { return static_cast<float>(1.0 / std::sqrt(static_cast<double>(dh))); }

/** Strided batched GEMM over the (sequence, head) pairs of head-major [B·heads, rows, cols] arrays. */
inline void head_gemm(const Ctx& c, bool transA, bool transB, int64_t M, int64_t N, int64_t K, float alpha,
                      const float* A, int64_t lda, int64_t strideA, const float* B, int64_t ldb, int64_t strideB,
                      float* C, int64_t ldc, int64_t strideC, int64_t batch) {
  GemmArgs g = gemm_args(transA, transB, M, N, K, alpha, A, lda, B, ldb, 0.0f, C, ldc);
  g.strideA = strideA;
  g.strideB = strideB;
  g.strideC = strideC;
  g.batch = batch;
  c.gemm->run(c.s, g);
}

inline void split_qkv(const Ctx& c, const AttentionShape& s, const float* qkv, EncoderScratch& w) {
  const int64_t n = s.B * s.L * s.H, dh = s.H / s.heads, ld = 3 * s.H;
  float* q = w.q.ensure(static_cast<std::size_t>(n));
  float* k = w.k.ensure(static_cast<std::size_t>(n));
  float* v = w.v.ensure(static_cast<std::size_t>(n));
  launch(c.s, "split_heads_kernel", split_heads_kernel, grid_of(n), kThreads, 0, qkv, ld, s.B, s.L, s.heads, dh, q);
  launch(c.s, "split_heads_kernel", split_heads_kernel, grid_of(n), kThreads, 0, qkv + s.H, ld, s.B, s.L, s.heads, dh, k);
  launch(c.s, "split_heads_kernel", split_heads_kernel, grid_of(n), kThreads, 0, qkv + 2 * s.H, ld, s.B, s.L, s.heads, dh,
         v);
}

/** S = Q Kᵀ/√d, masked softmax (probs, kept), P' = dropout(P) (site 2), ctx = P' V. */
inline void attention_forward(const Ctx& c, const AttentionShape& s, const float* qkv, const uint8_t* mask,
                              const ::nn::DropoutKey* drop, float* probs, float* ctx, EncoderScratch& w) {
  Timed t(c, &::nn::Profile::attention);
  const int64_t L = s.L, nh = s.heads, dh = s.H / nh, BH = s.B * nh;
  split_qkv(c, s, qkv, w);
  head_gemm(c, false, true, L, L, dh, attention_scale(dh), w.q.data(), dh, L * dh, w.k.data(), dh, L * dh, probs, L, L * L,
            BH);
  launch(c.s, "softmax_forward_kernel", softmax_forward_kernel, warp_rows_grid(BH * L), kThreads, 0, probs, mask, BH * L,
         L, nh);
  const float* Pd = probs;
  if (drop) {
    float* d = w.dropped.ensure(static_cast<std::size_t>(BH * L * L));
    launch(c.s, "dropout_kernel", dropout_kernel, grid_of(dropout_quads(BH * L * L, 0)), kThreads, 0, dropout_args(*drop),
           static_cast<const float*>(probs), d, BH * L * L, uint64_t{0});
    Pd = d;
  }
  float* hc = w.headCtx.ensure(static_cast<std::size_t>(s.B * L * s.H));
  head_gemm(c, false, false, L, dh, L, 1.0f, Pd, L, L * L, w.v.data(), dh, L * dh, hc, dh, L * dh, BH);
  launch(c.s, "merge_heads_kernel", merge_heads_kernel, grid_of(s.B * L * s.H), kThreads, 0,
         static_cast<const float*>(hc), s.B, L, nh, dh, s.H, ctx);
}

/** dqkv [T, 3H] (overwritten) from d(context); the dropout mask is drawn again, not stored. */
inline void attention_backward(const Ctx& c, const AttentionShape& s, const float* qkv, const ::nn::DropoutKey* drop,
                               const float* probs, const float* dctx, float* dqkv, EncoderScratch& w) {
  Timed t(c, &::nn::Profile::attention);
  const int64_t L = s.L, nh = s.heads, dh = s.H / nh, BH = s.B * nh, n = s.B * L * s.H;
  const float scale = attention_scale(dh);
  split_qkv(c, s, qkv, w);
  float* dC = w.headCtx.ensure(static_cast<std::size_t>(n));
  launch(c.s, "split_heads_kernel", split_heads_kernel, grid_of(n), kThreads, 0, dctx, s.H, s.B, L, nh, dh, dC);
  float* dP = w.dprobs.ensure(static_cast<std::size_t>(BH * L * L));
  head_gemm(c, false, true, L, L, dh, 1.0f, dC, dh, L * dh, w.v.data(), dh, L * dh, dP, L, L * L, BH);  // d(P') = dC·Vᵀ
  const float* Pd = probs;
  if (drop) {
    float* d = w.dropped.ensure(static_cast<std::size_t>(BH * L * L));
    const DropoutArgs a = dropout_args(*drop);
    launch(c.s, "dropout_kernel", dropout_kernel, grid_of(dropout_quads(BH * L * L, 0)), kThreads, 0, a, probs, d,
           BH * L * L, uint64_t{0});
    launch(c.s, "dropout_kernel", dropout_kernel, grid_of(dropout_quads(BH * L * L, 0)), kThreads, 0, a,
           static_cast<const float*>(dP), dP, BH * L * L, uint64_t{0});  // d(P) = dropout(d(P'))
    Pd = d;
  }
  float* dv = w.dv.ensure(static_cast<std::size_t>(n));
  head_gemm(c, true, false, L, dh, L, 1.0f, Pd, L, L * L, dC, dh, L * dh, dv, dh, L * dh, BH);  // dV = P'ᵀ·dC
  launch(c.s, "softmax_backward_kernel", softmax_backward_kernel, warp_rows_grid(BH * L), kThreads, 0, probs, dP, BH * L,
         L);  // dP → dS
  float* dq = w.dq.ensure(static_cast<std::size_t>(n));
  float* dk = w.dk.ensure(static_cast<std::size_t>(n));
  head_gemm(c, false, false, L, dh, L, scale, dP, L, L * L, w.k.data(), dh, L * dh, dq, dh, L * dh, BH);  // dQ = dS·K/√d
  head_gemm(c, true, false, L, dh, L, scale, dP, L, L * L, w.q.data(), dh, L * dh, dk, dh, L * dh, BH);   // dK = dSᵀ·Q/√d
  const int64_t ld = 3 * s.H;
  launch(c.s, "merge_heads_kernel", merge_heads_kernel, grid_of(n), kThreads, 0, static_cast<const float*>(dq), s.B, L,
         nh, dh, ld, dqkv);
  launch(c.s, "merge_heads_kernel", merge_heads_kernel, grid_of(n), kThreads, 0, static_cast<const float*>(dk), s.B, L,
         nh, dh, ld, dqkv + s.H);
  launch(c.s, "merge_heads_kernel", merge_heads_kernel, grid_of(n), kThreads, 0, static_cast<const float*>(dv), s.B, L,
         nh, dh, ld, dqkv + 2 * s.H);
}

// ---- the encoder -----------------------------------------------------------------------------

inline void size_layer(LayerActs& a, const ::nn::Config& cfg, int64_t B, int64_t L, bool forBackward) {
  const auto T = static_cast<std::size_t>(B * L), H = static_cast<std::size_t>(cfg.hiddenSize),
             I = static_cast<std::size_t>(cfg.intermediateSize);
  a.qkv.ensure(T * 3 * H);
  a.probs.ensure(static_cast<std::size_t>(B * cfg.numHeads * L * L));
  a.ctx.ensure(T * H);
  a.ln1In.ensure(T * H);
  a.ln1Mean.ensure(T);
  a.ln1Rstd.ensure(T);
  a.h1.ensure(T * H);
  a.ffnAct.ensure(T * I);
  if (forBackward) a.ffnDeriv.ensure(T * I);
  a.ln2In.ensure(T * H);
  a.ln2Mean.ensure(T);
  a.ln2Rstd.ensure(T);
}

/** Bytes encoder_forward(forBackward) keeps on the device for B·L tokens up to layer `top`, plus
 *  the scratch of one layer's attention (for the out-of-memory check before a call). */
inline int64_t encoder_device_bytes(const ::nn::Config& cfg, int64_t B, int64_t L, int64_t top) {
  const int64_t T = B * L, H = cfg.hiddenSize, I = cfg.intermediateSize, P = B * cfg.numHeads * L * L;
  const int64_t scratch = T * (3 * H + 3 * H + 2 * I + 9 * H) + 3 * P;
  return (::nn::encoder_training_bytes(cfg, B, L, top) / static_cast<int64_t>(sizeof(float)) + scratch) *
         static_cast<int64_t>(sizeof(float));
}

/** Runs the encoder up to hidden state `top` (native/nn/encoder.h encoder_forward). */
inline void encoder_forward(const ::nn::Model& m, const DeviceModel& dm, const Ctx& c, const DeviceInput& in, int64_t top,
                            const ::nn::Dropout& drop, bool forBackward, const std::vector<bool>* keep, EncoderActs& acts,
                            EncoderScratch& s) {
  const ::nn::Config& cfg = m.config;
  const int64_t B = in.B, L = in.L, T = B * L, H = cfg.hiddenSize, I = cfg.intermediateSize;
  acts.in = &in;
  acts.T = T;
  acts.top = top;
  acts.forBackward = forBackward;
  auto kept = [&](int64_t k) { return forBackward || keep == nullptr || (*keep)[k]; };
  const auto TH = static_cast<std::size_t>(T * H);
  acts.embSum.ensure(TH);
  acts.embMean.ensure(static_cast<std::size_t>(T));
  acts.embRstd.ensure(static_cast<std::size_t>(T));
  if (static_cast<int64_t>(acts.hidden.size()) < top + 1) acts.hidden.resize(static_cast<std::size_t>(top + 1));
  for (int64_t k = 0; k <= top; ++k)
    if (kept(k)) acts.hidden[k].ensure(TH);
  const int64_t layerSlots = forBackward ? top : std::min<int64_t>(top, 1);
  if (static_cast<int64_t>(acts.layers.size()) < layerSlots) acts.layers.resize(static_cast<std::size_t>(layerSlots));
  for (int64_t l = 0; l < layerSlots; ++l) size_layer(acts.layers[l], cfg, B, L, forBackward);
  s.h1.ensure(TH);
  s.i1.ensure(static_cast<std::size_t>(T * I));
  if (!forBackward) {
    s.h2.ensure(TH);
    s.h3.ensure(TH);
  }

  float* h0 = kept(0) ? acts.hidden[0].data() : s.h2.data();
  embeddings_forward(c, in, H, cfg.positionOffset(), dm.p(m.wordEmb), dm.p(m.posEmb), dm.p(m.typeEmb), acts.embSum.data());
  layernorm_forward(c, acts.embSum.data(), T, H, dm.p(m.embLnG), dm.p(m.embLnB), cfg.layerNormEps, h0, acts.embMean.data(),
                    acts.embRstd.data());
  if (active(drop, cfg.hiddenDropout))
    dropout_apply(c, key_for(drop, in, 0, ::nn::DropoutSite::Embeddings, cfg.hiddenDropout), h0, h0, T * H);

  const AttentionShape shape{B, L, H, cfg.numHeads};
  const float* X = h0;
  for (int64_t l = 0; l < top; ++l) {
    const ::nn::LayerOffsets& o = m.layers[l];
    LayerActs& a = acts.layers[forBackward ? l : 0];
    float* out = kept(l + 1) ? acts.hidden[l + 1].data() : (X == s.h2.data() ? s.h3.data() : s.h2.data());
    linear_forward(c, X, T, H, dm.p(o.qkvW), dm.p(o.qkvB), 3 * H, a.qkv.data());
    const ::nn::DropoutKey probsKey = key_for(drop, in, l, ::nn::DropoutSite::AttentionProbs, cfg.attentionDropout);
    attention_forward(c, shape, a.qkv.data(), in.mask.data(), active(drop, cfg.attentionDropout) ? &probsKey : nullptr,
                      a.probs.data(), a.ctx.data(), s);
    linear_forward(c, a.ctx.data(), T, H, dm.p(o.aoW), dm.p(o.aoB), H, s.h1.data());
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, ::nn::DropoutSite::AttentionOutput, cfg.hiddenDropout), s.h1.data(),
                    s.h1.data(), T * H);
    add(c, s.h1.data(), X, a.ln1In.data(), T * H);
    layernorm_forward(c, a.ln1In.data(), T, H, dm.p(o.ln1G), dm.p(o.ln1B), cfg.layerNormEps, a.h1.data(),
                      a.ln1Mean.data(), a.ln1Rstd.data());
    linear_forward(c, a.h1.data(), T, H, dm.p(o.iW), dm.p(o.iB), I, s.i1.data());
    gelu_forward(c, s.i1.data(), a.ffnAct.data(), T * I, forBackward ? a.ffnDeriv.data() : nullptr);
    linear_forward(c, a.ffnAct.data(), T, I, dm.p(o.oW), dm.p(o.oB), H, s.h1.data());
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, ::nn::DropoutSite::FeedForward, cfg.hiddenDropout), s.h1.data(), s.h1.data(),
                    T * H);
    add(c, s.h1.data(), a.h1.data(), a.ln2In.data(), T * H);
    layernorm_forward(c, a.ln2In.data(), T, H, dm.p(o.ln2G), dm.p(o.ln2B), cfg.layerNormEps, out, a.ln2Mean.data(),
                      a.ln2Rstd.data());
    X = out;
  }
}

/** dHidden[k] (T·H device floats, or null) is the loss gradient w.r.t. hidden state k; every
 *  parameter gradient accumulates into dm.grads; the dHidden buffers are consumed. */
inline void encoder_backward(const ::nn::Model& m, const DeviceModel& dm, const Ctx& c, EncoderActs& acts,
                             const ::nn::Dropout& drop, const std::vector<float*>& dHidden, EncoderScratch& s) {
  const ::nn::Config& cfg = m.config;
  const DeviceInput& in = *acts.in;
  const int64_t B = in.B, L = in.L, T = acts.T, H = cfg.hiddenSize, I = cfg.intermediateSize;
  const AttentionShape shape{B, L, H, cfg.numHeads};
  const auto TH = static_cast<std::size_t>(T * H);
  s.h1.ensure(TH);
  s.h2.ensure(TH);
  s.h3.ensure(TH);
  s.i1.ensure(static_cast<std::size_t>(T * std::max(H, I)));
  s.i2.ensure(static_cast<std::size_t>(T * I));
  s.qkv.ensure(static_cast<std::size_t>(T * 3 * H));
  auto present = [&](int64_t k) { return k < static_cast<int64_t>(dHidden.size()) && dHidden[k] != nullptr; };

  float* dOut;
  if (present(acts.top)) {
    dOut = dHidden[acts.top];
  } else {
    dOut = s.h2.data();
    zero(c, dOut, T * H);
  }
  float* tmp = s.h1.data();
  for (int64_t l = acts.top - 1; l >= 0; --l) {
    const ::nn::LayerOffsets& o = m.layers[l];
    LayerActs& a = acts.layers[l];
    const float* X = acts.hidden[l].data();
    float* dh1 = s.h3.data() == dOut ? s.h2.data() : s.h3.data();
    layernorm_backward(c, dOut, a.ln2In.data(), a.ln2Mean.data(), a.ln2Rstd.data(), T, H, dm.p(o.ln2G), tmp, false,
                       dm.g(o.ln2G), dm.g(o.ln2B));
    copy(c, tmp, dh1, T * H);
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, ::nn::DropoutSite::FeedForward, cfg.hiddenDropout), tmp, tmp, T * H);
    linear_backward(c, tmp, a.ffnAct.data(), T, I, dm.p(o.oW), H, s.i2.data(), false, dm.g(o.oW), dm.g(o.oB));
    gelu_backward_saved(c, a.ffnDeriv.data(), s.i2.data(), s.i2.data(), T * I);
    linear_backward(c, s.i2.data(), a.h1.data(), T, H, dm.p(o.iW), I, dh1, true, dm.g(o.iW), dm.g(o.iB));
    layernorm_backward(c, dh1, a.ln1In.data(), a.ln1Mean.data(), a.ln1Rstd.data(), T, H, dm.p(o.ln1G), tmp, false,
                       dm.g(o.ln1G), dm.g(o.ln1B));
    float* dX;
    if (present(l)) {
      dX = dHidden[l];
      accumulate(c, tmp, dX, T * H);
    } else {
      dX = dh1;
      copy(c, tmp, dX, T * H);
    }
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, ::nn::DropoutSite::AttentionOutput, cfg.hiddenDropout), tmp, tmp, T * H);
    float* dctx = s.i1.data();
    linear_backward(c, tmp, a.ctx.data(), T, H, dm.p(o.aoW), H, dctx, false, dm.g(o.aoW), dm.g(o.aoB));
    const ::nn::DropoutKey probsKey = key_for(drop, in, l, ::nn::DropoutSite::AttentionProbs, cfg.attentionDropout);
    attention_backward(c, shape, a.qkv.data(), active(drop, cfg.attentionDropout) ? &probsKey : nullptr, a.probs.data(),
                       dctx, s.qkv.data(), s);
    linear_backward(c, s.qkv.data(), X, T, H, dm.p(o.qkvW), 3 * H, dX, true, dm.g(o.qkvW), dm.g(o.qkvB));
    dOut = dX;
  }
  if (active(drop, cfg.hiddenDropout))
    dropout_apply(c, key_for(drop, in, 0, ::nn::DropoutSite::Embeddings, cfg.hiddenDropout), dOut, dOut, T * H);
  layernorm_backward(c, dOut, acts.embSum.data(), acts.embMean.data(), acts.embRstd.data(), T, H, dm.p(m.embLnG), tmp,
                     false, dm.g(m.embLnG), dm.g(m.embLnB));
  embeddings_backward(c, tmp, in, H, cfg.positionOffset(), cfg.vocabSize, cfg.typeVocabSize, cfg.padTokenId,
                      dm.g(m.wordEmb), dm.g(m.posEmb), dm.g(m.typeEmb), s);
}

}  // namespace optical::cuda::nn
