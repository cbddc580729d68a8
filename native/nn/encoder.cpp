#include "encoder.h"

#include <algorithm>

#include "ops.h"

namespace nn {

namespace {

DropoutKey key_for(const Dropout& d, const InputView& in, int64_t layer, DropoutSite site, double rate) {
  DropoutKey k;
  k.seed = d.seed;
  k.stream = dropout_stream(layer, site);
  k.input = in.index;
  k.rate = rate;
  return k;
}

bool active(const Dropout& d, double rate) { return d.on && rate > 0.0; }

void add_into(const Ctx& c, const float* a, const float* b, float* out, int64_t n) {
  Timed t(c, &Profile::other);
  for_chunks(c, n, int64_t{1} << 15, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] = a[i] + b[i];
  });
}

void copy_into(const Ctx& c, const float* a, float* out, int64_t n) {
  Timed t(c, &Profile::other);
  for_chunks(c, n, int64_t{1} << 15, [&](int64_t s, int64_t e) { std::copy(a + s, a + e, out + s); });
}

void accumulate_into(const Ctx& c, const float* a, float* out, int64_t n) {
  Timed t(c, &Profile::other);
  for_chunks(c, n, int64_t{1} << 15, [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) out[i] += a[i];
  });
}

void size_layer(LayerActs& a, const Config& cfg, int64_t B, int64_t L, bool forBackward) {
  const int64_t T = B * L, H = cfg.hiddenSize, I = cfg.intermediateSize;
  ensure(a.qkv, T * 3 * H);
  ensure(a.probs, B * cfg.numHeads * L * L);
  ensure(a.ctx, T * H);
  ensure(a.ln1In, T * H);
  ensure(a.ln1Mean, T);
  ensure(a.ln1Rstd, T);
  ensure(a.h1, T * H);
  ensure(a.ffnAct, T * I);
  if (forBackward) ensure(a.ffnDeriv, T * I);
  ensure(a.ln2In, T * H);
  ensure(a.ln2Mean, T);
  ensure(a.ln2Rstd, T);
}

}  // namespace

int64_t encoder_training_bytes(const Config& cfg, int64_t B, int64_t L, int64_t top) {
  const int64_t T = B * L, H = cfg.hiddenSize, I = cfg.intermediateSize;
  const int64_t perLayer = T * (3 * H + 5 * H + 2 * I + 4) + B * cfg.numHeads * L * L;
  const int64_t floats = T * (2 * H + 2) + top * perLayer + T * H /* hidden 0 */;
  return floats * static_cast<int64_t>(sizeof(float));
}

