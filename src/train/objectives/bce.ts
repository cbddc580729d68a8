/**
 * Cross-encoder objective: `[CLS] query [SEP] document [SEP]` through the encoder, the pooled [CLS]
 * vector through the classifier head to one logit, binary cross-entropy on each query's positive
 * (label 1) and its negatives (label 0) — the monoBERT recipe of the code-switching CLIR work.
 * A query without mined negatives (e.g. inverse-cloze pairs) takes the positives of the following
 * `inBatchNegatives` examples of its batch as negatives.
 */
import { toEncodeInput } from '../../models/engine/input.js';
import type { StepResult } from '../../models/engine/types.js';
import type { TextTokenizer } from '../../models/tokenizer.js';
import type { BatchSpec, Objective } from '../objective.js';
import type { TrainingExample } from '../ranking-model.js';

export interface BceSettings {
  tokenizer: TextTokenizer;
  /** Tokens of query + document + specials. */
  maxLength: number;
  /** Negatives per query taken from the batch when an example has none. */
  inBatchNegatives: number;
}

/** Query–document pairs of a batch with their labels: each positive (1) and its negatives (0). */
export function labelledPairs(batch: readonly TrainingExample[], inBatchNegatives: number): { queries: string[]; docs: string[]; labels: number[] } {
  const queries: string[] = [];
  const docs: string[] = [];
  const labels: number[] = [];
  batch.forEach((ex, i) => {
    queries.push(ex.query); docs.push(ex.positive); labels.push(1);
    let negatives = ex.negatives;
    if (negatives.length === 0 && batch.length > 1) {
      negatives = [];
      for (let k = 1; k <= Math.min(inBatchNegatives, batch.length - 1); k++) negatives.push(batch[(i + k) % batch.length].positive);
    }
    for (const n of negatives) { queries.push(ex.query); docs.push(n); labels.push(0); }
  });
  return { queries, docs, labels };
}

export class BceObjective implements Objective<TrainingExample> {
  readonly name = 'bce';
  readonly settings: Record<string, unknown>;

  constructor(private readonly s: BceSettings) {
    if (!Number.isInteger(s.inBatchNegatives) || s.inBatchNegatives < 0) throw new RangeError(`inBatchNegatives must be an integer >= 0, got ${s.inBatchNegatives}`);
    this.settings = { maxLength: s.maxLength, inBatchNegatives: s.inBatchNegatives };
  }

  async spec(batch: readonly TrainingExample[]): Promise<BatchSpec> {
    const { queries, docs, labels } = labelledPairs(batch, this.s.inBatchNegatives);
    const input = toEncodeInput(this.s.tokenizer.encodeBatch(queries, docs, { maxLength: this.s.maxLength }));
    return { inputs: [input], terms: [{ kind: 'bce', input: 0, labels: Float32Array.from(labels) }] };
  }

  summarize(result: StepResult): Record<string, number> {
    return { accuracy: result.terms[0].extras.accuracy };
  }
}
