import { describe, expect, it } from 'vitest';
import { sinkhornReference } from '../../src/ot/reference/sinkhorn.js';
import { otLossReference } from '../../src/ot/reference/loss.js';
import { costMatricesReference } from '../../src/ot/reference/cost.js';
import { sinkhornOptions, lossOptions } from '../../src/ot/options.js';
import { randomBatch, randomEmbeddings, randomMarginals, rng } from '../helpers/ot.js';

const opts = (o: Parameters<typeof sinkhornOptions>[1]) => sinkhornOptions('test', o);

function rowSums(plan: Float32Array, n: number, m: number, off = 0) {
  const r = new Float64Array(n);
  const c = new Float64Array(m);
  for (let i = 0; i < n; i++) for (let j = 0; j < m; j++) { r[i] += plan[off + i * m + j]; c[j] += plan[off + i * m + j]; }
  return { r, c };
}

describe('reference sinkhorn', () => {
  it('meets the marginals within tol and keeps the plan non-negative (ragged, non-uniform)', () => {
    const shapes: [number, number][] = [[1, 1], [1, 7], [6, 1], [5, 9], [12, 4]];
    const p = randomBatch(1, shapes);
    const a = randomMarginals(2, p.rows);
    const b = randomMarginals(3, p.cols);
    const out = sinkhornReference({ ...p, a, b }, opts({ eps: 0.1, tol: 1e-9, maxIter: 5000, checkEvery: 1 }));
    let off = 0; let ro = 0; let co = 0;
    shapes.forEach(([n, m], k) => {
      expect(out.converged[k]).toBe(1);
      expect(out.error[k]).toBeLessThanOrEqual(1e-9);
      const { r, c } = rowSums(out.plan, n, m, off);
      for (let i = 0; i < n; i++) expect(Math.abs(r[i] - a[ro + i])).toBeLessThan(1e-6);
      for (let j = 0; j < m; j++) expect(Math.abs(c[j] - b[co + j])).toBeLessThan(1e-6);
      off += n * m; ro += n; co += m;
    });
    for (const v of out.plan) expect(v).toBeGreaterThanOrEqual(0);
  });

  it('recovers a permutation at small eps', () => {
    const n = 6;
    const perm = [3, 0, 5, 1, 4, 2];
    const cost = new Float32Array(n * n).fill(1);
    for (let i = 0; i < n; i++) cost[i * n + perm[i]] = 0;
    const out = sinkhornReference({ rows: Int32Array.of(n), cols: Int32Array.of(n), cost }, opts({ eps: 0.01, tol: 1e-9 }));
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) expect(out.plan[i * n + j]).toBeCloseTo(j === perm[i] ? 1 / n : 0, 6);
    }
    expect(out.cost[0]).toBeCloseTo(0, 6);
  });

  it('tends to the outer product a bᵀ at large eps', () => {
    const p = randomBatch(4, [[4, 5]]);
    const a = randomMarginals(5, [4]);
    const b = randomMarginals(6, [5]);
    const out = sinkhornReference({ ...p, a, b }, opts({ eps: 1e4, tol: 1e-12 }));
    for (let i = 0; i < 4; i++) for (let j = 0; j < 5; j++) expect(out.plan[i * 5 + j]).toBeCloseTo(a[i] * b[j], 5);
  });

  it('reports the entropic value equal to the dual objective <f,a> + <g,b> at convergence', () => {
    const p = randomBatch(7, [[8, 11]]);
    const out = sinkhornReference(p, opts({ eps: 0.05, tol: 1e-12, maxIter: 20000, checkEvery: 1 }));
    let dual = 0;
    for (const v of out.f) dual += v / 8;
    for (const v of out.g) dual += v / 11;
    expect(out.value[0]).toBeCloseTo(dual, 5);
    expect(out.value[0]).toBeGreaterThan(out.cost[0] - 0.05 * Math.log(88)); // value ≥ cost − eps·H_max
  });

  it('unbalanced with a huge rho approaches balanced; small rho moves mass away from marginals', () => {
    const p = randomBatch(8, [[5, 7]]);
    const bal = sinkhornReference(p, opts({ eps: 0.1, tol: 1e-10, maxIter: 5000 }));
    const unb = sinkhornReference(p, opts({ eps: 0.1, tol: 1e-10, maxIter: 5000, rho: 1e7 }));
    for (let i = 0; i < bal.plan.length; i++) expect(Math.abs(unb.plan[i] - bal.plan[i])).toBeLessThan(1e-5);
    const loose = sinkhornReference(p, opts({ eps: 0.1, tol: 1e-10, maxIter: 5000, tau: 0.5 }));
    let mass = 0;
    for (const v of loose.plan) mass += v;
    expect(mass).toBeLessThan(0.99);
    expect(loose.converged[0]).toBe(1);
  });

  it('tol = 0 runs exactly maxIter iterations; a converged problem stops while others continue', () => {
    const p = randomBatch(9, [[3, 3], [20, 20]], 2);
    const fixed = sinkhornReference(p, opts({ eps: 0.05, tol: 0, maxIter: 37 }));
    expect(Array.from(fixed.iterations)).toEqual([37, 37]);
    const easy = new Float32Array(p.cost);
    easy.fill(0.5, 0, 9); // constant cost: converged after one iteration
    const mixed = sinkhornReference({ ...p, cost: easy }, opts({ eps: 0.01, tol: 1e-9, maxIter: 500, checkEvery: 1 }));
    expect(mixed.iterations[0]).toBe(1);
    expect(mixed.iterations[1]).toBeGreaterThan(1);
  });

  it('eps schedule ends at the target eps and reaches the same plan', () => {
    const p = randomBatch(10, [[9, 9]]);
    const plain = sinkhornReference(p, opts({ eps: 0.02, tol: 1e-8, maxIter: 20000 }));
    const sched = sinkhornReference(p, opts({ eps: 0.02, tol: 1e-8, maxIter: 20000, epsSchedule: { init: 1, decay: 0.9 } }));
    expect(sched.converged[0]).toBe(1);
    for (let i = 0; i < plain.plan.length; i++) expect(Math.abs(sched.plan[i] - plain.plan[i])).toBeLessThan(1e-6);
  });

  it('stays finite at eps = 1e-3 with costs in [0, 2] (log domain)', () => {
    const p = randomBatch(11, [[64, 64]], 2);
    const out = sinkhornReference(p, opts({ eps: 1e-3, tol: 1e-6, maxIter: 2000 }));
    for (const v of out.plan) expect(Number.isFinite(v)).toBe(true);
    expect(Number.isFinite(out.value[0])).toBe(true);
    expect(out.converged[0] === 1 || out.error[0] > 1e-6).toBe(true);
  });
});

