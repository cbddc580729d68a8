/**
 * Dev-set metric for teacher training: each dev query re-ranks its own candidates (its positive plus
 * its negatives; when it has none, the positives of the next `fillNegatives` queries) and we report
 * MRR@10 of the positive. Cheap enough to run every few hundred steps, and comparable across runs.
 */
import type { RankingModel, TrainingExample } from './ranking-model.js';

export async function rerankMrr(model: RankingModel, examples: TrainingExample[], options: { depth?: number; fillNegatives?: number } = {}): Promise<number> {
  if (examples.length === 0) throw new RangeError('dev set is empty');
  const depth = options.depth ?? 10;
  const fill = options.fillNegatives ?? 9;
  const queries: string[] = [];
  const docs: string[] = [];
  const groups: number[] = [];
  examples.forEach((ex, i) => {
    const negatives = ex.negatives.length > 0 ? ex.negatives : Array.from({ length: Math.min(fill, examples.length - 1) }, (_, k) => examples[(i + 1 + k) % examples.length].positive);
    for (const d of [ex.positive, ...negatives]) { queries.push(ex.query); docs.push(d); }
    groups.push(1 + negatives.length);
  });
  const scores = await model.score(queries, docs);
  let sum = 0;
  let at = 0;
  for (const size of groups) {
    const pos = scores[at];
    // Ties count against the positive, so a constant scorer gets no credit.
    let rank = 1;
    for (let k = 1; k < size; k++) if (scores[at + k] >= pos) rank++;
    if (rank <= depth) sum += 1 / rank;
    at += size;
  }
  return sum / groups.length;
}
