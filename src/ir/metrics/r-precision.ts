/**
 * R-precision (trec_eval `Rprec`): relevant documents in the top R / R, R = relevant documents in the
 * qrels. A run shorter than R counts as padded with non-relevant documents. 0 when R = 0.
 */
import type { Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function rPrecision(): Measure {
  return {
    name: 'Rprec',
    trecEvalName: 'Rprec',
    compute(q: RankedJudgments): number {
      if (q.numRel === 0) return 0;
      const n = Math.min(q.numRel, q.rels.length);
      let rel = 0;
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i])) rel++;
      return rel / q.numRel;
    },
  };
}