void encoder_forward(const Model& m, const Ctx& c, const InputView& in, int64_t top, const Dropout& drop,
                     bool forBackward, const std::vector<bool>* keep, EncoderActs& acts, EncoderScratch& s) {
  const Config& cfg = m.config;
  const int64_t B = in.B, L = in.L, T = B * L, H = cfg.hiddenSize, I = cfg.intermediateSize;
  acts.in = in;
  acts.T = T;
  acts.top = top;
  acts.forBackward = forBackward;
  auto kept = [&](int64_t k) { return forBackward || keep == nullptr || (*keep)[k]; };
  // Everything is sized before any work, so a shape that does not fit fails at once.
  ensure(acts.embSum, T * H);
  ensure(acts.embMean, T);
  ensure(acts.embRstd, T);
  if (static_cast<int64_t>(acts.hidden.size()) < top + 1) acts.hidden.resize(static_cast<size_t>(top + 1));
  for (int64_t k = 0; k <= top; ++k)
    if (kept(k)) ensure(acts.hidden[k], T * H);
  const int64_t layerSlots = forBackward ? top : std::min<int64_t>(top, 1);
  if (static_cast<int64_t>(acts.layers.size()) < layerSlots) acts.layers.resize(static_cast<size_t>(layerSlots));
  for (int64_t l = 0; l < layerSlots; ++l) size_layer(acts.layers[l], cfg, B, L, forBackward);
  ensure(s.h1, T * H);
  ensure(s.i1, T * I);
  if (!forBackward) {
    ensure(s.h2, T * H);
    ensure(s.h3, T * H);
  }

  // Embeddings → LayerNorm → dropout = hidden state 0.
  float* h0 = kept(0) ? acts.hidden[0].data() : s.h2.data();
  embeddings_forward(c, in.ids, in.types, B, L, H, cfg.positionOffset(), m.p(m.wordEmb), m.p(m.posEmb), m.p(m.typeEmb),
                     acts.embSum.data());
  layernorm_forward(c, acts.embSum.data(), T, H, m.p(m.embLnG), m.p(m.embLnB), cfg.layerNormEps, h0,
                    acts.embMean.data(), acts.embRstd.data());
  if (active(drop, cfg.hiddenDropout))
    dropout_apply(c, key_for(drop, in, 0, DropoutSite::Embeddings, cfg.hiddenDropout), h0, h0, T * H);

  const AttentionShape shape{B, L, H, cfg.numHeads};
  const float* X = h0;
  for (int64_t l = 0; l < top; ++l) {
    const LayerOffsets& o = m.layers[l];
    LayerActs& a = acts.layers[forBackward ? l : 0];
    float* out = kept(l + 1) ? acts.hidden[l + 1].data() : (X == s.h2.data() ? s.h3.data() : s.h2.data());
    linear_forward(c, X, T, H, m.p(o.qkvW), m.p(o.qkvB), 3 * H, a.qkv.data());
    const DropoutKey probsKey = key_for(drop, in, l, DropoutSite::AttentionProbs, cfg.attentionDropout);
    attention_forward(c, shape, a.qkv.data(), in.mask, active(drop, cfg.attentionDropout) ? &probsKey : nullptr,
                      a.probs.data(), a.ctx.data());
    linear_forward(c, a.ctx.data(), T, H, m.p(o.aoW), m.p(o.aoB), H, s.h1.data());
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, DropoutSite::AttentionOutput, cfg.hiddenDropout), s.h1.data(), s.h1.data(),
                    T * H);
    add_into(c, s.h1.data(), X, a.ln1In.data(), T * H);
    layernorm_forward(c, a.ln1In.data(), T, H, m.p(o.ln1G), m.p(o.ln1B), cfg.layerNormEps, a.h1.data(),
                      a.ln1Mean.data(), a.ln1Rstd.data());
    linear_forward(c, a.h1.data(), T, H, m.p(o.iW), m.p(o.iB), I, s.i1.data());
    gelu_forward(c, s.i1.data(), a.ffnAct.data(), T * I, forBackward ? a.ffnDeriv.data() : nullptr);
    linear_forward(c, a.ffnAct.data(), T, I, m.p(o.oW), m.p(o.oB), H, s.h1.data());
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, DropoutSite::FeedForward, cfg.hiddenDropout), s.h1.data(), s.h1.data(),
                    T * H);
    add_into(c, s.h1.data(), a.h1.data(), a.ln2In.data(), T * H);
    layernorm_forward(c, a.ln2In.data(), T, H, m.p(o.ln2G), m.p(o.ln2B), cfg.layerNormEps, out, a.ln2Mean.data(),
                      a.ln2Rstd.data());
    X = out;
  }
}

