/** R@k (trec_eval `recall_k`): relevant documents in the top k / relevant documents in the qrels; 0 when R = 0. */
import { checkCutoff, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function recall(cutoff: number): Measure {
  checkCutoff('R', cutoff);
  return {
    name: `R@${cutoff}`,
    trecEvalName: `recall_${cutoff}`,
    compute(q: RankedJudgments): number {
      if (q.numRel === 0) return 0;
      const n = Math.min(cutoff, q.rels.length);
      let rel = 0;
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i])) rel++;
      return rel / q.numRel;
    },
  };
}
