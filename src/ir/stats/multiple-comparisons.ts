/**
 * Family-wise error corrections for several systems compared against one baseline.
 * Both return adjusted p-values (compare them with the nominal α), capped at 1.
 *  - Bonferroni: p_i · m.
 *  - Holm (step-down): sort ascending, adjusted_(k) = max_{j ≤ k} min(1, (m − j + 1) · p_(j)),
 *    which is uniformly more powerful than Bonferroni with the same guarantee.
 */
import { checkProbability } from './validate-scores.js';

function check(pValues: readonly number[]): void {
  if (!Array.isArray(pValues)) throw new TypeError('pValues must be an array');
  pValues.forEach((p, i) => checkProbability(`pValues[${i}]`, p, false));
}

export function bonferroni(pValues: readonly number[]): number[] {
  check(pValues);
  return pValues.map((p) => Math.min(1, p * pValues.length));
}

export function holm(pValues: readonly number[]): number[] {
  check(pValues);
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((x, y) => x.p - y.p);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
