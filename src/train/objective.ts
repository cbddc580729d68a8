/**
 * What the training loop (trainer.ts) trains: an engine, an objective and a way to save the model.
 *
 * An objective turns a batch of examples into one declarative engine step — the token batches and
 * the loss terms over them (src/models/engine/types.ts) — and nothing else: the loop owns batch
 * order, dropout seeds, the learning-rate schedule, AdamW with clipping, evaluation, logging,
 * checkpoints, abort and the divergence checks. Adding an objective is one file in
 * src/train/objectives/ implementing this interface:
 *
 *   infonce.ts   bi-encoder: InfoNCE over in-batch + hard negatives (teachers, code-switched fine-tuning)
 *   bce.ts       cross-encoder: binary cross-entropy on positives and negatives
 *   hybrid.ts    hybrid batches: monolingual or cross-lingual batches around another objective
 *   optical.ts   OPTICAL distillation: OT between student and cached teacher token states (+ English InfoNCE)
 *   mlm.ts       masked-language-model pre-training (BERT 15 %, 80/10/10, optional whole-word masking)
 */
import type { Engine, EncodeInput, LossTerm, StepResult } from '../models/engine/types.js';

export interface StepContext {
  /** 0-based index of the update. */
  step: number;
  /** The step's dropout seed (a function of the run's seed and the step): derive seeded choices from it, so a resumed run makes the same ones. */
  seed: number;
}

/** The inputs and loss terms of one training step (the rest of the StepSpec is the loop's). */
export interface BatchSpec {
  inputs: EncodeInput[];
  terms: LossTerm[];
  /** A name per term (e.g. 'ot', 'english'): the loop logs each term's gradient norm under it (TrainerOptions.termGradNormEvery). Default: the term kinds. */
  termNames?: string[];
}

export interface Objective<E> {
  /** Short name for logs and checkpoints, e.g. 'infonce'. */
  readonly name: string;
  /** Settings that change what is trained: part of the checkpoint fingerprint (a resume with other settings is refused). */
  readonly settings: Record<string, unknown>;
  /** True when only the encoder learns: the heads (pooler, classifier, MLM head) stay exactly as loaded. */
  readonly encoderOnly?: boolean;
  /** Refuses, before any work, data this objective cannot learn from (the message says why). */
  check?(examples: readonly E[], batchSize: number): void;
  /** The step's inputs and loss terms for a batch. */
  spec(batch: readonly E[], ctx: StepContext): Promise<BatchSpec>;
  /** Extra numbers for the step's log record, from the engine's result of the last spec (e.g. OT iterations). */
  summarize?(result: StepResult): Record<string, number>;
  /** JSON state kept in checkpoints (e.g. a second sampler); restored before the first step of a resumed run. */
  getState?(): unknown;
  /** Restores getState's value; throws a RangeError naming the problem when it is malformed. */
  setState?(state: unknown): void;
}

/** A model the loop can train: its engine, its objective and how it is saved (an HF-layout folder). */
export interface Trainable<E> {
  readonly engine: Engine;
  readonly objective: Objective<E>;
  save(dir: string): Promise<void>;
}