void encoder_backward(Model& m, const Ctx& c, EncoderActs& acts, const Dropout& drop,
                      const std::vector<float*>& dHidden, EncoderScratch& s) {
  const Config& cfg = m.config;
  const InputView& in = acts.in;
  const int64_t B = in.B, L = in.L, T = acts.T, H = cfg.hiddenSize, I = cfg.intermediateSize;
  const AttentionShape shape{B, L, H, cfg.numHeads};
  ensure(s.h1, T * H);
  ensure(s.h2, T * H);
  ensure(s.h3, T * H);
  ensure(s.i1, T * std::max(H, I));  // also holds d(context), T·H
  ensure(s.i2, T * I);
  ensure(s.qkv, T * 3 * H);
  auto present = [&](int64_t k) { return k < static_cast<int64_t>(dHidden.size()) && dHidden[k] != nullptr; };

  float* dOut;
  if (present(acts.top)) {
    dOut = dHidden[acts.top];
  } else {
    dOut = s.h2.data();
    std::fill(dOut, dOut + T * H, 0.0f);
  }
  float* tmp = s.h1.data();
  for (int64_t l = acts.top - 1; l >= 0; --l) {
    const LayerOffsets& o = m.layers[l];
    LayerActs& a = acts.layers[l];
    const float* X = acts.hidden[l].data();
    // Output LayerNorm; its input was ffn + h1, so the residual branch gets the same gradient.
    float* dh1 = s.h3.data() == dOut ? s.h2.data() : s.h3.data();
    layernorm_backward(c, dOut, a.ln2In.data(), a.ln2Mean.data(), a.ln2Rstd.data(), T, H, m.p(o.ln2G), tmp, false,
                       m.g(o.ln2G), m.g(o.ln2B));
    copy_into(c, tmp, dh1, T * H);
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, DropoutSite::FeedForward, cfg.hiddenDropout), tmp, tmp, T * H);
    linear_backward(c, tmp, a.ffnAct.data(), T, I, m.p(o.oW), H, s.i2.data(), false, m.g(o.oW), m.g(o.oB));
    gelu_backward_saved(c, a.ffnDeriv.data(), s.i2.data(), s.i2.data(), T * I);
    linear_backward(c, s.i2.data(), a.h1.data(), T, H, m.p(o.iW), I, dh1, true, m.g(o.iW), m.g(o.iB));
    // Attention LayerNorm; residual to the layer input.
    layernorm_backward(c, dh1, a.ln1In.data(), a.ln1Mean.data(), a.ln1Rstd.data(), T, H, m.p(o.ln1G), tmp, false,
                       m.g(o.ln1G), m.g(o.ln1B));
    float* dX;
    if (present(l)) {
      dX = dHidden[l];
      accumulate_into(c, tmp, dX, T * H);
    } else {
      dX = dh1;  // free again: dh1 was consumed by the LayerNorm backward above
      copy_into(c, tmp, dX, T * H);
    }
    if (active(drop, cfg.hiddenDropout))
      dropout_apply(c, key_for(drop, in, l, DropoutSite::AttentionOutput, cfg.hiddenDropout), tmp, tmp, T * H);
    float* dctx = s.i1.data();
    linear_backward(c, tmp, a.ctx.data(), T, H, m.p(o.aoW), H, dctx, false, m.g(o.aoW), m.g(o.aoB));
    const DropoutKey probsKey = key_for(drop, in, l, DropoutSite::AttentionProbs, cfg.attentionDropout);
    attention_backward(c, shape, a.qkv.data(), in.mask, active(drop, cfg.attentionDropout) ? &probsKey : nullptr,
                       a.probs.data(), dctx, s.qkv.data());
    linear_backward(c, s.qkv.data(), X, T, H, m.p(o.qkvW), 3 * H, dX, true, m.g(o.qkvW), m.g(o.qkvB));
    dOut = dX;
  }
  if (active(drop, cfg.hiddenDropout))
    dropout_apply(c, key_for(drop, in, 0, DropoutSite::Embeddings, cfg.hiddenDropout), dOut, dOut, T * H);
  layernorm_backward(c, dOut, acts.embSum.data(), acts.embMean.data(), acts.embRstd.data(), T, H, m.p(m.embLnG), tmp,
                     false, m.g(m.embLnG), m.g(m.embLnB));
  embeddings_backward(c, tmp, in.ids, in.types, B, L, H, cfg.positionOffset(), cfg.vocabSize, cfg.typeVocabSize,
                      cfg.padTokenId, m.g(m.wordEmb), m.g(m.posEmb), m.g(m.typeEmb));
}

}  // namespace nn
