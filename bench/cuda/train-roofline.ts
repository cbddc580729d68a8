/**
 * Roofline model of one training step of the CUDA engine (native/cuda/nn) — the step `bench:train`
 * times: student forward + backward, the OT loss against teacher token states at the last layer,
 * AdamW — so a GPU row can be printed next to what the hardware allows, and a machine without a GPU
 * still shows the bound per geometry.
 *
 * Counted per kernel family, each bound by its own roof (a step is a sequence of kernels, so the
 * bound is the sum of per-kernel bounds, not one max over the whole step):
 *   GEMMs: every matrix product of the forward pass and the two of its backward (dX, dW), batched
 *     attention products included; FLOPs 2·M·N·K each; bytes as if each operand were read once and
 *     the output written once (+ one read of C where the product accumulates: dW, the bias-initialised
 *     forward outputs) — an ideal tiling, so a lower bound on traffic. Roof: FP32 CUDA-core FMA rate
 *     for fp32, the tensor-core rate for tf32 / bf16 (dense, no sparsity).
 *   Element-wise and row-wise kernels (embeddings, LayerNorm, softmax + mask, dropout, GELU,
 *     residual sums, pooling, bias and column sums): memory-bound, the bytes each kernel of
 *     native/cuda/nn reads and writes (4 bytes per float), forward and backward.
 *   The OT term: cost blocks, Sinkhorn and the envelope gradient from bench/cuda/roofline.ts
 *     (B problems of length × length in the log domain, the given number of iterations).
 *   AdamW: parameters, gradients and both moments read and written (32 bytes per parameter), plus
 *     the gradient-norm pass (4 bytes per parameter).
 * Left out: launch overheads (≈ 25 launches per layer), the host↔device copies of token ids and
 * teacher states, L2 reuse between kernels, the pooled-vector losses (negligible beside the encoder).
 */
import type { BertConfig } from '../../src/models/bert-config.js';
import { H100 as SINKHORN_H100, sinkhornRoofline, type DeviceModel as SinkhornDevice } from './roofline.js';

export type GemmPrecision = 'fp32' | 'tf32' | 'bf16';

export interface TrainDeviceModel {
  name: string;
  /** HBM bytes/s. */
  memoryBandwidth: number;
  /** Dense matrix FLOP/s per precision: FP32 on CUDA cores, TF32 / BF16 on tensor cores. */
  gemmFlops: Record<GemmPrecision, number>;
  /** The same device as bench/cuda/roofline.ts models it (for the OT term). */
  sinkhorn: SinkhornDevice;
}

/** H100 SXM: 3.35 TB/s HBM3; 67 TFLOP/s FP32, 495 TF32 and 989 BF16 dense tensor TFLOP/s. */
export const H100_TRAIN: TrainDeviceModel = {
  name: 'H100 SXM (model)',
  memoryBandwidth: 3.35e12,
  gemmFlops: { fp32: 66.9e12, tf32: 494.7e12, bf16: 989.4e12 },
  sinkhorn: SINKHORN_H100,
};

export interface StepShape {
  config: Omit<BertConfig, 'vocabSize'> & { vocabSize?: number };
  batch: number;
  length: number;
  /** Parameters of the model (AdamW traffic). */
  parameters: number;
  /** Sinkhorn iterations per problem (measured, or the maxIter bound). */
  sinkhornIterations: number;
  precision?: GemmPrecision;
  device?: TrainDeviceModel;
}

export interface Part {
  flops: number;
  bytes: number;
  seconds: number;
}

export interface TrainRoofline {
  device: string;
  precision: GemmPrecision;
  gemm: Part;
  elementwise: Part;
  ot: Part;
  adamw: Part;
  seconds: number;
  /** The part with the largest bound. */
  dominant: 'gemm' | 'elementwise' | 'ot' | 'adamw';
}

const F32 = 4;

