/**
 * The encoder engine's API: one declarative training step for every objective.
 *
 * A caller (the training loop) describes a step as a StepSpec — token batches (`inputs`) and loss
 * terms over them — and the engine runs every forward pass, the losses and the backward pass in one
 * call, accumulating parameter gradients; `optimizerStep` then applies AdamW and clears them. Two
 * engines implement it with the same numbers (up to float rounding) and the same dropout masks:
 * `native` (native/nn, C++ on the thread pool, off the main thread) and `tfjs` (the reference, by
 * autodiff over src/models/bert.ts).
 *
 * Conventions:
 * - Tokens are row-major [batch, length]; `mask` 1 = token, 0 = padding, at least one token per row.
 * - Hidden state k: 0 = embeddings output (after LayerNorm and dropout), k = output of layer k
 *   (HF `hidden_states[k]`); `layer` defaults to the last (numHiddenLayers).
 * - Pooling 'mean' averages the real tokens; 'cls' takes the first token.
 * - Each term's value is unweighted; `StepResult.loss` = Σ weight · value, and the gradients are those
 *   of that sum. `weight` defaults to 1.
 * - Dropout (`training: true`) uses the counter-based masks of src/models/engine/philox.ts keyed by
 *   (seed, site, input index, element): the same seed gives the same masks on every engine and for
 *   any thread count.
 * - Parameters are named as in HF BertModel without a prefix ("encoder.layer.0.attention.self.query
 *   .weight", …), plus the heads "pooler.dense.*", "classifier.*" (BertForSequenceClassification,
 *   num_labels 1) and "cls.predictions.*" (BertForMaskedLM; the decoder is tied to the word
 *   embeddings). The embedding lookup of the padding token passes no gradient to its row (as
 *   torch.nn.Embedding(padding_idx); the tied MLM decoder does).
 */
import type { CostKind, SinkhornOptions } from '../../ot/types.js';
import type { BertConfig } from '../bert-config.js';
import type { TensorMap } from '../safetensors.js';

export type EngineName = 'native' | 'tfjs';
export type EngineChoice = 'auto' | EngineName;

/** A batch of token sequences (e.g. from TextTokenizer.encodeBatch via `toEncodeInput`). */
export interface EncodeInput {
  /** batch·length token ids in [0, vocabSize). */
  ids: Int32Array;
  /** batch·length, 1 = token, 0 = padding. */
  mask: Uint8Array;
  /** batch·length token type ids (default all 0). */
  types?: Int32Array;
  batch: number;
  length: number;
}

export type Pooling = 'mean' | 'cls';

/** A pooled sentence vector of one input at one hidden state. */
export interface PooledRef {
  /** Index into StepSpec.inputs. */
  input: number;
  pooling: Pooling;
  /** Hidden state (default: last). */
  layer?: number;
}

interface TermBase {
  /** Default 1. */
  weight?: number;
}

/**
 * InfoNCE: each query against every document of `docs` (in-batch + hard negatives), logits =
 * cos(q, d) / temperature with L2-normalised pooled vectors, loss = mean over queries of the
 * cross-entropy with `positive[i]` (the index of query i's positive document). Extras: accuracy.
 */
export interface InfoNceTerm extends TermBase {
  kind: 'infonce';
  queries: PooledRef;
  docs: PooledRef;
  positive: Int32Array;
  temperature: number;
}

/** InfoNCE against fixed target vectors (targets: m × hidden, e.g. a frozen teacher's side). */
export interface InfoNceTargetTerm extends TermBase, PooledRef {
  kind: 'infonce-target';
  targets: Float32Array;
  positive: Int32Array;
  temperature: number;
}

/**
 * Cross-encoder BCE: pooler (dense + tanh on [CLS]) → dropout → classifier logit, binary
 * cross-entropy with `labels` (one per row, in [0, 1]), mean over rows. Needs the classifier head.
 */
export interface BceTerm extends TermBase {
  kind: 'bce';
  input: number;
  labels: Float32Array;
}

/** Pooled vectors against fixed targets (batch × hidden): 'mse' = mean of squared differences over all entries, 'cosine' = mean of 1 − cos. */
export interface RegressionTerm extends TermBase, PooledRef {
  kind: 'mse' | 'cosine';
  target: Float32Array;
}

/** Masked-language-model cross-entropy; labels batch·length, −100 = ignored. Needs the MLM head. Extras: count, accuracy. */
export interface MlmTerm extends TermBase {
  kind: 'mlm';
  input: number;
  labels: Int32Array;
}

/**
 * OPTICAL's OT distillation term: teacher tokens (fixed, Σ rows × hidden; row k has rows[k] tokens)
 * against the student's real tokens (mask = 1, in order) of each row at hidden state `layer`,
 * through the fused OT step of src/ot (cost, Sinkhorn, envelope gradient). Value: mean over rows of
 * <P, C>. a / b: token weights (Σ rows / Σ real tokens; default uniform). Extras: iterations,
 * converged (share), planEntropy (mean −Σ P log P), entropicValue, maxError.
 */
