/**
 * Pearson and Spearman correlation with Fisher-z confidence intervals, e.g. to relate per-language
 * retrieval quality to language bias or to check metric agreement.
 *  - Pearson: r; CI = tanh(atanh(r) ± z_{1−α/2} / √(n − 3)); p from t = r √((n − 2)/(1 − r²)), df = n − 2
 *    (as scipy.stats.pearsonr).
 *  - Spearman: Pearson on average ranks (ties share their mean rank, as scipy.stats.spearmanr);
 *    CI uses the Fieller–Hartley–Pearson (1957) variance 1.06 / (n − 3); p via the same t
 *    approximation as scipy.
 * n ≥ 3 is required; with n = 3 the interval is the whole [−1, 1]. A constant input has no
 * correlation: RangeError naming it.
 */
import { sampleCorrelation } from 'simple-statistics';
import { normalQuantile, studentTTwoSidedP } from './special-functions.js';
import { checkPaired, checkProbability } from './validate-scores.js';

export interface CorrelationResult {
  r: number;
  pValue: number;
  lower: number;
  upper: number;
  level: number;
  n: number;
}

function isConstant(v: ArrayLike<number>): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

function fisherInterval(r: number, n: number, varianceFactor: number, level: number): [number, number] {
  if (n <= 3) return [-1, 1];
  if (Math.abs(r) === 1) return [r, r];
  const z = Math.atanh(r);
  const half = normalQuantile(1 - (1 - level) / 2) * Math.sqrt(varianceFactor / (n - 3));
  return [Math.tanh(z - half), Math.tanh(z + half)];
}

function tPValue(r: number, n: number): number {
  if (Math.abs(r) >= 1) return 0;
  return studentTTwoSidedP(r * Math.sqrt((n - 2) / (1 - r * r)), n - 2);
}

function correlate(x: ArrayLike<number>, y: ArrayLike<number>, level: number, varianceFactor: number): CorrelationResult {
  checkPaired('x', x, 'y', y, 3);
  checkProbability('level', level);
  if (isConstant(x)) throw new RangeError('x is constant: correlation is undefined');
  if (isConstant(y)) throw new RangeError('y is constant: correlation is undefined');
  // Clamp: rounding can push |r| a hair above 1 for perfectly collinear data.
  const r = Math.max(-1, Math.min(1, sampleCorrelation(Array.from(x), Array.from(y))));
  const [lower, upper] = fisherInterval(r, x.length, varianceFactor, level);
  return { r, pValue: tPValue(r, x.length), lower, upper, level, n: x.length };
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): CorrelationResult {
  return correlate(x, y, level, 1);
}

/** Average ranks (1-based), ties share the mean of their positions. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: values.length }, (_, i) => i).sort((p, q) => values[p] - values[q]);
  const ranks = new Float64Array(values.length);
  for (let i = 0; i < order.length; ) {
    let j = i;
    while (j + 1 < order.length && values[order[j + 1]] === values[order[i]]) j++;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = rank;
    i = j + 1;
  }
  return ranks;
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>, level = 0.95): CorrelationResult {
  checkPaired('x', x, 'y', y, 3);
  return correlate(averageRanks(x), averageRanks(y), level, 1.06);
}
