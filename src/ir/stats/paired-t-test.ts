/**
 * Paired two-sided Student t-test on per-query scores (same as scipy.stats.ttest_rel):
 * d_i = a_i − b_i, t = mean(d) / (sd(d) / √n), df = n − 1, p = P(|T| ≥ |t|).
 * Degenerate case: all differences equal. If they are all 0 the systems are identical (t = 0,
 * p = 1); otherwise sd = 0 with a non-zero mean gives t = ±∞, p = 0 (scipy returns NaN for both).
 */
import { mean, sampleStandardDeviation } from 'simple-statistics';
import { studentTTwoSidedP } from './special-functions.js';
import { checkPaired } from './validate-scores.js';

export interface PairedTTestResult {
  meanDifference: number;
  t: number;
  df: number;
  pValue: number;
}

export function pairedTTest(a: ArrayLike<number>, b: ArrayLike<number>): PairedTTestResult {
  checkPaired('a', a, 'b', b, 2);
  const d = Array.from(a, (v, i) => v - b[i]);
  const md = mean(d);
  const sd = sampleStandardDeviation(d);
  const df = d.length - 1;
  if (sd === 0) {
    return md === 0 ? { meanDifference: 0, t: 0, df, pValue: 1 } : { meanDifference: md, t: md > 0 ? Infinity : -Infinity, df, pValue: 0 };
  }
  const t = md / (sd / Math.sqrt(d.length));
  return { meanDifference: md, t, df, pValue: studentTTwoSidedP(t, df) };
}
