/**
 * Native CPU addon = pure-TS float64 oracle (src/ot/reference) to 1e-5, relative to the largest
 * magnitude of each output, on random ragged batches (incl. 1×1, 1×m, n×1). tol = 0 fixes the
 * iteration count so both sides run exactly the same iterations.
 */
import { describe, expect, it } from 'vitest';
import type { NativeOptions } from '../../src/ot/native-addon.js';
import { costMatricesReference } from '../../src/ot/reference/cost.js';
import { otLossReference } from '../../src/ot/reference/loss.js';
import { sinkhornReference } from '../../src/ot/reference/sinkhorn.js';
import type { SinkhornResult } from '../../src/ot/types.js';
import { addon, maxRelDiff, opts, randomCosts, randomEmbeddings, randomMarginals, type Shape } from './helpers.js';

const SHAPES: Shape[] = [[1, 1], [1, 9], [8, 1], [5, 7], [16, 16], [23, 11], [3, 40]];
const TOL = 1e-5;

function expectClose(native: SinkhornResult, ref: SinkhornResult, label: string) {
  expect(Array.from(native.iterations), `${label} iterations`).toEqual(Array.from(ref.iterations));
  expect(Array.from(native.converged), `${label} converged`).toEqual(Array.from(ref.converged));
  for (const key of ['plan', 'f', 'g', 'cost', 'value'] as const) {
    expect(maxRelDiff(native[key], ref[key]), `${label} ${key}`).toBeLessThan(TOL);
  }
}

// Per-problem comparison of the scalar outputs (one large value must not hide a small one).
function expectPerProblem(native: ArrayLike<number>, ref: ArrayLike<number>, label: string) {
  for (let k = 0; k < ref.length; k++) expect(maxRelDiff([native[k]], [ref[k]]), `${label}[${k}]`).toBeLessThan(TOL);
}