/** FLOPs and ideal bytes of one product C[M,N] (+)= A[M,K]·B[K,N], `count` times (a batch). */
export function gemmWork(M: number, N: number, K: number, count = 1, accumulate = false): { flops: number; bytes: number } {
  return { flops: 2 * M * N * K * count, bytes: F32 * count * (M * K + K * N + M * N * (accumulate ? 2 : 1)) };
}

export function trainRoofline(s: StepShape): TrainRoofline {
  const d = s.device ?? H100_TRAIN;
  const precision = s.precision ?? 'fp32';
  const c = s.config;
  for (const [name, v] of [['batch', s.batch], ['length', s.length], ['parameters', s.parameters]] as const) {
    if (!(Number.isInteger(v) && v >= 1)) throw new RangeError(`train roofline: ${name} must be an integer ≥ 1, got ${v}`);
  }
  if (!(s.sinkhornIterations >= 0)) throw new RangeError(`train roofline: sinkhornIterations must be ≥ 0, got ${s.sinkhornIterations}`);
  const B = s.batch, L = s.length, T = B * L, H = c.hiddenSize, I = c.intermediateSize, heads = c.numAttentionHeads, hd = H / heads;
  const N = c.numHiddenLayers;

  // ---- GEMMs of one layer: forward, then dX and dW of each linear, dS/dQ/dK/dV of attention.
  let gFlops = 0;
  let gBytes = 0;
  const add = (w: { flops: number; bytes: number }) => { gFlops += w.flops; gBytes += w.bytes; };
  const linear = (inF: number, outF: number) => {
    add(gemmWork(T, outF, inF, 1, true)); // Y = X·Wᵀ onto the bias rows
    add(gemmWork(T, inF, outF)); // dX = dY·W
    add(gemmWork(outF, inF, T, 1, true)); // dW += dYᵀ·X
  };
  for (let l = 0; l < N; l++) {
    linear(H, 3 * H); // fused QKV
    linear(H, H); // attention output
    linear(H, I); // FFN in
    linear(I, H); // FFN out
    const bh = B * heads;
    add(gemmWork(L, L, hd, bh)); // S = Q·Kᵀ
    add(gemmWork(L, hd, L, bh)); // ctx = P·V
    add(gemmWork(L, L, hd, bh)); // dP = dctx·Vᵀ
    add(gemmWork(L, hd, L, bh)); // dV = Pᵀ·dctx
    add(gemmWork(L, hd, L, bh)); // dQ = dS·K
    add(gemmWork(L, hd, L, bh)); // dK = dSᵀ·Q
  }
  const gSeconds = Math.max(gFlops / d.gemmFlops[precision], gBytes / d.memoryBandwidth);

  // ---- element-wise / row-wise kernels, floats read + written (forward, then backward).
  const P = B * heads * L * L; // attention probabilities of one layer
  let floats = 0;
  // Embeddings: gather word/position/type rows (3 reads + 1 write per entry), LayerNorm, dropout;
  // backward: the three scatter-adds (read dout, read-modify-write the rows), LayerNorm, dropout.
  floats += T * H * (4 + 2 + 2) + T * H * (3 * 3 + 3 + 2);
  const perLayer =
    // forward: head split of QKV (read 3H, write 3H), softmax with mask (read S + mask, write P),
    // probability dropout (read, write), head merge (2H), output dropout (2H), residual + LayerNorm
    // (read 2H, write H), GELU with its derivative (read I, write 2I), FFN dropout (2H), residual +
    // LayerNorm (3H).
    T * (6 * H + 2 * H + 2 * H + 3 * H + 3 * I + 2 * H + 3 * H) + P * (2 + 2) +
    // backward: LayerNorm ×2 (read dy, x, write dx; partial column sums read dy, x), dropout ×3 (2H each),
    // GELU (read deriv, dy, write dx: 3I), softmax backward (read P, dP, write dS: 3P) and the
    // probability dropout (2P), head split/merge of the gradients (6H + 2H), residual sums (3H ×2),
    // bias column sums (read dY: 3H + H + I + H).
    T * (2 * 5 * H + 3 * 2 * H + 3 * I + 8 * H + 6 * H + 6 * H + I) + P * (3 + 2);
  floats += N * perLayer;
  const eBytes = floats * F32;
  const eSeconds = eBytes / d.memoryBandwidth;

  // ---- the OT term: B problems of L × L on the device (tokens already there), the gathers and the
  // gradient's scatter into the last hidden state.
  const ot = sinkhornRoofline({ B, n: L, m: L }, { method: 'log', device: d.sinkhorn });
  const costBytes = F32 * (2 * T * H + B * L * L); // read teacher + student, write C
  const gradBytes = F32 * (2 * T * H + 2 * B * L * L + T * H); // read both sides, C and P, write the gradient
  const otBytes = costBytes + gradBytes + ot.oneTime.bytes + s.sinkhornIterations * ot.perIteration.bytes; // HBM only
  const otSeconds = ot.kernelSeconds(s.sinkhornIterations) + (costBytes + gradBytes) / d.memoryBandwidth;
  const otFlops = 2 * (B * L * L * H) * 2; // cost dot products and the gradient's P·T

  // ---- AdamW: the norm pass, then p, g, m, v read and written.
  const aBytes = s.parameters * F32 * (1 + 8);
  const aSeconds = aBytes / d.memoryBandwidth;

  const parts = {
    gemm: { flops: gFlops, bytes: gBytes, seconds: gSeconds },
    elementwise: { flops: 0, bytes: eBytes, seconds: eSeconds },
    ot: { flops: otFlops, bytes: otBytes, seconds: otSeconds },
    adamw: { flops: 0, bytes: aBytes, seconds: aSeconds },
  };
  let dominant: TrainRoofline['dominant'] = 'gemm';
  for (const k of ['elementwise', 'ot', 'adamw'] as const) if (parts[k].seconds > parts[dominant].seconds) dominant = k;
  return { device: d.name, precision, ...parts, seconds: gSeconds + eSeconds + otSeconds + aSeconds, dominant };
}

