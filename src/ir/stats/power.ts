/**
 * Statistical power of the paired t-test: the smallest mean difference a test over n queries can
 * detect. With sd the standard deviation of the per-query differences, a two-sided level α
 * (after any multiple-comparison correction) and power 1 − β:
 *     MDE = (t_{1−α/2, n−1} + t_{1−β, n−1}) · sd / √n
 * the usual shifted-t approximation of the noncentral t (Cohen 1988, ch. 2; exact within a few
 * per cent for n ≥ 10). A difference reported below the MDE of its table is one the design could
 * not be expected to resolve, whatever its p-value.
 */
import { studentTCdf } from './special-functions.js';

/** Student t quantile: the t with P(T ≤ t) = p (df degrees of freedom), by bisection on the CDF (|error| < 1e-10). */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0)) throw new RangeError(`studentTQuantile: degrees of freedom must be > 0, got ${df}`);
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface PowerOptions {
  /** Two-sided level of this one test (already corrected for multiple comparisons). */
  alpha: number;
  /** Default 0.8. */
  power?: number;
}

/** Smallest mean paired difference detectable with `n` pairs whose differences have standard deviation `sd`. */
export function pairedMinimumDetectableDifference(sd: number, n: number, options: PowerOptions): number {
  const power = options.power ?? 0.8;
  if (!Number.isInteger(n) || n < 2) throw new RangeError(`pairedMinimumDetectableDifference: n must be an integer >= 2, got ${n}`);
  if (!(sd >= 0) || !Number.isFinite(sd)) throw new RangeError(`pairedMinimumDetectableDifference: sd must be a finite number >= 0, got ${sd}`);
  if (!(options.alpha > 0 && options.alpha < 1)) throw new RangeError(`pairedMinimumDetectableDifference: alpha must be in (0, 1), got ${options.alpha}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`pairedMinimumDetectableDifference: power must be in (0, 1), got ${power}`);
  const df = n - 1;
  return (studentTQuantile(1 - options.alpha / 2, df) + studentTQuantile(power, df)) * sd / Math.sqrt(n);
}
