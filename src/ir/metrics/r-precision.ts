/**
 * R-precision (trec_eval `Rprec`): relevant documents in the top R / R, R = relevant documents in the
 * qrels. A run shorter than R counts as padded with non-relevant documents. 0 when R = 0.
 */
import { checkRelevanceLevel, measureName, type Measure } from './measure.js';
import { countRelevant, isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function rPrecision(rel = 1): Measure {
  checkRelevanceLevel('Rprec', rel);
  return {
    name: measureName('Rprec', undefined, rel),
    trecEvalName: rel === 1 ? 'Rprec' : undefined,
    compute(q: RankedJudgments): number {
      const numRel = countRelevant(q, rel);
      if (numRel === 0) return 0;
      const n = Math.min(numRel, q.rels.length);
      let found = 0;
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i], rel)) found++;
      return found / numRel;
    },
  };
}
