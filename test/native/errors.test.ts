/**
 * Every bad argument is rejected at the boundary with a TypeError/RangeError whose message names the
 * argument and, where it applies, the problem index — never a crash, a hang or a silent NaN.
 * Async variants reject their promise with the same error.
 */
import { describe, expect, it } from 'vitest';
import type { NativeOptions } from '../../src/ot/native-addon.js';
import { addon, opts } from './helpers.js';

type ErrorClass = typeof TypeError | typeof RangeError;

function good() {
  return {
    rows: Int32Array.of(2, 3),
    cols: Int32Array.of(3, 1),
    cost: Float32Array.from({ length: 2 * 3 + 3 * 1 }, (_, i) => (i % 4) / 4),
  };
}

function goodPairs() {
  return { rows: Int32Array.of(2, 1), cols: Int32Array.of(1, 3), dim: 2, x: new Float32Array(6).fill(0.5), y: Float32Array.of(1, 0, 0, 1, 1, 1, -1, 2) };
}

function goodLoss() {
  const p = goodPairs();
  return { rows: p.rows, cols: p.cols, dim: p.dim, teacher: p.x, student: p.y };
}

async function expectBoth(
  sync: () => unknown,
  async: () => Promise<unknown>,
  cls: ErrorClass,
  ...patterns: RegExp[]
) {
  let thrown: unknown;
  try {
    sync();
  } catch (err) {
    thrown = err;
  }
  expect(thrown, 'sync call should throw').toBeInstanceOf(cls);
  for (const p of patterns) expect((thrown as Error).message).toMatch(p);
  let rejected: unknown;
  try {
    await async();
  } catch (err) {
    rejected = err;
  }
  expect(rejected, 'async call should reject').toBeInstanceOf(cls);
  expect((rejected as Error).message).toBe((thrown as Error).message);
}

const sinkhornCase = (problem: unknown, o: unknown, cls: ErrorClass, ...patterns: RegExp[]) =>
  expectBoth(
    () => addon.sinkhornSync(problem as never, o as NativeOptions),
    () => addon.sinkhorn(problem as never, o as NativeOptions),
    cls,
    ...patterns,
  );
const costCase = (pairs: unknown, o: unknown, cls: ErrorClass, ...patterns: RegExp[]) =>
  expectBoth(
    () => addon.costMatricesSync(pairs as never, o as NativeOptions),
    () => addon.costMatrices(pairs as never, o as NativeOptions),
    cls,
    ...patterns,
  );
const lossCase = (input: unknown, o: unknown, cls: ErrorClass, ...patterns: RegExp[]) =>
  expectBoth(
    () => addon.otLossSync(input as never, o as NativeOptions),
    () => addon.otLoss(input as never, o as NativeOptions),
    cls,
    ...patterns,
  );

