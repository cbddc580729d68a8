/**
 * The float32 limits of the native kernels, stated and enforced (README "Float32 limits"):
 * - a tol below the float32 error floor stops at the floor (converged, error > tol), while a problem
 *   that still improves keeps iterating;
 * - an eps below 2^-20 · max|C| is refused with an error naming options.eps and the problem, where it
 *   used to return plans carrying mass up to 6.6e38.
 */
import { describe, expect, it } from 'vitest';
import { sinkhornReference } from '../../src/ot/reference/sinkhorn.js';
import { addon, opts, randomCosts } from './helpers.js';

const METHODS = ['log', 'scaling', 'auto'] as const;

function constantCost(n: number, m: number, c: number) {
  return { rows: Int32Array.of(n), cols: Int32Array.of(m), cost: new Float32Array(n * m).fill(c) };
}

/** 2^-24 · (Σ a|f| + Σ b|g| + Σa·max|C|) / eps: the float32 floor of the marginal error (uniform a, b). */
function floorEstimate(f: Float32Array, g: Float32Array, maxC: number, eps: number): number {
  let s = 0;
  for (const v of f) s += Math.abs(v) / f.length;
  for (const v of g) s += Math.abs(v) / g.length;
  return (Math.pow(2, -24) * (s + maxC)) / eps;
}

describe('float32 error floor', () => {
  it('log at eps = 1e-3 on a constant cost stops at the floor instead of running to maxIter', () => {
    // The float64 reference converges in 10 iterations; float32 stalls near 1e-5 > tol (issue 11).
    for (const [n, m, c] of [[5, 7, 0.5], [20, 30, 1], [10, 10, 100]] as const) {
      const p = constantCost(n, m, c);
      const o = opts({ method: 'log', eps: 1e-3, tol: 1e-6, maxIter: 1000 });
      expect(sinkhornReference(p, o).converged[0]).toBe(1);
      const out = addon.sinkhornSync(p, o);
      expect(out.converged[0], `${n}x${m} c=${c}`).toBe(1);
      expect(out.iterations[0]).toBeLessThan(100);
      // Stopped above tol, but within (twice) the float32 floor, and the plan is still a⊗b.
      expect(out.error[0]).toBeGreaterThan(o.tol);
      expect(out.error[0]).toBeLessThanOrEqual(2 * floorEstimate(out.f, out.g, c, o.eps));
      for (let i = 0; i < n * m; i++) expect(Math.abs(out.plan[i] - 1 / (n * m)) * n * m).toBeLessThan(1e-2);
    }
  });

  it('a problem that still converges is not stopped at the floor, and a reachable tol is met', () => {
    // Random costs at eps = 1e-3 converge slowly but steadily: every check lowers the error.
    const slow = randomCosts(7, [[64, 64]], 1);
    const o = opts({ method: 'log', eps: 1e-3, tol: 1e-6, maxIter: 300, checkEvery: 10 });
    const out = addon.sinkhornSync(slow, o);
    expect(out.converged[0]).toBe(0);
    expect(out.iterations[0]).toBe(300);
    for (const method of METHODS) {
      const easy = addon.sinkhornSync(randomCosts(8, [[30, 40]]), opts({ method, eps: 0.1, tol: 1e-6, maxIter: 5000 }));
      expect(easy.converged[0], method).toBe(1);
      expect(easy.error[0], method).toBeLessThanOrEqual(1e-6);
    }
  });

  it('tol = 0 still runs exactly maxIter iterations at the floor', () => {
    const out = addon.sinkhornSync(constantCost(5, 7, 0.5), opts({ method: 'log', eps: 1e-3, tol: 0, maxIter: 77 }));
    expect(out.iterations[0]).toBe(77);
    expect(out.converged[0]).toBe(0);
  });
});

describe('eps below the float32 resolution of the costs', () => {
  it('is refused, naming options.eps, the problem and the smallest usable eps (sync and async)', async () => {
    // Problem 1 has costs up to 100: eps = 1e-5 < 2^-20 · 100 ≈ 9.5e-5 there, but fine for problem 0.
    const p = randomCosts(3, [[4, 5], [6, 3]], 1);
    for (let i = 20; i < 38; i++) p.cost[i] *= 100;
    for (const method of METHODS) {
      const o = opts({ method, eps: 1e-5 });
      expect(() => addon.sinkhornSync(p, o)).toThrow(RangeError);
      expect(() => addon.sinkhornSync(p, o)).toThrow(/options\.eps = 1e-05 is below the float32 resolution of the costs of problem 1 \(largest \|C\| = 93\.7\): .*use eps >= 8\.93e-05 \(2\^-20 · max \|C\|\)/);
      await expect(addon.sinkhorn(p, o)).rejects.toThrow(/problem 1/);
    }
    // At 2^-20 · max|C| and above it solves, and every output is finite.
    const ok = addon.sinkhornSync(p, opts({ eps: 2e-4, maxIter: 50 }));
    for (const arr of [ok.plan, ok.f, ok.g, ok.value]) expect(Array.from(arr).every(Number.isFinite)).toBe(true);
  });

  it('eps = 1e-20 on costs in [0, 1]: refused (it used to return plans of mass ~1e38)', () => {
    const p = randomCosts(5, [[40, 40]]);
    for (const method of METHODS) expect(() => addon.sinkhornSync(p, opts({ method, eps: 1e-20 }))).toThrow(/options\.eps = 1e-20 is below the float32 resolution/);
  });

  it('a zero cost matrix accepts any eps; the lowest failing problem is the one reported', () => {
    const zero = { rows: Int32Array.of(3), cols: Int32Array.of(4), cost: new Float32Array(12) };
    expect(addon.sinkhornSync(zero, opts({ eps: 1e-25 })).converged[0]).toBe(1);
    // 40 problems over the thread pool, problems 33 and 7 too fine: always problem 7.
    const p = randomCosts(6, Array.from({ length: 40 }, () => [20, 20] as [number, number]));
    for (let i = 0; i < 400; i++) { p.cost[33 * 400 + i] *= 1e6; p.cost[7 * 400 + i] *= 1e6; }
    for (let r = 0; r < 5; r++) expect(() => addon.sinkhornSync(p, opts({ eps: 1e-3 }))).toThrow(/of problem 7 /);
  });

  it('the OT-loss step refuses it too, and names an overflowing cost instead of returning NaN', () => {
    const x = Float32Array.of(1e3, 0, 0, 1e3);
    const input = { rows: Int32Array.of(2), cols: Int32Array.of(2), dim: 2, teacher: x, student: Float32Array.of(0, 1e3, 1e3, 0) };
    expect(() => addon.otLossSync(input, opts({ kind: 'sqeuclidean', eps: 1e-4 }))).toThrow(/options\.eps = 0\.0001 is below the float32 resolution of the costs of problem 0/);
    const huge = { ...input, teacher: Float32Array.of(3e19, 0, 0, 3e19), student: Float32Array.of(-3e19, 0, 0, -3e19) };
    expect(() => addon.otLossSync(huge, opts({ kind: 'sqeuclidean', eps: 1 }))).toThrow(/teacher\/student of problem 0: the sqeuclidean cost .* is not a finite float32/);
  });
});