export interface OtTerm extends TermBase {
  kind: 'ot';
  input: number;
  layer?: number;
  teacher: Float32Array;
  rows: Int32Array;
  a?: Float32Array;
  b?: Float32Array;
  /** Default 'cosine'. */
  cost?: CostKind;
  /** Default: the OT defaults of src/ot/options.ts. The native engine ignores `backend`, `threads` (its own cap applies) and `warn`. */
  sinkhorn?: SinkhornOptions;
}

export type LossTerm = InfoNceTerm | InfoNceTargetTerm | BceTerm | RegressionTerm | MlmTerm | OtTerm;

export interface StepSpec {
  inputs: EncodeInput[];
  terms: LossTerm[];
  /** Dropout on. */
  training: boolean;
  /** Dropout seed, integer in [0, 2^53). */
  seed: number;
  /** Default true; false computes the losses only (e.g. a dev loss), no gradients. */
  backward?: boolean;
  /** Report milliseconds per op family (native engine). */
  profile?: boolean;
}

export interface TermResult {
  kind: LossTerm['kind'];
  /** Unweighted value. */
  value: number;
  extras: Record<string, number>;
}

/** Op families of StepResult.profile (the heads' products count as gemm, their GELU / LayerNorm as such). */
export type OpFamily = 'gemm' | 'attention' | 'layernorm' | 'gelu' | 'embeddings' | 'dropout' | 'losses' | 'ot' | 'other';

export interface StepResult {
  /** Σ weight · value. */
  loss: number;
  terms: TermResult[];
  /** Milliseconds per op family (when profile was asked for and the engine measures it). */
  profile?: Record<OpFamily, number>;
}

/** AdamW (torch.optim.AdamW) after global-norm clipping (torch.nn.utils.clip_grad_norm_). */
export interface OptimizerOptions {
  lr: number;
  /** Decoupled decay on every tensor of rank ≥ 2 (none on biases / LayerNorm). Default 0.01. */
  weightDecay?: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  /** Clip the global gradient norm to this (factor clipNorm / (norm + 1e-6) when below 1); 0 = off (default). */
  clipNorm?: number;
  /**
   * Parameters (by name) this step leaves as they are: no update, no decay, moments unchanged, and
   * their gradients count neither in the norm (e.g. the ranking head while distillation trains the
   * encoder only). Default none.
   */
  frozen?: string[];
}

export interface OptimizerResult {
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** False: the norm was NaN/Inf and nothing was applied (the gradients are cleared either way). */
  finite: boolean;
  clipScale: number;
  /** Optimizer steps applied so far. */
  step: number;
  /** The first parameter (by name) the update left holding NaN/Inf, e.g. after a learning rate that overflows float32; absent when every weight is finite. */
  nonFinite?: string;
}

export interface EncodeOptions {
  /** Hidden states to return (0..numHiddenLayers). */
  layers?: number[];
  /** Pooled vectors of the last layer. */
  pooling?: Pooling;
  /** L2-normalise the pooled vectors. */
  normalize?: boolean;
  /** Classifier logits (needs the classifier head). */
  logits?: boolean;
}

export interface EncodeResult {
  /** One batch·length·hidden array per requested layer, in the order asked. */
  hidden: Float32Array[];
  /** batch·hidden. */
  pooled?: Float32Array;
  /** batch. */
  logits?: Float32Array;
}

/** AdamW moments by parameter name (zeros before the first step). */
export interface OptimizerState {
  step: number;
  m: TensorMap;
  v: TensorMap;
}

export interface Heads {
  pooler: boolean;
  classifier: boolean;
  mlm: boolean;
}

export interface Engine {
  readonly name: EngineName;
  readonly config: BertConfig;
  readonly heads: Heads;
  /** Forward, losses and backward; gradients accumulate until optimizerStep or zeroGradients. */
  step(spec: StepSpec): Promise<StepResult>;
  optimizerStep(options: OptimizerOptions): Promise<OptimizerResult>;
  /** Inference (no dropout, no gradients). */
  encode(input: EncodeInput, options?: EncodeOptions): Promise<EncodeResult>;
  getParameters(): Promise<TensorMap>;
  /** Overwrites the given tensors (any subset; names and shapes must match). */
  setParameters(tensors: TensorMap): Promise<void>;
  getGradients(): Promise<TensorMap>;
  zeroGradients(): Promise<void>;
  getOptimizerState(): Promise<OptimizerState>;
  setOptimizerState(state: OptimizerState): Promise<void>;
  /** Cap on worker threads (native; 0 = all cores). Results do not depend on it. */
  threads: number;
  /** Frees the parameters, gradients, moments and the activation buffers the native engine keeps between calls. */
  dispose(): void;
}
