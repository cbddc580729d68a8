/** What the teacher trainer and the evaluations need from a ranking model (cross-encoder or bi-encoder). */
import type { Engine } from '../models/engine/types.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import type { Objective, Trainable } from './objective.js';

/** One training query: a relevant passage and zero or more (hard) negatives. */
export interface TrainingExample {
  query: string;
  positive: string;
  negatives: string[];
}

/**
 * A ranker over an engine: its training objective (a StepSpec builder, src/train/objectives/),
 * scoring through Engine.encode in batches, and saving in the Hugging Face layout its kind uses.
 */
export interface RankingModel extends Trainable<TrainingExample> {
  readonly kind: 'cross-encoder' | 'bi-encoder';
  readonly engine: Engine;
  readonly tokenizer: TextTokenizer;
  /** Tokens per input (specials included). */
  readonly maxLength: number;
  readonly objective: Objective<TrainingExample>;
  /** Relevance of docs[i] to queries[i] for every i (higher = more relevant). */
  score(queries: string[], docs: string[], batchSize?: number): Promise<Float32Array>;
  /** Saves a Hugging Face–layout folder (config.json, model.safetensors, tokenizer.json). */
  save(dir: string): Promise<void>;
  /** Frees the engine. */
  dispose(): void;
}
