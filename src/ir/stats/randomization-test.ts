/**
 * Paired randomization (permutation) test, two-sided, on the mean difference of per-query scores
 * (Fisher's sign-flip test as used in IR, e.g. Smucker et al. 2007). Under H0 each query's pair of
 * scores is exchangeable, so each difference's sign is flipped at random.
 *  - If 2^n ≤ permutations, all 2^n sign assignments are enumerated: the exact p-value.
 *  - Otherwise `permutations` random assignments are drawn from a seeded generator and
 *    p = (1 + #{|mean*| ≥ |mean_obs|}) / (1 + permutations) (Phipson & Smyth 2010: never 0).
 * "≥" uses a relative tolerance of 1e-12 so that floating-point noise in sums of identical values
 * does not decide ties.
 */
import { Rng } from '../../random/rng.js';
import { checkPaired, checkPositiveInteger } from './validate-scores.js';

export interface RandomizationTestOptions {
  /** Random sign assignments when exact enumeration is too large (default 10,000). */
  permutations?: number;
  /** Seed of the generator (default 1). */
  seed?: number;
}

export interface RandomizationTestResult {
  meanDifference: number;
  pValue: number;
  /** True when all 2^n assignments were enumerated. */
  exact: boolean;
  /** Number of assignments evaluated. */
  samples: number;
}

export function randomizationTest(a: ArrayLike<number>, b: ArrayLike<number>, options: RandomizationTestOptions = {}): RandomizationTestResult {
  checkPaired('a', a, 'b', b, 1);
  const permutations = options.permutations ?? 10_000;
  checkPositiveInteger('permutations', permutations);
  const n = a.length;
  const d = Float64Array.from({ length: n }, (_, i) => a[i] - b[i]);
  let total = 0;
  let absTotal = 0;
  for (let i = 0; i < n; i++) {
    total += d[i];
    absTotal += Math.abs(d[i]);
  }
  const observed = Math.abs(total);
  const threshold = observed - 1e-12 * Math.max(absTotal, Number.MIN_VALUE);
  if (n < 31 && 2 ** n <= permutations) {
    let count = 0;
    const assignments = 2 ** n;
    for (let mask = 0; mask < assignments; mask++) {
      let s = 0;
      for (let i = 0; i < n; i++) s += mask & (1 << i) ? -d[i] : d[i];
      if (Math.abs(s) >= threshold) count++;
    }
    return { meanDifference: total / n, pValue: count / assignments, exact: true, samples: assignments };
  }
  const rng = new Rng(options.seed ?? 1);
  let count = 0;
  for (let p = 0; p < permutations; p++) {
    let s = 0;
    let bits = 0;
    for (let i = 0; i < n; i++) {
      if (i % 32 === 0) bits = rng.nextUint32();
      s += bits & (1 << (i % 32)) ? -d[i] : d[i];
    }
    if (Math.abs(s) >= threshold) count++;
  }
  return { meanDifference: total / n, pValue: (count + 1) / (permutations + 1), exact: false, samples: permutations };
}
