/**
 * Bi-encoder objective: InfoNCE over in-batch + hard negatives (the dense-retrieval recipe of the
 * hybrid-batch CLIR work). Queries are one token batch, documents another — every positive of the
 * batch, then every hard negative — and query i's positive is document i; logits are the cosines of
 * the L2-normalised mean-pooled vectors divided by the temperature. Teacher training, code-switched
 * fine-tuning (the same objective on code-switched pairs) and OPTICAL's English term use it.
 */
import { toEncodeInput } from '../../models/engine/input.js';
import type { InfoNceTerm, StepResult } from '../../models/engine/types.js';
import type { TextTokenizer } from '../../models/tokenizer.js';
import type { BatchSpec, Objective } from '../objective.js';
import type { TrainingExample } from '../ranking-model.js';

export interface InfoNceSettings {
  tokenizer: TextTokenizer;
  /** Tokens per text (specials included). */
  maxLength: number;
  temperature: number;
}

/** The inputs and InfoNCE term of a batch, with the two inputs at `first` and `first + 1` (for objectives that add it to their own). */
export function infoNceBatch(batch: readonly TrainingExample[], s: InfoNceSettings, first = 0, weight?: number): BatchSpec {
  const queries = batch.map((e) => e.query);
  const docs = [...batch.map((e) => e.positive), ...batch.flatMap((e) => e.negatives)];
  const q = toEncodeInput(s.tokenizer.encodeBatch(queries, null, { maxLength: s.maxLength }));
  const d = toEncodeInput(s.tokenizer.encodeBatch(docs, null, { maxLength: s.maxLength }));
  const term: InfoNceTerm = {
    kind: 'infonce', queries: { input: first, pooling: 'mean' }, docs: { input: first + 1, pooling: 'mean' },
    positive: Int32Array.from(batch, (_, i) => i), temperature: s.temperature,
  };
  if (weight !== undefined) term.weight = weight;
  return { inputs: [q, d], terms: [term] };
}

export class InfoNceObjective implements Objective<TrainingExample> {
  readonly name = 'infonce';
  readonly settings: Record<string, unknown>;

  constructor(private readonly s: InfoNceSettings) {
    if (!(s.temperature > 0) || !Number.isFinite(s.temperature)) throw new RangeError(`temperature must be a finite number > 0, got ${s.temperature}`);
    this.settings = { temperature: s.temperature, maxLength: s.maxLength };
  }

  check(examples: readonly TrainingExample[], batchSize: number): void {
    if (Math.min(batchSize, examples.length) < 2 && examples.every((e) => e.negatives.length === 0)) {
      throw new RangeError(`a bi-encoder learns from the other documents of its batch, but with ${examples.length} example(s), batchSize ${batchSize} and no hard negatives `
        + 'every batch holds one document and the loss is always 0: use batchSize >= 2 and at least 2 examples, or give negatives');
    }
  }

  async spec(batch: readonly TrainingExample[]): Promise<BatchSpec> {
    return infoNceBatch(batch, this.s);
  }

  summarize(result: StepResult): Record<string, number> {
    return { accuracy: result.terms[0].extras.accuracy };
  }
}
