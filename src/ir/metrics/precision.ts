/**
 * P@k (trec_eval `P_k`): relevant documents in the top k / k. The denominator is always k: a run
 * shorter than k is padded with non-relevant documents, as trec_eval does.
 */
import { checkCutoff, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function precision(cutoff: number): Measure {
  checkCutoff('P', cutoff);
  return {
    name: `P@${cutoff}`,
    trecEvalName: `P_${cutoff}`,
    compute(q: RankedJudgments): number {
      const n = Math.min(cutoff, q.rels.length);
      let rel = 0;
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i])) rel++;
      return rel / cutoff;
    },
  };
}
