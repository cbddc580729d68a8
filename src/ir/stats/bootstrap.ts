/**
 * Percentile bootstrap confidence interval for the mean of per-query scores: resample the queries
 * with replacement `resamples` times (seeded), take the (α/2, 1 − α/2) type-7 quantiles of the
 * resampled means. With a single query the interval collapses to that value.
 */
import { Rng } from '../../random/rng.js';
import { quantileType7 } from './quantile.js';
import { checkFiniteArray, checkPositiveInteger, checkProbability } from './validate-scores.js';

export interface BootstrapOptions {
  /** Confidence level (default 0.95). */
  level?: number;
  /** Number of bootstrap resamples (default 10,000). */
  resamples?: number;
  /** Seed (default 1). */
  seed?: number;
}

export interface ConfidenceInterval {
  estimate: number;
  lower: number;
  upper: number;
  level: number;
}

/** Largest number of bootstrap resamples (800 MB of kept means). */
export const MAX_RESAMPLES = 100_000_000;

export function bootstrapMeanCI(values: ArrayLike<number>, options: BootstrapOptions = {}): ConfidenceInterval {
  checkFiniteArray('values', values, 1);
  const level = options.level ?? 0.95;
  checkProbability('level', level);
  const resamples = options.resamples ?? 10_000;
  checkPositiveInteger('resamples', resamples);
  // One float64 is kept per resample (for the quantiles): name the option instead of failing inside Float64Array.
  if (resamples > MAX_RESAMPLES) throw new RangeError(`resamples must be at most ${MAX_RESAMPLES} (one mean is kept per resample), got ${resamples}`);
  const n = values.length;
  let total = 0;
  for (let i = 0; i < n; i++) total += values[i];
  const rng = new Rng(options.seed ?? 1);
  const means = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let s = 0;
    for (let i = 0; i < n; i++) s += values[Math.floor(rng.nextFloat() * n)];
    means[r] = s / n;
  }
  means.sort();
  const alpha = 1 - level;
  return { estimate: total / n, lower: quantileType7(means, alpha / 2), upper: quantileType7(means, 1 - alpha / 2), level };
}
