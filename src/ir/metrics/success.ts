/** Success@k (trec_eval `success_k`): 1 if any relevant document is in the top k, else 0. */
import { checkCutoff, checkRelevanceLevel, measureName, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function success(cutoff: number, rel = 1): Measure {
  checkCutoff('Success', cutoff);
  checkRelevanceLevel('Success', rel);
  return {
    name: measureName('Success', cutoff, rel),
    trecEvalName: rel === 1 ? `success_${cutoff}` : undefined,
    compute(q: RankedJudgments): number {
      const n = Math.min(cutoff, q.rels.length);
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i], rel)) return 1;
      return 0;
    },
  };
}
