/**
 * P@k (trec_eval `P_k`): relevant documents in the top k / k. The denominator is always k: a run
 * shorter than k is padded with non-relevant documents, as trec_eval does.
 */
import { checkCutoff, checkRelevanceLevel, measureName, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function precision(cutoff: number, rel = 1): Measure {
  checkCutoff('P', cutoff);
  checkRelevanceLevel('P', rel);
  return {
    name: measureName('P', cutoff, rel),
    trecEvalName: rel === 1 ? `P_${cutoff}` : undefined,
    compute(q: RankedJudgments): number {
      const n = Math.min(cutoff, q.rels.length);
      let found = 0;
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i], rel)) found++;
      return found / cutoff;
    },
  };
}