describe('native sinkhorn = reference', () => {
  const p = randomCosts(1001, SHAPES);
  const a = randomMarginals(1002, p.rows);
  const b = randomMarginals(1003, p.cols);

  for (const method of ['log', 'scaling', 'auto'] as const) {
    it(`${method}, uniform marginals`, () => {
      const o = opts({ method, eps: 0.1, tol: 0, maxIter: 60 });
      const native = addon.sinkhornSync(p, o);
      const ref = sinkhornReference(p, o);
      expectClose(native, ref, method);
      expectPerProblem(native.value, ref.value, `${method} value`);
      // The marginal error of a float32 plan has a floor near 1e-7; compare it in absolute terms.
      for (let k = 0; k < SHAPES.length; k++) expect(Math.abs(native.error[k] - ref.error[k]), `error[${k}]`).toBeLessThan(1e-6);
    });

    it(`${method}, weighted marginals with masked tokens`, () => {
      const aa = a.slice();
      const bb = b.slice();
      // A zero weight inside problem 2 (a) and problem 3 (b); the mass moves to a neighbour so that
      // each problem stays balanced.
      aa[1 + 1 + 3] += aa[1 + 1 + 2];
      aa[1 + 1 + 2] = 0;
      bb[1 + 9 + 1 + 4] += bb[1 + 9 + 1 + 3];
      bb[1 + 9 + 1 + 3] = 0;
      const o = opts({ method, eps: 0.05, tol: 0, maxIter: 80 });
      const native = addon.sinkhornSync({ ...p, a: aa, b: bb }, o);
      const ref = sinkhornReference({ ...p, a: aa, b: bb }, o);
      expectClose(native, ref, method);
    });

    it(`${method}, unbalanced (rho = 0.5)`, () => {
      const o = opts({ method, eps: 0.1, rho: 0.5, tol: 0, maxIter: 50 });
      const native = addon.sinkhornSync({ ...p, a, b }, o);
      const ref = sinkhornReference({ ...p, a, b }, o);
      expectClose(native, ref, method);
      expectPerProblem(native.value, ref.value, `${method} value`);
      // Unbalanced error is max|Δf| + max|Δg| of the last iteration: compare in absolute terms.
      for (let k = 0; k < SHAPES.length; k++) expect(Math.abs(native.error[k] - ref.error[k])).toBeLessThan(1e-5);
    });

    it(`${method}, eps schedule (1 → 0.05, decay 0.8)`, () => {
      const o = opts({ method, eps: 0.05, epsInit: 1, epsDecay: 0.8, tol: 0, maxIter: 40 });
      const native = addon.sinkhornSync({ ...p, a, b }, o);
      const ref = sinkhornReference({ ...p, a, b }, o);
      expectClose(native, ref, method);
    });
  }

  it('auto at small eps (fallback to the log domain) and l2 error norm', () => {
    const q = randomCosts(1004, [[12, 10], [1, 6], [30, 30]]);
    const o = opts({ method: 'auto', eps: 0.02, tol: 0, maxIter: 30, errorNorm: 'l2' });
    const native = addon.sinkhornSync(q, o);
    const ref = sinkhornReference(q, o);
    expect(Array.from(native.iterations)).toEqual(Array.from(ref.iterations));
    // Potentials in float32 at eps = 0.02: plan entries carry ~|f|/eps · 6e-8 relative error.
    for (const key of ['plan', 'f', 'g', 'cost', 'value'] as const) {
      expect(maxRelDiff(native[key], ref[key]), key).toBeLessThan(5e-5);
    }
    for (let k = 0; k < 3; k++) expect(Math.abs(native.error[k] - ref.error[k]), `error[${k}]`).toBeLessThan(1e-6);
  });

  it('auto and scaling at eps = 1e-3 (kernel re-absorptions, rectangular, weighted) match the oracle', () => {
    // 30×40 costs in [0, 2] with uneven row weights: the stabilised scaling of 'auto' re-absorbs
    // its iterates into the potentials several times within 100 iterations.
    const q = randomCosts(1005, [[30, 40], [7, 3]], 2);
    const qa = randomMarginals(1006, q.rows);
    const o = opts({ method: 'auto', eps: 1e-3, tol: 0, maxIter: 100 });
    const ref = sinkhornReference({ ...q, a: qa }, o);
    for (const method of ['auto', 'scaling', 'log'] as const) {
      const native = addon.sinkhornSync({ ...q, a: qa }, { ...o, method });
      // float32 log-domain potentials at eps = 1e-3 put ~|f|/eps · 6e-8 relative error on plan
      // entries (measured 1e-5 for log; 4e-6 scaling; 1e-7 auto), hence the looser plan bound.
      expect(maxRelDiff(native.plan, ref.plan), `${method} plan`).toBeLessThan(5e-5);
      expect(maxRelDiff(native.f, ref.f), `${method} f`).toBeLessThan(1e-5);
      expect(maxRelDiff(native.g, ref.g), `${method} g`).toBeLessThan(1e-5);
      for (let k = 0; k < 2; k++) expect(maxRelDiff([native.value[k]], [ref.value[k]]), `${method} value[${k}]`).toBeLessThan(5e-5);
    }
  });

  it('unbalanced with an eps schedule and a tolerance (auto and log)', () => {
    const o = opts({ eps: 0.05, epsInit: 0.8, epsDecay: 0.7, rho: 0.3, tol: 1e-5, checkEvery: 4, maxIter: 400 });
    const ref = sinkhornReference({ ...p, a, b }, o);
    for (const method of ['auto', 'log'] as const) {
      const native = addon.sinkhornSync({ ...p, a, b }, { ...o, method });
      expect(Array.from(native.converged), method).toEqual(Array.from(ref.converged));
      expect(Array.from(native.iterations), method).toEqual(Array.from(ref.iterations));
      for (const key of ['plan', 'f', 'g', 'value'] as const) expect(maxRelDiff(native[key], ref[key]), `${method} ${key}`).toBeLessThan(TOL);
    }
  });

  it('tall and wide blocks (long float sums) stay within 1e-5', () => {
    const q = randomCosts(1007, [[20000, 6], [5, 20000]]);
    const o = opts({ eps: 0.1, tol: 0, maxIter: 20 });
    const ref = sinkhornReference(q, o);
    for (const method of ['auto', 'log'] as const) {
      const native = addon.sinkhornSync(q, { ...o, method });
      for (const key of ['plan', 'f', 'g', 'value'] as const) expect(maxRelDiff(native[key], ref[key]), `${method} ${key}`).toBeLessThan(TOL);
    }
  });

  // Rows wider than 256 columns take the one-pass iterations: each chunk of rows gets its f update
  // and adds its terms of the g update into per-chunk column sums (with an online shift in the
  // first iteration, the previous column lse after), merged in chunk order. These blocks are split
  // into several chunks, so the merge, both shifts and their fallback (a schedule moves eps every
  // iteration) are compared with the oracle, for every method, balanced and unbalanced.
  const wide = randomCosts(1008, [[200, 700], [3, 300], [520, 257]], 1.5);
  const wideA = randomMarginals(1009, wide.rows);
  for (const method of ['log', 'scaling', 'auto'] as const) {
    for (const [label, extra] of [
      ['balanced', {}],
      ['unbalanced', { rho: 0.4 }],
      ['eps schedule', { epsInit: 2, epsDecay: 0.7 }],
    ] as const) {
      it(`wide blocks (one-pass iterations, several chunks), ${method}, ${label}`, () => {
        // 1 iteration: the online shift; 2: the previous lse as the shift; 30: the whole run (later
        // iterations contract early differences away, so the short runs are the sharp checks).
        for (const maxIter of [1, 2, 30]) {
          const o = opts({ method, eps: 0.05, tol: 0, maxIter, ...extra });
          const native = addon.sinkhornSync({ ...wide, a: wideA }, o);
          const ref = sinkhornReference({ ...wide, a: wideA }, o);
          expectClose(native, ref, `${method} ${label} ${maxIter} it`);
          for (let k = 0; k < 3; k++) expect(Math.abs(native.error[k] - ref.error[k]), `${maxIter} it error[${k}]`).toBeLessThan(1e-6);
        }
      });
    }
  }

  it('wide blocks, steep eps schedule (the previous column lse is no longer a safe shift)', () => {
    // eps 10 → 1 → 0.1 → 0.01: the column lse moves by ~100 per step, beyond the range in which a
    // shifted sum is trusted, so the one-pass g update redoes its columns with the exact shift.
    const o = opts({ method: 'log', eps: 0.01, epsInit: 10, epsDecay: 0.1, tol: 0, maxIter: 6 });
    const native = addon.sinkhornSync({ ...wide, a: wideA }, o);
    const ref = sinkhornReference({ ...wide, a: wideA }, o);
    // float32 potentials at eps = 0.01 and costs up to 1.5: ~1e-5 relative error on plan entries.
    for (const key of ['plan', 'f', 'g', 'value'] as const) expect(maxRelDiff(native[key], ref[key]), key).toBeLessThan(5e-5);
  });

  it('with a tolerance both stop at the same check and report convergence', () => {
    const o: NativeOptions = opts({ method: 'auto', eps: 0.1, tol: 1e-4, checkEvery: 3, maxIter: 3000 });
    const native = addon.sinkhornSync({ ...p, a, b }, o);
    const ref = sinkhornReference({ ...p, a, b }, o);
    expect(Array.from(native.converged)).toEqual(Array.from(ref.converged));
    expect(Array.from(native.iterations)).toEqual(Array.from(ref.iterations));
    for (const key of ['plan', 'value'] as const) expect(maxRelDiff(native[key], ref[key]), key).toBeLessThan(TOL);
  });
});

