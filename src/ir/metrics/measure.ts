/** A measure computes one number per query from that query's ranked judgments. */
import type { RankedJudgments } from './ranked-judgments.js';

export interface Measure {
  /** ir_measures spelling, e.g. 'nDCG@10'. */
  readonly name: string;
  /** trec_eval 10 spelling (e.g. 'ndcg_cut_10'), or undefined when trec_eval has no such measure. */
  readonly trecEvalName: string | undefined;
  compute(q: RankedJudgments): number;
}

/** Validates a rank cutoff (positive integer), naming the measure. */
export function checkCutoff(measure: string, cutoff: number): void {
  if (!Number.isInteger(cutoff) || cutoff < 1) {
    throw new RangeError(`${measure}: cutoff must be a positive integer, got ${cutoff}`);
  }
}
