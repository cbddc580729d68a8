/**
 * Hybrid batches: every training batch is monolingual English with probability alpha, otherwise
 * cross-lingual — the batch is replaced by one drawn from a cross-lingual pool (English query →
 * target-language passage; src/train/methods/hybrid-batches.ts builds the pool). The choice and the
 * replacement are drawn from the step's seed, so a resumed run makes the same ones; the counts of
 * each batch type are objective state (kept in checkpoints). Any other objective does the loss.
 */
import { Rng } from '../../random/rng.js';
import type { Engine, StepResult } from '../../models/engine/types.js';
import type { BatchSpec, Objective, StepContext, Trainable } from '../objective.js';
import type { RankingModel, TrainingExample } from '../ranking-model.js';

export class HybridObjective implements Objective<TrainingExample> {
  readonly name: string;
  readonly settings: Record<string, unknown>;
  /** Batches of each type so far (training steps, resumed runs included). */
  batches = { monolingual: 0, crossLingual: 0 };

  constructor(readonly inner: Objective<TrainingExample>, readonly cross: readonly TrainingExample[], readonly alpha: number) {
    if (!(alpha >= 0 && alpha <= 1)) throw new RangeError(`alpha must be in [0, 1], got ${alpha}`);
    if (cross.length === 0) throw new RangeError('hybrid batches: the cross-lingual pool is empty');
    this.name = `hybrid(${inner.name})`;
    this.settings = { ...inner.settings, alpha, crossLingualPairs: cross.length };
  }

  check(examples: readonly TrainingExample[], batchSize: number): void {
    this.inner.check?.(examples, batchSize);
  }

  spec(batch: readonly TrainingExample[], ctx: StepContext): Promise<BatchSpec> {
    const rng = new Rng(`hybrid:${ctx.seed}`);
    if (rng.next() < this.alpha) {
      this.batches.monolingual++;
      return this.inner.spec(batch, ctx);
    }
    this.batches.crossLingual++;
    const picked = new Set<number>();
    const size = Math.min(batch.length, this.cross.length);
    while (picked.size < size) picked.add(rng.int(this.cross.length));
    return this.inner.spec([...picked].map((i) => this.cross[i]), ctx);
  }

  summarize(result: StepResult): Record<string, number> {
    return this.inner.summarize?.(result) ?? {};
  }

  getState(): unknown {
    return { batches: this.batches, inner: this.inner.getState?.() ?? null };
  }

  setState(state: unknown): void {
    const s = state as { batches?: { monolingual?: unknown; crossLingual?: unknown }; inner?: unknown } | null;
    const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
    if (!s || !s.batches || !count(s.batches.monolingual) || !count(s.batches.crossLingual)) throw new RangeError('"objective" (hybrid batch counts) is missing or malformed');
    this.batches = { monolingual: s.batches.monolingual as number, crossLingual: s.batches.crossLingual as number };
    this.inner.setState?.(s.inner);
  }
}

/** A ranking model trained with hybrid batches around its own objective (saved as the model itself). */
export class HybridBatchModel implements Trainable<TrainingExample> {
  readonly objective: HybridObjective;

  constructor(readonly inner: RankingModel, cross: readonly TrainingExample[], alpha: number) {
    this.objective = new HybridObjective(inner.objective, cross, alpha);
  }

  get engine(): Engine { return this.inner.engine; }
  /** Batches of each type so far. */
  get batches(): { monolingual: number; crossLingual: number } { return this.objective.batches; }
  score(queries: string[], docs: string[], batchSize?: number): Promise<Float32Array> { return this.inner.score(queries, docs, batchSize); }
  save(dir: string): Promise<void> { return this.inner.save(dir); }
}
