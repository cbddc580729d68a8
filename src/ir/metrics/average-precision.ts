/**
 * AP (trec_eval `map`) and AP@k (trec_eval `map_cut_k`): sum of precision at each relevant retrieved
 * rank (within the top k for AP@k), divided by the number of relevant documents in the qrels — not by
 * the number retrieved, and not by min(k, R). 0 when nothing relevant is retrieved or R = 0.
 */
import { checkCutoff, checkRelevanceLevel, measureName, type Measure } from './measure.js';
import { countRelevant, isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function averagePrecision(cutoff?: number, rel = 1): Measure {
  if (cutoff !== undefined) checkCutoff('AP', cutoff);
  checkRelevanceLevel('AP', rel);
  return {
    name: measureName('AP', cutoff, rel),
    trecEvalName: rel !== 1 ? undefined : cutoff === undefined ? 'map' : `map_cut_${cutoff}`,
    compute(q: RankedJudgments): number {
      const n = cutoff === undefined ? q.rels.length : Math.min(cutoff, q.rels.length);
      let relSoFar = 0;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        if (isRelevant(q.rels[i], rel)) {
          relSoFar++;
          sum += relSoFar / (i + 1);
        }
      }
      return relSoFar > 0 ? sum / countRelevant(q, rel) : 0;
    },
  };
}