function ms(s: number): string {
  return `${(s * 1e3).toPrecision(3)} ms`;
}

/** One line for the benchmark table: the bound of a geometry and, with a GPU row, how close it came. */
export function trainRooflineLine(geometry: string, est: TrainRoofline, measuredMs?: number): string {
  const parts = (['gemm', 'elementwise', 'ot', 'adamw'] as const).map((k) => `${k} ${ms(est[k].seconds)}`).join(', ');
  const measured = measuredMs === undefined ? 'no GPU row' : `GPU row ${measuredMs.toPrecision(3)} ms = ${((100 * est.seconds * 1e3) / measuredMs).toFixed(0)}% of the roofline`;
  return `${geometry}: roofline ${ms(est.seconds)}/step on ${est.device}, ${est.precision} GEMMs (${parts}; ` +
    `${(est.gemm.flops / 1e9).toPrecision(3)} GFLOP, ${((est.gemm.bytes + est.elementwise.bytes + est.ot.bytes + est.adamw.bytes) / 1e9).toPrecision(3)} GB); ${measured}`;
}

/** Parameters of a BERT encoder without heads (what `bench:train` trains): embeddings with their
 *  LayerNorm, then per layer QKV, attention output, two LayerNorms and the feed-forward pair. */
export function encoderParameters(c: Omit<BertConfig, 'vocabSize'>, vocabSize: number): number {
  const H = c.hiddenSize, I = c.intermediateSize;
  const embeddings = (vocabSize + c.maxPositionEmbeddings + c.typeVocabSize) * H + 2 * H;
  const layer = 3 * H * H + 3 * H + H * H + H + 2 * H + I * H + I + H * I + H + 2 * H;
  return embeddings + c.numHiddenLayers * layer;
}