describe('native addon: argument errors (sinkhorn)', () => {
  it('non-object problem or options', async () => {
    await sinkhornCase(null, opts(), TypeError, /problem must be an object/);
    await sinkhornCase(good(), 'fast', TypeError, /options must be an object/);
  });

  it('wrong dtypes', async () => {
    await sinkhornCase({ ...good(), rows: Float32Array.of(2, 3) }, opts(), TypeError, /rows must be an Int32Array, got Float32Array/);
    await sinkhornCase({ ...good(), cols: [3, 1] }, opts(), TypeError, /cols must be an Int32Array, got Array/);
    await sinkhornCase({ ...good(), cost: Int32Array.of(1) }, opts(), TypeError, /cost must be a Float32Array or Float64Array, got Int32Array/);
    await sinkhornCase({ ...good(), cost: undefined }, opts(), TypeError, /cost must be .* got undefined/);
    await sinkhornCase({ ...good(), a: Uint8Array.of(1, 1, 1, 1, 1) }, opts(), TypeError, /^a must be a Float32Array or Float64Array, got Uint8Array/);
    await sinkhornCase({ ...good(), b: [0.5, 0.5] }, opts(), TypeError, /^b must be a Float32Array or Float64Array, got Array/);
  });

  it('lengths that do not match the shapes', async () => {
    await sinkhornCase({ ...good(), cols: Int32Array.of(3) }, opts(), RangeError, /rows and cols must have the same length/);
    await sinkhornCase({ ...good(), cost: new Float32Array(8) }, opts(), RangeError, /cost has length 8, expected .* 9/);
    await sinkhornCase({ ...good(), a: new Float32Array(4).fill(0.5) }, opts(), RangeError, /^a has length 4, expected .* 5/);
    await sinkhornCase({ ...good(), b: new Float32Array(5).fill(0.5) }, opts(), RangeError, /^b has length 5, expected .* 4/);
  });

  it('empty batches and empty problems', async () => {
    await sinkhornCase({ rows: new Int32Array(0), cols: new Int32Array(0), cost: new Float32Array(0) }, opts(), RangeError, /batch size B = 0/);
    await sinkhornCase({ ...good(), rows: Int32Array.of(2, 0) }, opts(), RangeError, /rows\[1\] must be >= 1 \(problem 1 is empty\)/);
    await sinkhornCase({ ...good(), cols: Int32Array.of(-3, 1) }, opts(), RangeError, /cols\[0\] must be >= 1 \(problem 0/);
  });

  it('absurd sizes are a RangeError, not a crash', async () => {
    await sinkhornCase({ rows: Int32Array.of(100000, 100000), cols: Int32Array.of(100000, 1), cost: new Float32Array(4) }, opts(), RangeError, /problem 0/, /more than the limit/);
    await sinkhornCase({ rows: Int32Array.of(2147483647, 2147483647), cols: Int32Array.of(1, 1), cost: new Float32Array(4) }, opts(), RangeError, /cost has length 4/);
  });

  it('NaN / Infinity in costs and marginals name the problem', async () => {
    const p = good();
    p.cost[2 * 3 + 1] = Number.NaN; // problem 1 (3×1), row 1, col 0
    await sinkhornCase(p, opts(), RangeError, /cost of problem 1 has a non-finite entry \(nan\) at row 1, col 0/);
    const q = good();
    q.cost[1] = Number.POSITIVE_INFINITY;
    await sinkhornCase(q, opts(), RangeError, /cost of problem 0 .*non-finite.*\binf\b/);
    // A Float64 value beyond float range is non-finite after conversion.
    await sinkhornCase({ ...good(), cost: Float64Array.from(good().cost, (v, i) => (i === 7 ? 1e300 : v)) }, opts(), RangeError, /cost of problem 1/);
    await sinkhornCase({ ...good(), a: Float32Array.of(0.5, 0.5, 0.2, Number.NaN, 0.3) }, opts(), RangeError, /^a of problem 1 has a non-finite entry .* at index 1/);
    await sinkhornCase({ ...good(), b: Float32Array.of(0.2, 0.3, Number.NEGATIVE_INFINITY, 1) }, opts(), RangeError, /^b of problem 0 has a non-finite entry/);
  });

  it('a large async copy (split over threads) finds the first bad entry in any part', async () => {
    // 1500 × 1500 = 2.25M entries: copied in chunks on the pool; the bad entries lie in both halves.
    const n = 1500;
    const cost = new Float32Array(n * n).fill(0.5);
    cost[2_000_000] = Number.NaN; // row 1333, col 500
    const p = { rows: Int32Array.of(n), cols: Int32Array.of(n), cost };
    await expect(addon.sinkhorn(p, opts())).rejects.toThrow(/^cost of problem 0 has a non-finite entry \(nan\) at row 1333, col 500$/);
    cost[700_000] = Number.NEGATIVE_INFINITY; // row 466, col 1000: now the first one
    await expect(addon.sinkhorn(p, opts())).rejects.toThrow(/^cost of problem 0 has a non-finite entry \(-inf\) at row 466, col 1000$/);
    expect(() => addon.sinkhornSync(p, opts())).toThrow(/^cost of problem 0 has a non-finite entry \(-inf\) at row 466, col 1000$/);
    const f64 = { ...p, cost: Float64Array.from(cost, (v, i) => (i === 1_900_000 ? 1e300 : v)) };
    await expect(addon.sinkhorn(f64, opts())).rejects.toThrow(/at row 466, col 1000$/);
  });

  it('negative entries and zero-sum marginals (per problem)', async () => {
    await sinkhornCase({ ...good(), a: Float32Array.of(0.5, 0.5, 0.6, -0.1, 0.5) }, opts(), RangeError, /^a of problem 1 has a negative entry \(-0\.1\d*\) at index 1/);
    await sinkhornCase({ ...good(), b: Float32Array.of(0.5, 0.5, 0, 0) }, opts({ rho: 1 }), RangeError, /^b of problem 1 sums to 0/);
    await sinkhornCase({ ...good(), a: Float32Array.of(0, 0, 1 / 3, 1 / 3, 1 / 3) }, opts(), RangeError, /^a of problem 0 sums to 0/);
  });

  it('balanced problems with different masses', async () => {
    await sinkhornCase({ ...good(), a: Float32Array.of(0.5, 0.5, 1, 1, 1) }, opts(), RangeError, /a and b of problem 1 have different total mass/);
    // Unbalanced problems accept them.
    const out = addon.sinkhornSync({ ...good(), a: Float32Array.of(0.5, 0.5, 1, 1, 1) }, opts({ rho: 1 }));
    expect(Array.from(out.value).every(Number.isFinite)).toBe(true);
  });

  it('bad options', async () => {
    const p = good();
    for (const eps of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await sinkhornCase(p, opts({ eps }), RangeError, /options\.eps must be a finite number > 0/);
    }
    await sinkhornCase(p, { ...opts(), eps: '0.1' }, TypeError, /options\.eps must be a number, got string/);
    await sinkhornCase(p, opts({ maxIter: 0 }), RangeError, /options\.maxIter must be an integer in \[1,/);
    await sinkhornCase(p, opts({ maxIter: 2.5 }), TypeError, /options\.maxIter must be an integer/);
    await sinkhornCase(p, opts({ checkEvery: 0 }), RangeError, /options\.checkEvery/);
    await sinkhornCase(p, opts({ tol: -1e-9 }), RangeError, /options\.tol must be a finite number >= 0/);
    await sinkhornCase(p, opts({ method: 'sinkhorn' as never }), RangeError, /options\.method must be one of 'auto', 'log', 'scaling', got 'sinkhorn'/);
    await sinkhornCase(p, opts({ errorNorm: 'linf' as never }), RangeError, /options\.errorNorm/);
    await sinkhornCase(p, opts({ rho: 0 }), RangeError, /options\.rho must be > 0/);
    await sinkhornCase(p, opts({ eps: 0.1, epsInit: 0.05 }), RangeError, /options\.epsInit must be a finite number >= options\.eps/);
    await sinkhornCase(p, opts({ epsInit: 1, epsDecay: 1.5 }), RangeError, /options\.epsDecay must be in \(0, 1\]/);
    await sinkhornCase(p, opts({ threads: -1 }), RangeError, /options\.threads/);
    await sinkhornCase(p, { ...opts(), returnPlan: 1 }, TypeError, /options\.returnPlan must be a boolean/);
  });
});

describe('native addon: argument errors (costMatrices, otLoss)', () => {
  it('costMatrices', async () => {
    await costCase({ ...goodPairs(), x: new Int32Array(6) }, opts(), TypeError, /^x must be a Float32Array or Float64Array, got Int32Array/);
    await costCase({ ...goodPairs(), dim: 0 }, opts(), RangeError, /dim must be an integer >= 1, got 0/);
    await costCase({ ...goodPairs(), dim: 1.5 }, opts(), RangeError, /dim must be an integer >= 1/);
    await costCase({ ...goodPairs(), dim: '2' }, opts(), TypeError, /dim must be a number/);
    await costCase({ ...goodPairs(), y: new Float32Array(7) }, opts(), RangeError, /^y has length 7, expected .*= 8/);
    const bad = goodPairs();
    bad.y[2 * 2 + 1] = Number.NaN; // problem 1, token 1, component 1
    await costCase(bad, opts(), RangeError, /^y of problem 1 has a non-finite entry \(nan\) in token 1, component 1/);
    await costCase(goodPairs(), opts({ kind: 'euclid' as never }), RangeError, /options\.kind must be one of 'cosine', 'sqeuclidean', 'dot', got 'euclid'/);
    await costCase({ ...goodPairs(), rows: Int32Array.of(2, 0) }, opts(), RangeError, /rows\[1\] must be >= 1 \(problem 1/);
    // The output would hold 1e10 floats: refused before allocating.
    await costCase({ rows: Int32Array.of(100000), cols: Int32Array.of(100000), dim: 1, x: new Float32Array(100000), y: new Float32Array(100000) }, opts(), RangeError, /problem 0/);
  });

  it('otLoss', async () => {
    await lossCase({ ...goodLoss(), teacher: [1, 2] }, opts(), TypeError, /^teacher must be a Float32Array or Float64Array, got Array/);
    await lossCase({ ...goodLoss(), student: new Float32Array(3) }, opts(), RangeError, /^student has length 3/);
    const bad = goodLoss();
    bad.teacher[2 * 2] = Number.POSITIVE_INFINITY; // problem 1, token 0
    await lossCase(bad, opts(), RangeError, /^teacher of problem 1 has a non-finite entry \(inf\) in token 0/);
    await lossCase({ ...goodLoss(), dim: -2 }, opts(), RangeError, /dim must be an integer >= 1/);
    await lossCase({ ...goodLoss(), b: Float32Array.of(1, 1, -1, 0) }, opts(), RangeError, /^b of problem 1 has a negative entry/);
    await lossCase(goodLoss(), opts({ maxIter: -5 }), RangeError, /options\.maxIter/);
    await lossCase(goodLoss(), opts({ kind: 'l2' as never }), RangeError, /options\.kind/);
    await lossCase({ rows: new Int32Array(0), cols: new Int32Array(0), dim: 2, teacher: new Float32Array(0), student: new Float32Array(0) }, opts(), RangeError, /B = 0/);
  });

  it('non-convergence is reported, not thrown', async () => {
    const r = Float32Array.from({ length: 16 * 4 }, (_, i) => Math.sin(i * 1.7));
    const input = { rows: Int32Array.of(8), cols: Int32Array.of(8), dim: 4, teacher: r.slice(0, 32), student: r.slice(32) };
    const out = await addon.otLoss(input, opts({ eps: 0.001, maxIter: 1, tol: 1e-12 }));
    expect(Array.from(out.converged)).toEqual([0]);
    expect(Array.from(out.iterations)).toEqual([1]);
    expect(out.error[0]).toBeGreaterThan(1e-12);
    expect(Array.from(out.grad).every(Number.isFinite)).toBe(true);
  });
});
