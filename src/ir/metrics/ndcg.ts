/**
 * nDCG (trec_eval `ndcg`, default gains): gain = qrels value (values ≤ 0 and unjudged give 0),
 * discount log2(rank + 1). DCG runs over the whole ranking; the ideal DCG over *all* judged documents
 * with positive value, sorted by value — its length is not limited by the run length. 0 when the
 * ideal DCG is 0 (no positive judgments).
 */
import type { Measure } from './measure.js';
import type { RankedJudgments } from './ranked-judgments.js';

export function ndcg(): Measure {
  return {
    name: 'nDCG',
    trecEvalName: 'ndcg',
    compute(q: RankedJudgments): number {
      let idcg = 0;
      for (let i = 0; i < q.idealGains.length; i++) idcg += q.idealGains[i] / Math.log2(i + 2);
      if (!(idcg > 0)) return 0;
      let dcg = 0;
      for (let i = 0; i < q.rels.length; i++) {
        if (q.rels[i] > 0) dcg += q.rels[i] / Math.log2(i + 2);
      }
      return dcg / idcg;
    },
  };
}
