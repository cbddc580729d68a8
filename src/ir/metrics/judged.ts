/**
 * Judged@k (ir_measures `Judged@k`): fraction of the top min(k, retrieved) documents that appear in
 * the qrels with any value (negative "unjudged" values count as present, as in ir_measures); 0 for an
 * empty ranking. trec_eval has no Judged measure; its `unj_k` (trec_eval 10) divides the count of
 * documents *absent* from the qrels by k instead, so the two differ when fewer than k are retrieved.
 * Ranking ties follow trec_eval (docno descending), unlike ir_measures' own provider (ascending).
 */
import { checkCutoff, type Measure } from './measure.js';
import { NOT_IN_QRELS, type RankedJudgments } from './ranked-judgments.js';

export function judged(cutoff: number): Measure {
  checkCutoff('Judged', cutoff);
  return {
    name: `Judged@${cutoff}`,
    trecEvalName: undefined,
    compute(q: RankedJudgments): number {
      const n = Math.min(cutoff, q.rels.length);
      if (n === 0) return 0;
      let count = 0;
      for (let i = 0; i < n; i++) if (q.rels[i] !== NOT_IN_QRELS) count++;
      return count / n;
    },
  };
}
