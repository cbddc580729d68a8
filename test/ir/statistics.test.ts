// Statistics against reference values computed with scipy 1.17 (numbers only, listed inline).
import { describe, expect, it } from 'vitest';
import { logGamma, normalQuantile, regularizedIncompleteBeta, studentTCdf, studentTTwoSidedP } from '../../src/ir/stats/special-functions.js';
import { pairedTTest } from '../../src/ir/stats/paired-t-test.js';
import { randomizationTest } from '../../src/ir/stats/randomization-test.js';
import { bonferroni, holm } from '../../src/ir/stats/multiple-comparisons.js';
import { bootstrapMeanCI } from '../../src/ir/stats/bootstrap.js';
import { averageRanks, pearson, spearman } from '../../src/ir/stats/correlation.js';
import { Rng } from '../../src/random/rng.js';

const A = [0.5, 0.7, 0.2, 0.9, 0.4, 0.6, 0.3, 0.8];
const B = [0.4, 0.5, 0.25, 0.6, 0.4, 0.3, 0.35, 0.5];

describe('special functions (scipy.special / scipy.stats values)', () => {
  it('log-gamma and the regularized incomplete beta', () => {
    expect(logGamma(0.1)).toBeCloseTo(2.252712651734206, 13);
    expect(logGamma(100.5)).toBeCloseTo(361.43554046777757, 10);
    expect(regularizedIncompleteBeta(0.3, 2.5, 0.5)).toBeCloseTo(0.018927124071945658, 14);
    expect(regularizedIncompleteBeta(0.4, 10, 20)).toBeCloseTo(0.7853183897628262, 14);
    expect(regularizedIncompleteBeta(0.999, 0.5, 0.5)).toBeCloseTo(0.9798649583666235, 14);
  });
  it('Student t tails and CDF', () => {
    expect(studentTTwoSidedP(2.5, 3)).toBeCloseTo(0.08770664700806556, 14);
    expect(studentTCdf(-1.3, 7.5)).toBeCloseTo(0.11606338940780439, 14);
    expect(studentTTwoSidedP(0.1, 100)).toBeCloseTo(0.9205445310958512, 13);
    expect(studentTTwoSidedP(40, 2)).toBeCloseTo(0.0006244146721847406, 15);
    expect(studentTTwoSidedP(Infinity, 5)).toBe(0);
    expect(() => studentTTwoSidedP(1, 0)).toThrow(RangeError);
  });
  it('normal quantile (AS 241)', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(normalQuantile(1e-10)).toBeCloseTo(-6.361340902404056, 12);
    expect(normalQuantile(0.3)).toBeCloseTo(-0.5244005127080409, 14);
    expect(() => normalQuantile(1)).toThrow(/\(0, 1\)/);
  });
});

