/** What the teacher trainer needs from a ranking model (cross-encoder or bi-encoder). */
import type { tf } from '../models/tf.js';
import type { BertModel } from '../models/bert.js';
import type { TextTokenizer } from '../models/tokenizer.js';

/** One training query: a relevant passage and zero or more (hard) negatives. */
export interface TrainingExample {
  query: string;
  positive: string;
  negatives: string[];
}

export interface LossOptions {
  training: boolean;
  /** Dropout seed for this step. */
  seed: number;
}

/** Token-level representations for distillation: hidden states of one layer plus alignment. */
export interface TokenRepresentations {
  /** [batch, length, hidden] of the requested layer (0 = embeddings, numHiddenLayers = last). */
  hidden: tf.Tensor3D;
  attentionMask: number[][];
  /** Token → word index (null for special/padding tokens), as from TextTokenizer.encodeBatch. */
  wordIds: (number | null)[][];
  tokens: string[][];
}

export interface RankingModel {
  readonly kind: 'cross-encoder' | 'bi-encoder';
  readonly encoder: BertModel;
  readonly tokenizer: TextTokenizer;
  /** Every trainable variable under a stable name (HF parameter names), for optimizer state. */
  namedVariables(): Map<string, tf.Variable>;
  /** Mean training loss of a batch; call inside tf.variableGrads. */
  loss(batch: TrainingExample[], options: LossOptions): tf.Scalar;
  /** Relevance of docs[i] to queries[i] for every i (higher = more relevant). */
  score(queries: string[], docs: string[], batchSize?: number): Promise<Float32Array>;
  /** Saves a Hugging Face–layout folder (config.json, model.safetensors, tokenizer.json). */
  save(dir: string): Promise<void>;
  dispose(): void;
}
