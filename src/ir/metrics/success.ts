/** Success@k (trec_eval `success_k`): 1 if any relevant document is in the top k, else 0. */
import { checkCutoff, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function success(cutoff: number): Measure {
  checkCutoff('Success', cutoff);
  return {
    name: `Success@${cutoff}`,
    trecEvalName: `success_${cutoff}`,
    compute(q: RankedJudgments): number {
      const n = Math.min(cutoff, q.rels.length);
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i])) return 1;
      return 0;
    },
  };
}
