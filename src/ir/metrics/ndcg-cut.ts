/**
 * nDCG@k (trec_eval `ndcg_cut_k`): like nDCG but both DCG and the ideal DCG stop at rank k — the
 * ideal takes the k largest positive qrels values. Linear gain = qrels value.
 */
import { checkCutoff, type Measure } from './measure.js';
import type { RankedJudgments } from './ranked-judgments.js';

export function ndcgCut(cutoff: number): Measure {
  checkCutoff('nDCG', cutoff);
  return {
    name: `nDCG@${cutoff}`,
    trecEvalName: `ndcg_cut_${cutoff}`,
    compute(q: RankedJudgments): number {
      let idcg = 0;
      const idealN = Math.min(cutoff, q.idealGains.length);
      for (let i = 0; i < idealN; i++) idcg += q.idealGains[i] / Math.log2(i + 2);
      if (!(idcg > 0)) return 0;
      let dcg = 0;
      const n = Math.min(cutoff, q.rels.length);
      for (let i = 0; i < n; i++) {
        if (q.rels[i] > 0) dcg += q.rels[i] / Math.log2(i + 2);
      }
      return dcg / idcg;
    },
  };
}
