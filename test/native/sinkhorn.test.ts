/** Properties of the native CPU Sinkhorn that hold whatever the oracle says. */
import { describe, expect, it } from 'vitest';
import { addon, blockMarginals, finite, firstBad, nonNegative, opts, randomCosts, randomMarginals, rng, sameBits, slice, type Shape } from './helpers.js';

const METHODS = ['log', 'scaling', 'auto'] as const;

describe('native sinkhorn: basic properties', () => {
  it('exports the NativeAddon contract', () => {
    expect(addon.backend).toBe('cpu');
    expect(typeof addon.version).toBe('string');
    expect(addon.threads()).toBeGreaterThanOrEqual(1);
  });

  for (const method of METHODS) {
    it(`${method}: meets the marginals within tol at convergence, plan ≥ 0, finite outputs (ragged)`, () => {
      const shapes: Shape[] = [[1, 1], [1, 7], [6, 1], [5, 9], [12, 4], [33, 17]];
      const p = randomCosts(11, shapes);
      const a = randomMarginals(12, p.rows);
      const b = randomMarginals(13, p.cols);
      const tol = 1e-5;
      const out = addon.sinkhornSync({ ...p, a, b }, opts({ method, eps: 0.1, tol, maxIter: 5000, checkEvery: 5 }));
      shapes.forEach((_, k) => {
        expect(out.converged[k], `problem ${k}`).toBe(1);
        expect(out.error[k]).toBeLessThanOrEqual(tol);
        expect(out.iterations[k]).toBeGreaterThanOrEqual(1);
        const { r, c } = blockMarginals(out.plan, p.rows, p.cols, k);
        const ak = slice(a, p.rows, k);
        const bk = slice(b, p.cols, k);
        let l1 = 0;
        r.forEach((v, i) => (l1 += Math.abs(v - ak[i])));
        c.forEach((v, j) => (l1 += Math.abs(v - bk[j])));
        // The reported error is the L1 marginal error of the returned plan (float32 plan: small slack).
        expect(Math.abs(l1 - out.error[k])).toBeLessThan(2e-6);
        expect(l1).toBeLessThan(tol + 2e-6);
      });
      expect(firstBad(out.plan, nonNegative)).toBe(-1);
      for (const arr of [out.plan, out.f, out.g, out.cost, out.value]) expect(firstBad(arr, finite)).toBe(-1);
      // f, g follow the convention P_ij = a_i b_j exp((f_i + g_j − C_ij)/eps).
      const { off } = blockMarginals(out.plan, p.rows, p.cols, 3);
      const fo = 1 + 1 + 6;
      const go = 1 + 7 + 1;
      for (let i = 0; i < 5; i++) {
        for (let j = 0; j < 9; j++) {
          const expected = a[fo + i] * b[go + j] * Math.exp((out.f[fo + i] + out.g[go + j] - p.cost[off + i * 9 + j]) / 0.1);
          expect(Math.abs(out.plan[off + i * 9 + j] - expected)).toBeLessThan(1e-5 * Math.max(expected, 1e-3));
        }
      }
    });
  }

  it('recovers a permutation at small eps (every method)', () => {
    const n = 8;
    const perm = [3, 0, 5, 1, 7, 4, 2, 6];
    const cost = new Float32Array(n * n).fill(1);
    for (let i = 0; i < n; i++) cost[i * n + perm[i]] = 0;
    for (const method of METHODS) {
      const out = addon.sinkhornSync({ rows: Int32Array.of(n), cols: Int32Array.of(n), cost }, opts({ method, eps: 0.01, maxIter: 2000 }));
      expect(out.converged[0]).toBe(1);
      for (let i = 0; i < n; i++) expect(out.plan[i * n + perm[i]], `${method} row ${i}`).toBeGreaterThan(0.999 / n);
      expect(out.cost[0]).toBeLessThan(1e-6);
    }
  });

  it('gives the outer product a bᵀ at very large eps', () => {
    const p = randomCosts(21, [[7, 5]]);
    const a = randomMarginals(22, p.rows);
    const b = randomMarginals(23, p.cols);
    for (const method of METHODS) {
      // P = a bᵀ · exp((f + g − C)/eps): with C in [0, 1] and eps = 1e6 the factor is 1 ± 1e-6.
      const out = addon.sinkhornSync({ ...p, a, b }, opts({ method, eps: 1e6, maxIter: 50 }));
      for (let i = 0; i < 7; i++) for (let j = 0; j < 5; j++) expect(out.plan[i * 5 + j]).toBeCloseTo(a[i] * b[j], 6);
    }
  });

  it('unbalanced with huge rho ≈ balanced', () => {
    const shapes: Shape[] = [[9, 6], [4, 11]];
    const p = randomCosts(31, shapes);
    for (const method of METHODS) {
      const bal = addon.sinkhornSync(p, opts({ method, eps: 0.1, tol: 0, maxIter: 300 }));
      const unb = addon.sinkhornSync(p, opts({ method, eps: 0.1, tol: 0, maxIter: 300, rho: 1e7 }));
      for (let i = 0; i < bal.plan.length; i++) expect(Math.abs(unb.plan[i] - bal.plan[i])).toBeLessThan(1e-5);
      for (let k = 0; k < 2; k++) expect(unb.value[k]).toBeCloseTo(bal.value[k], 4);
    }
  });

  it('unbalanced with small rho moves less mass than balanced and pays the KL terms', () => {
    const p = randomCosts(41, [[10, 10]], 2);
    const bal = addon.sinkhornSync(p, opts({ eps: 0.05 }));
    const unb = addon.sinkhornSync(p, opts({ eps: 0.05, rho: 0.1, tol: 1e-7, maxIter: 5000 }));
    expect(unb.converged[0]).toBe(1);
    let mass = 0;
    for (const v of unb.plan) mass += v;
    expect(mass).toBeLessThan(1);
    expect(unb.cost[0]).toBeLessThan(bal.cost[0]);
    expect(unb.value[0]).toBeLessThan(bal.value[0]);
  });

  for (const method of ['auto', 'log'] as const) {
    it(`${method}: eps = 1e-3, costs in [0, 2], 512×512 stays finite and is converged or flagged`, () => {
      const p = randomCosts(51, [[512, 512]], 2);
      const out = addon.sinkhornSync(p, opts({ method, eps: 1e-3, maxIter: 100, tol: 1e-4, checkEvery: 20 }));
      for (const arr of [out.plan, out.f, out.g, out.value]) expect(firstBad(arr, finite)).toBe(-1);
      expect(Number.isFinite(out.error[0])).toBe(true);
      expect(out.converged[0] === 1 ? out.error[0] <= 1e-4 : out.iterations[0] === 100).toBe(true);
      const { r } = blockMarginals(out.plan, p.rows, p.cols, 0);
      // Columns are matched exactly by the last g update: the row error is what remains.
      let err = 0;
      r.forEach((v) => (err += Math.abs(v - 1 / 512)));
      expect(err).toBeLessThan(out.error[0] + 1e-4);
    });
  }

  it('scaling at eps = 1e-3 falls back instead of producing NaN', () => {
    const p = randomCosts(52, [[64, 64], [3, 5]], 2);
    const out = addon.sinkhornSync(p, opts({ method: 'scaling', eps: 1e-3, maxIter: 100, tol: 0 }));
    for (const arr of [out.plan, out.f, out.g, out.value]) expect(firstBad(arr, finite)).toBe(-1);
    expect(Array.from(out.iterations)).toEqual([100, 100]);
  });

  it('returnPlan: false leaves the plan out and changes nothing else (sync, async, every method)', async () => {
    // Narrow, wide and split-across-threads blocks; 'scaling'/'auto' then keep their kernel in scratch.
    const p = randomCosts(53, [[7, 9], [40, 300], [300, 400]]);
    for (const method of METHODS) {
      for (const tol of [0, 1e-6]) {
        const o = opts({ method, eps: 0.05, tol, maxIter: 80 });
        const full = addon.sinkhornSync(p, o);
        for (const lean of [addon.sinkhornSync(p, { ...o, returnPlan: false }), await addon.sinkhorn(p, { ...o, returnPlan: false })]) {
          expect('plan' in lean, method).toBe(false);
          for (const key of ['f', 'g', 'cost', 'value', 'iterations', 'error', 'converged'] as const) {
            expect(sameBits(lean[key], full[key]), `${method} tol ${tol} ${key}`).toBe(true);
          }
        }
      }
    }
  });

  it('tol = 0 runs exactly maxIter iterations', () => {
    const p = randomCosts(61, [[3, 3], [1, 1], [20, 7]]);
    for (const method of METHODS) {
      const out = addon.sinkhornSync(p, opts({ method, tol: 0, maxIter: 37, checkEvery: 5 }));
      expect(Array.from(out.iterations)).toEqual([37, 37, 37]);
    }
  });

  it('stops each problem on its own: iterations are multiples of checkEvery, easy problems stop earlier', () => {
    // Problem 0 is trivial (1×1), problem 1 needs many iterations at small eps.
    const p = randomCosts(71, [[1, 1], [40, 40]], 1);
    const out = addon.sinkhornSync(p, opts({ eps: 0.02, tol: 1e-6, checkEvery: 7, maxIter: 3000 }));
    expect(out.converged[0]).toBe(1);
    expect(out.iterations[0]).toBe(7);
    expect(out.iterations[1]).toBeGreaterThan(7);
    expect(out.iterations[1] % 7 === 0 || out.iterations[1] === 3000).toBe(true);
  });

  it('reports non-convergence in the result instead of throwing', () => {
    const p = randomCosts(81, [[30, 30]]);
    const out = addon.sinkhornSync(p, opts({ eps: 0.005, tol: 1e-9, maxIter: 5 }));
    expect(out.converged[0]).toBe(0);
    expect(out.iterations[0]).toBe(5);
    expect(out.error[0]).toBeGreaterThan(1e-9);
  });

  it('eps schedule: convergence only counts at the target eps, and the schedule still converges', () => {
    const p = randomCosts(91, [[16, 12]]);
    // decay 0.5 from 1.0 reaches 0.01 after 7 iterations; checks every iteration.
    const out = addon.sinkhornSync(p, opts({ eps: 0.01, epsInit: 1, epsDecay: 0.5, tol: 1e-5, checkEvery: 1, maxIter: 5000 }));
    expect(out.converged[0]).toBe(1);
    expect(out.iterations[0]).toBeGreaterThanOrEqual(8);
    // A schedule that cannot reach eps within maxIter never reports convergence.
    const short = addon.sinkhornSync(p, opts({ eps: 0.01, epsInit: 1, epsDecay: 0.9, tol: 1, checkEvery: 1, maxIter: 10 }));
    expect(short.converged[0]).toBe(0);
    expect(short.iterations[0]).toBe(10);
  });

  it('value = <P,C> + eps·KL(P‖a⊗b) recomputed from the returned plan', () => {
    const p = randomCosts(101, [[6, 8]]);
    const a = randomMarginals(102, p.rows);
    const b = randomMarginals(103, p.cols);
    const eps = 0.2;
    const out = addon.sinkhornSync({ ...p, a, b }, opts({ eps, tol: 1e-7, maxIter: 5000 }));
    let pc = 0;
    let kl = 0;
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < 8; j++) {
        const pij = out.plan[i * 8 + j];
        pc += pij * p.cost[i * 8 + j];
        kl += pij * Math.log(pij / (a[i] * b[j])) - pij + a[i] * b[j];
      }
    }
    expect(out.cost[0]).toBeCloseTo(pc, 6);
    expect(out.value[0]).toBeCloseTo(pc + eps * kl, 5);
  });

  it('masked tokens (zero marginal entries) get no mass', () => {
    const p = randomCosts(111, [[5, 4]]);
    const a = Float32Array.of(0.25, 0, 0.25, 0.25, 0.25);
    const b = Float32Array.of(0.5, 0.5, 0, 0);
    for (const method of METHODS) {
      const out = addon.sinkhornSync({ ...p, a, b }, opts({ method }));
      expect(out.converged[0]).toBe(1);
      for (let j = 0; j < 4; j++) expect(out.plan[1 * 4 + j]).toBe(0);
      for (let i = 0; i < 5; i++) { expect(out.plan[i * 4 + 2]).toBe(0); expect(out.plan[i * 4 + 3]).toBe(0); }
      expect(firstBad(out.f, finite)).toBe(-1);
      expect(firstBad(out.g, finite)).toBe(-1);
    }
  });

  it('Float64 inputs give the same result as their Float32 conversion', () => {
    const p = randomCosts(121, [[7, 9], [3, 2]]);
    const a = randomMarginals(122, p.rows);
    const r32 = addon.sinkhornSync({ ...p, a }, opts());
    const r64 = addon.sinkhornSync({ ...p, cost: Float64Array.from(p.cost), a: Float64Array.from(a) }, opts());
    expect(sameBits(r64.plan, r32.plan)).toBe(true);
    expect(sameBits(r64.value, r32.value)).toBe(true);
  });

  it('async equals sync bitwise, and a large problem split across threads is deterministic', async () => {
    const r = rng(131);
    const shapes: Shape[] = Array.from({ length: 40 }, () => [1 + Math.floor(r() * 30), 1 + Math.floor(r() * 30)] as Shape);
    shapes.push([400, 380]); // big enough to be split by rows/cols across threads
    const p = randomCosts(132, shapes);
    for (const method of METHODS) {
      const o = opts({ method, eps: 0.05, maxIter: 200 });
      const s = addon.sinkhornSync(p, o);
      const [x, y] = await Promise.all([addon.sinkhorn(p, o), addon.sinkhorn(p, o)]);
      const fields = ['plan', 'f', 'g', 'cost', 'value', 'iterations', 'error', 'converged'] as const;
      for (const res of [x, y]) for (const key of fields) expect(sameBits(res[key], s[key]), `${method} async ${key}`).toBe(true);
      // The chunking of a large problem does not depend on the thread count either.
      const one = addon.sinkhornSync(p, { ...o, threads: 1 });
      for (const key of fields) expect(sameBits(one[key], s[key]), `${method} threads=1 ${key}`).toBe(true);
    }
  });

  it('async calls copy their inputs: mutating them after the call does not change the result', async () => {
    const p = randomCosts(141, [[50, 60]]);
    const o = opts({ eps: 0.05, tol: 0, maxIter: 100 });
    const expected = addon.sinkhornSync(p, o);
    const cost = p.cost.slice();
    const pending = addon.sinkhorn({ ...p, cost }, o);
    cost.fill(Number.NaN);
    const got = await pending;
    expect(got.plan).toEqual(expected.plan);
  });

  it('many concurrent async calls (mixed operations and sizes) each equal their sync result', async () => {
    const jobs = Array.from({ length: 12 }, (_, q) => {
      const shapes: Shape[] = q % 3 === 0 ? [[300, 200]] : [[5 + q, 9], [17, 3 + q], [1, 1]];
      const p = randomCosts(200 + q, shapes);
      const o = opts({ method: METHODS[q % 3], eps: 0.05 + 0.01 * q, maxIter: 150, threads: q % 2 });
      return { p, o, expected: addon.sinkhornSync(p, o) };
    });
    const results = await Promise.all(jobs.map(({ p, o }) => addon.sinkhorn(p, o)));
    results.forEach((r, q) => {
      expect(sameBits(r.plan, jobs[q].expected.plan), `job ${q} plan`).toBe(true);
      expect(sameBits(r.value, jobs[q].expected.value), `job ${q} value`).toBe(true);
    });
  });
});
