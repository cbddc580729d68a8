/** R@k (trec_eval `recall_k`): relevant documents in the top k / relevant documents in the qrels; 0 when R = 0. */
import { checkCutoff, checkRelevanceLevel, measureName, type Measure } from './measure.js';
import { countRelevant, isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function recall(cutoff: number, rel = 1): Measure {
  checkCutoff('R', cutoff);
  checkRelevanceLevel('R', rel);
  return {
    name: measureName('R', cutoff, rel),
    trecEvalName: rel === 1 ? `recall_${cutoff}` : undefined,
    compute(q: RankedJudgments): number {
      const numRel = countRelevant(q, rel);
      if (numRel === 0) return 0;
      const n = Math.min(cutoff, q.rels.length);
      let found = 0;
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i], rel)) found++;
      return found / numRel;
    },
  };
}