describe('paired tests', () => {
  it('t-test equals scipy.stats.ttest_rel', () => {
    const r = pairedTTest(A, B);
    expect(r.t).toBeCloseTo(2.468506670004381, 12);
    expect(r.pValue).toBeCloseTo(0.04292680941518106, 12);
    expect(r.df).toBe(7);
  });
  it('t-test degenerate cases', () => {
    expect(pairedTTest([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
    expect(pairedTTest([2, 3, 4], [1, 2, 3]).pValue).toBe(0);
    expect(() => pairedTTest([1, 2, 3], [1, 2])).toThrow(/same length/);
    expect(() => pairedTTest([1, NaN], [1, 2])).toThrow('a[1] must be a finite number, got NaN');
  });
  it('randomization test enumerates exactly for small n (20 of 256 sign assignments)', () => {
    const r = randomizationTest(A, B, { permutations: 1000 });
    expect(r.exact).toBe(true);
    expect(r.pValue).toBe(20 / 256);
  });
  it('Monte Carlo randomization test is seeded, deterministic and close to the exact value', () => {
    const one = randomizationTest(A, B, { permutations: 100, seed: 7 });
    const two = randomizationTest(A, B, { permutations: 100, seed: 7 });
    expect(one.exact).toBe(false);
    expect(one.pValue).toBe(two.pValue);
    const big = randomizationTest(A, B, { permutations: 200_000, seed: 3 });
    expect(Math.abs(big.pValue - 20 / 256)).toBeLessThan(0.003);
  });
  it('identical systems give p = 1', () => {
    expect(randomizationTest([0.1, 0.2, 0.3], [0.1, 0.2, 0.3]).pValue).toBe(1);
  });
});

describe('multiple comparisons', () => {
  it('Bonferroni and Holm (values as statsmodels multipletests)', () => {
    const p = [0.01, 0.04, 0.03, 0.5];
    expect(bonferroni(p)).toEqual([0.04, 0.16, 0.12, 1]);
    const h = holm(p);
    expect(h[0]).toBeCloseTo(0.04, 15);
    expect(h[2]).toBeCloseTo(0.09, 15);
    expect(h[1]).toBeCloseTo(0.09, 15); // 2 × 0.04 = 0.08 raised to the running max 0.09
    expect(h[3]).toBeCloseTo(0.5, 15);
    expect(() => holm([0.1, 1.5])).toThrow('pValues[1] must be in [0, 1], got 1.5');
  });
});

describe('bootstrap and correlation', () => {
  it('bootstrap CI is deterministic per seed, brackets the mean and narrows with more data', () => {
    const ci = bootstrapMeanCI(A, { seed: 5, resamples: 5000 });
    expect(bootstrapMeanCI(A, { seed: 5, resamples: 5000 })).toEqual(ci);
    expect(ci.estimate).toBeCloseTo(0.55, 15);
    expect(ci.lower).toBeLessThan(ci.estimate);
    expect(ci.upper).toBeGreaterThan(ci.estimate);
    // Normal-theory half width s/√n·1.96 ≈ 0.1649 for this sample; the bootstrap should be near it.
    expect(ci.upper - ci.lower).toBeGreaterThan(0.25);
    expect(ci.upper - ci.lower).toBeLessThan(0.4);
    const many = bootstrapMeanCI([...A, ...A, ...A, ...A], { seed: 5, resamples: 5000 });
    expect(many.upper - many.lower).toBeLessThan(ci.upper - ci.lower);
    expect(bootstrapMeanCI([0.3])).toMatchObject({ lower: 0.3, upper: 0.3 });
    expect(() => bootstrapMeanCI([0.3], { resamples: 1e12 })).toThrow(/resamples must be at most 100000000/);
  });
  it('Pearson with Fisher-z CI equals scipy.stats.pearsonr', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    const r = pearson(x, y);
    expect(r.r).toBeCloseTo(0.33432539901899483, 14);
    expect(r.pValue).toBeCloseTo(0.3450710477331118, 12);
    expect(r.lower).toBeCloseTo(-0.3740353709294618, 12);
    expect(r.upper).toBeCloseTo(0.7963251948407858, 12);
  });
  it('Spearman with average ranks equals scipy.stats.spearmanr; CI uses 1.06/(n−3)', () => {
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const y = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3];
    expect([...averageRanks([3, 1, 4, 1])]).toEqual([3, 1.5, 4, 1.5]);
    const s = spearman(x, y);
    expect(s.r).toBeCloseTo(0.3914537831560393, 14);
    expect(s.pValue).toBeCloseTo(0.2632875529923413, 12);
    expect(s.lower).toBeCloseTo(-0.33564917880082396, 12);
    expect(s.upper).toBeCloseTo(0.8262536340237435, 12);
    expect(() => spearman([1, 1, 1], [1, 2, 3])).toThrow(/constant/);
  });
});

describe('seeded generator', () => {
  it('is reproducible and roughly uniform', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) {
      const u = a.nextFloat();
      expect(u).toBe(b.nextFloat());
      counts[Math.floor(u * 10)]++;
    }
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
  });
});
