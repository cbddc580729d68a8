/** A measure computes one number per query from that query's ranked judgments. */
import type { RankedJudgments } from './ranked-judgments.js';

export interface Measure {
  /** ir_measures spelling, e.g. 'nDCG@10'. */
  readonly name: string;
  /** trec_eval 10 spelling (e.g. 'ndcg_cut_10'), or undefined when trec_eval has no such measure. */
  readonly trecEvalName: string | undefined;
  compute(q: RankedJudgments): number;
}

/**
 * Validates a minimum relevance level (ir_measures `rel`, trec_eval `-l`): a positive integer.
 * Level 0 would make every judged non-relevant document relevant, which trec_eval allows but no
 * measure here is meant for.
 */
export function checkRelevanceLevel(measure: string, rel: number): void {
  if (!Number.isInteger(rel) || rel < 1) throw new RangeError(`${measure}: rel must be a positive integer, got ${rel}`);
}

/**
 * Builds the ir_measures name: 'AP', 'AP@10', 'AP(rel=2)', 'P(rel=2)@10'. With rel ≠ 1 there is no
 * trec_eval name without changing trec_eval's global -l, so callers report the ir_measures name.
 */
export function measureName(base: string, cutoff: number | undefined, rel: number): string {
  return `${base}${rel === 1 ? '' : `(rel=${rel})`}${cutoff === undefined ? '' : `@${cutoff}`}`;
}

/** Validates a rank cutoff (positive integer), naming the measure. */
export function checkCutoff(measure: string, cutoff: number): void {
  if (!Number.isInteger(cutoff) || cutoff < 1) {
    throw new RangeError(`${measure}: cutoff must be a positive integer, got ${cutoff}`);
  }
}