describe('reference cost and loss', () => {
  it('builds cosine, squared Euclidean and dot costs', () => {
    const e = { rows: Int32Array.of(1), cols: Int32Array.of(2), dim: 2, x: Float32Array.of(1, 0), y: Float32Array.of(0, 2, 3, 4) };
    expect(Array.from(costMatricesReference(e, { kind: 'cosine' }))).toEqual([1, Math.fround(1 - 3 / 5)]);
    expect(Array.from(costMatricesReference(e, { kind: 'sqeuclidean' }))).toEqual([5, 20]);
    expect(Array.from(costMatricesReference(e, { kind: 'dot' }))).toEqual([-0, -3]);
  });

  for (const kind of ['cosine', 'sqeuclidean', 'dot'] as const) {
    it(`gradient of the entropic value matches finite differences (${kind})`, () => {
      const e = randomEmbeddings(20, [[4, 5], [3, 6]], 8);
      const o = lossOptions('test', { kind, eps: 0.1, tol: 1e-13, maxIter: 100000, checkEvery: 1 });
      const base = otLossReference({ rows: e.rows, cols: e.cols, dim: 8, teacher: e.x, student: e.y }, o);
      const r = rng(21);
      const dir = new Float64Array(e.y.length).map(() => r() * 2 - 1);
      const h = 1e-3;
      const shifted = (sign: number) => {
        const s = new Float64Array(e.y.length);
        for (let i = 0; i < s.length; i++) s[i] = e.y[i] + sign * h * dir[i];
        const out = otLossReference({ rows: e.rows, cols: e.cols, dim: 8, teacher: Float64Array.from(e.x), student: s }, o);
        return out.value[0] + out.value[1];
      };
      const fd = (shifted(1) - shifted(-1)) / (2 * h);
      let analytic = 0;
      for (let i = 0; i < dir.length; i++) analytic += base.grad[i] * dir[i];
      expect(Math.abs(fd - analytic)).toBeLessThan(1e-4 * Math.max(1, Math.abs(fd)));
    });
  }
});