describe('native cost matrices = reference', () => {
  for (const kind of ['cosine', 'sqeuclidean', 'dot'] as const) {
    it(kind, () => {
      const e = randomEmbeddings(2001, SHAPES, 13);
      // One zero vector: cosine must use the clamped norm (cos = 0) rather than dividing by 0.
      e.x.fill(0, 13 * 3, 13 * 4);
      const native = addon.costMatricesSync(e, opts({ kind }));
      const ref = costMatricesReference(e, { kind });
      expect(native.length).toBe(ref.length);
      expect(maxRelDiff(native, ref)).toBeLessThan(TOL);
      const fromF64 = addon.costMatricesSync({ ...e, x: Float64Array.from(e.x), y: Float64Array.from(e.y) }, opts({ kind }));
      expect(maxRelDiff(fromF64, native)).toBe(0);
    });
  }
});

describe('native otLoss = reference', () => {
  for (const kind of ['cosine', 'sqeuclidean', 'dot'] as const) {
    for (const method of ['log', 'auto'] as const) {
      it(`${kind}, ${method}`, () => {
        const e = randomEmbeddings(3001, SHAPES, 8);
        const input = { rows: e.rows, cols: e.cols, dim: e.dim, teacher: e.x, student: e.y };
        // sqeuclidean costs of 8-d vectors in [−1, 1] reach ~10: a larger eps keeps it well scaled.
        const eps = kind === 'sqeuclidean' ? 1 : 0.1;
        const o = opts({ method, eps, tol: 0, maxIter: 50, kind, returnPlan: true });
        const native = addon.otLossSync(input, o);
        const ref = otLossReference(input, o);
        expect(Array.from(native.iterations)).toEqual(Array.from(ref.iterations));
        for (const key of ['cost', 'value', 'grad', 'plan'] as const) {
          expect(maxRelDiff(native[key]!, ref[key]!), key).toBeLessThan(TOL);
        }
        expectPerProblem(native.value, ref.value, 'value');
      });
    }
  }

  it('weighted tokens (a, b given), no plan returned by default', () => {
    const e = randomEmbeddings(3002, SHAPES, 5);
    const a = randomMarginals(3003, e.rows);
    const b = randomMarginals(3004, e.cols);
    const input = { rows: e.rows, cols: e.cols, dim: e.dim, teacher: e.x, student: e.y, a, b };
    const o = opts({ eps: 0.1, tol: 0, maxIter: 40, kind: 'cosine' });
    const native = addon.otLossSync(input, o);
    const ref = otLossReference(input, o);
    expect(native.plan).toBeUndefined();
    expect(maxRelDiff(native.grad, ref.grad)).toBeLessThan(TOL);
    expect(maxRelDiff(native.value, ref.value)).toBeLessThan(TOL);
  });
});
