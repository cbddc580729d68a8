/**
 * RR (trec_eval `recip_rank`): 1 / rank of the first relevant document, 0 if none is retrieved.
 * RR@k (MRR@10 in MS MARCO style): the same but 0 when the first relevant document is below rank k.
 * trec_eval has no cut version of recip_rank, so RR@k has no trec_eval name.
 */
import { checkCutoff, checkRelevanceLevel, measureName, type Measure } from './measure.js';
import { isRelevant, type RankedJudgments } from './ranked-judgments.js';

export function reciprocalRank(cutoff?: number, rel = 1): Measure {
  if (cutoff !== undefined) checkCutoff('RR', cutoff);
  checkRelevanceLevel('RR', rel);
  return {
    name: measureName('RR', cutoff, rel),
    trecEvalName: cutoff === undefined && rel === 1 ? 'recip_rank' : undefined,
    compute(q: RankedJudgments): number {
      const n = cutoff === undefined ? q.rels.length : Math.min(cutoff, q.rels.length);
      for (let i = 0; i < n; i++) if (isRelevant(q.rels[i], rel)) return 1 / (i + 1);
      return 0;
    },
  };
}
