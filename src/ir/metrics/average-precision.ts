/**
 * AP (trec_eval `map`) and AP@k (trec_eval `map_cut_k`): sum of precision at each relevant retrieved
 * rank (within the top k for AP@k), divided by the number of relevant documents in the qrels — not by
 * the number retrieved, and not by min(k, R). 0 when nothing relevant is retrieved or R = 0.
 */
import { checkCutoff, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function averagePrecision(cutoff?: number): Measure {
  if (cutoff !== undefined) checkCutoff('AP', cutoff);
  return {
    name: cutoff === undefined ? 'AP' : `AP@${cutoff}`,
    trecEvalName: cutoff === undefined ? 'map' : `map_cut_${cutoff}`,
    compute(q: RankedJudgments): number {
      const n = cutoff === undefined ? q.rels.length : Math.min(cutoff, q.rels.length);
      let relSoFar = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (isRelevant(q.rels[i])) {
          relSoFar++;
          sum += relSoFar / (i + 1);
        }
      }
      return relSoFar > 0 ? sum / q.numRel : 0;
    },
  };
}
