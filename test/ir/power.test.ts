/**
 * Power of the paired t-test (src/ir/stats/power.ts): t quantiles against scipy.stats.t.ppf
 * (values printed by scipy 1.x), the MDE formula, and a simulation: a true difference equal to the
 * MDE is detected in about 80% of simulated experiments.
 */
import { describe, expect, it } from 'vitest';
import { pairedMinimumDetectableDifference, studentTQuantile } from '../../src/ir/stats/power.js';
import { pairedTTest } from '../../src/ir/stats/paired-t-test.js';
import { normalQuantile } from '../../src/ir/stats/special-functions.js';
import { Rng } from '../../src/random/rng.js';

describe('paired t-test power', () => {
  it('t quantiles equal scipy.stats.t.ppf', () => {
    expect(studentTQuantile(0.975, 29)).toBeCloseTo(2.045229642132703, 8);
    expect(studentTQuantile(0.8, 29)).toBeCloseTo(0.8541919858818557, 8);
    expect(studentTQuantile(0.99, 4)).toBeCloseTo(3.746947387979196, 8);
    expect(studentTQuantile(1 - 0.05 / 8, 89)).toBeCloseTo(2.5494826485476247, 8);
    expect(studentTQuantile(0.2, 29)).toBeCloseTo(-0.8541919858818557, 8);
  });

  it('MDE = (t_{1-α/2} + t_{power}) · sd / √n, and rejects bad input by name', () => {
    expect(pairedMinimumDetectableDifference(0.2, 30, { alpha: 0.05 })).toBeCloseTo((2.045229642132703 + 0.8541919858818557) * 0.2 / Math.sqrt(30), 8);
    expect(pairedMinimumDetectableDifference(0, 30, { alpha: 0.05 })).toBe(0);
    expect(() => pairedMinimumDetectableDifference(0.2, 1, { alpha: 0.05 })).toThrow(/n must be an integer >= 2, got 1/);
    expect(() => pairedMinimumDetectableDifference(Number.NaN, 30, { alpha: 0.05 })).toThrow(/sd must be a finite number >= 0/);
    expect(() => pairedMinimumDetectableDifference(0.2, 30, { alpha: 0 })).toThrow(/alpha must be in \(0, 1\)/);
    expect(() => pairedMinimumDetectableDifference(0.2, 30, { alpha: 0.05, power: 1 })).toThrow(/power must be in \(0, 1\)/);
  });

  it('a true difference equal to the MDE is detected in about 80% of simulated experiments', () => {
    const rng = new Rng('power');
    const n = 30;
    const sd = 0.2;
    const mde = pairedMinimumDetectableDifference(sd, n, { alpha: 0.05 });
    let hits = 0;
    const trials = 2000;
    for (let k = 0; k < trials; k++) {
      const a = Array.from({ length: n }, () => mde + sd * normalQuantile(Math.min(Math.max(rng.next(), 1e-12), 1 - 1e-12)));
      const b = new Array<number>(n).fill(0);
      if (pairedTTest(a, b).pValue < 0.05) hits++;
    }
    expect(hits / trials).toBeGreaterThan(0.76);
    expect(hits / trials).toBeLessThan(0.84);
  });
});
