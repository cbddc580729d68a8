/**
 * The fused OT-loss step: its gradient is checked by finite differences (of <P, C(S)> with P fixed,
 * and of the converged entropic value itself — the envelope theorem), for every cost kind.
 */
import { describe, expect, it } from 'vitest';
import { addon, opts, rng, sameBits, type Shape } from './helpers.js';

type Kind = 'cosine' | 'sqeuclidean' | 'dot';
const SHAPES: Shape[] = [[5, 7], [1, 4], [6, 1], [9, 8]];
const DIM = 6;

function embeddings(seed: number) {
  const r = rng(seed);
  const rows = Int32Array.from(SHAPES.map((s) => s[0]));
  const cols = Int32Array.from(SHAPES.map((s) => s[1]));
  const nt = SHAPES.reduce((a, s) => a + s[0], 0) * DIM;
  const ns = SHAPES.reduce((a, s) => a + s[1], 0) * DIM;
  const teacher = Float32Array.from({ length: nt }, () => r() * 2 - 1);
  const student = Float32Array.from({ length: ns }, () => r() * 2 - 1);
  return { rows, cols, dim: DIM, teacher, student };
}

/** C_ij in double, the formulas of src/ot/types.ts (cosine: each norm clamped at 1e-8). */
function costOf(kind: Kind, t: ArrayLike<number>, to: number, s: ArrayLike<number>, so: number): number {
  let dot = 0;
  let nt = 0;
  let ns = 0;
  let sq = 0;
  for (let d = 0; d < DIM; d++) {
    const a = t[to + d];
    const b = s[so + d];
    dot += a * b;
    nt += a * a;
    ns += b * b;
    sq += (a - b) * (a - b);
  }
  if (kind === 'cosine') return 1 - dot / (Math.max(Math.sqrt(nt), 1e-8) * Math.max(Math.sqrt(ns), 1e-8));
  if (kind === 'sqeuclidean') return sq;
  return -dot;
}

/** Σ_k <P_k, C_k(S)> with the plan held fixed. */
function transport(kind: Kind, plan: Float32Array, t: ArrayLike<number>, s: ArrayLike<number>): number {
  let total = 0;
  let ro = 0;
  let co = 0;
  let bo = 0;
  SHAPES.forEach(([n, m]) => {
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) total += plan[bo + i * m + j] * costOf(kind, t, (ro + i) * DIM, s, (co + j) * DIM);
    }
    ro += n; co += m; bo += n * m;
  });
  return total;
}

function direction(seed: number, length: number): Float64Array {
  const r = rng(seed);
  return Float64Array.from({ length }, () => r() * 2 - 1);
}

function inner(g: ArrayLike<number>, d: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < g.length; i++) s += g[i] * d[i];
  return s;
}

function shifted(s: Float32Array, d: Float64Array, h: number): Float64Array {
  return Float64Array.from(s, (v, i) => v + h * d[i]);
}

const EPS: Record<Kind, number> = { cosine: 0.1, sqeuclidean: 1, dot: 0.3 };

describe('native otLoss gradient', () => {
  for (const kind of ['cosine', 'sqeuclidean', 'dot'] as const) {
    it(`${kind}: grad = d<P, C(S)>/dS with P fixed (central differences in double)`, () => {
      const input = embeddings(7);
      const out = addon.otLossSync(input, opts({ kind, eps: EPS[kind], returnPlan: true }));
      const plan = out.plan!;
      const d = direction(8, input.student.length);
      const h = 1e-5;
      const fd = (transport(kind, plan, input.teacher, shifted(input.student, d, h)) -
        transport(kind, plan, input.teacher, shifted(input.student, d, -h))) / (2 * h);
      const g = inner(out.grad, d);
      expect(Math.abs(fd - g)).toBeLessThan(1e-4 * Math.max(1, Math.abs(g)));
      // <P, C> as reported is the same transport cost.
      let sum = 0;
      for (const c of out.cost) sum += c;
      expect(sum).toBeCloseTo(transport(kind, plan, input.teacher, input.student), 5);
    });

    it(`${kind}: grad = d value/dS at convergence (envelope theorem, value re-solved per step)`, () => {
      const input = embeddings(17);
      const o = opts({ kind, eps: EPS[kind], tol: 1e-6, maxIter: 20000, checkEvery: 5, method: 'log' });
      const out = addon.otLossSync(input, o);
      expect(Array.from(out.converged)).toEqual(SHAPES.map(() => 1));
      const d = direction(18, input.student.length);
      const h = 1e-2;
      const total = (x: ArrayLike<number>) => Array.from(x).reduce((a, b) => a + b, 0);
      const valueAt = (step: number) => total(addon.otLossSync({ ...input, student: shifted(input.student, d, step) }, o).value);
      const fd = (valueAt(h) - valueAt(-h)) / (2 * h);
      const g = inner(out.grad, d);
      // Central differences in h = 1e-2 are accurate to O(h²) here; the float32 solve adds ~1e-5.
      expect(Math.abs(fd - g)).toBeLessThan(2e-3 * Math.max(1, Math.abs(g)));
      // The same check fails for a wrong gradient (e.g. twice the right one): the test can fail.
      expect(Math.abs(fd - 2 * g)).toBeGreaterThan(1e-2 * Math.abs(g));
    });
  }

  it('cosine: a zero student vector uses the clamped norm and gives a finite gradient', () => {
    const input = embeddings(27);
    input.student.fill(0, 0, DIM);
    const out = addon.otLossSync(input, opts({ kind: 'cosine' }));
    for (const v of out.grad) expect(Number.isFinite(v)).toBe(true);
  });

  it('async otLoss and costMatrices equal their sync versions bitwise', async () => {
    const input = embeddings(37);
    const o = opts({ kind: 'cosine', returnPlan: true });
    const s = addon.otLossSync(input, o);
    const a = await addon.otLoss(input, o);
    for (const key of ['cost', 'value', 'grad', 'iterations', 'error', 'converged', 'plan'] as const) {
      expect(sameBits(a[key]!, s[key]!), key).toBe(true);
    }
    const pairs = { rows: input.rows, cols: input.cols, dim: DIM, x: input.teacher, y: input.student };
    expect(sameBits(await addon.costMatrices(pairs, o), addon.costMatricesSync(pairs, o))).toBe(true);
  });

  it('otLoss uses exactly the cost of costMatrices and the plan of sinkhorn', () => {
    const input = embeddings(47);
    const o = opts({ kind: 'sqeuclidean', eps: 1, returnPlan: true });
    const loss = addon.otLossSync(input, o);
    const cost = addon.costMatricesSync({ rows: input.rows, cols: input.cols, dim: DIM, x: input.teacher, y: input.student }, o);
    const sk = addon.sinkhornSync({ rows: input.rows, cols: input.cols, cost }, o);
    expect(sameBits(loss.plan!, sk.plan)).toBe(true);
    expect(sameBits(loss.value, sk.value)).toBe(true);
  });
});

describe('native cost matrices', () => {
  it('cosine: 0 on identical directions, 2 on opposite ones, scale invariant', () => {
    const x = Float32Array.of(1, 2, 3, -1, 0, 0.5);
    const y = Float32Array.of(2, 4, 6, -3, -6, -9, 2, 0, -1);
    const c = addon.costMatricesSync({ rows: Int32Array.of(2), cols: Int32Array.of(3), dim: 3, x, y }, opts({ kind: 'cosine' }));
    expect(c[0]).toBeCloseTo(0, 6);
    expect(c[1]).toBeCloseTo(2, 6);
    expect(c[3 + 2]).toBeCloseTo(2, 6);
  });

  it('sqeuclidean and dot on a hand example; ragged blocks are laid out row-major per problem', () => {
    const x = Float32Array.of(1, 0, 0, 1, 1, 1);
    const y = Float32Array.of(1, 1, 2, 0, 0, 0);
    const rows = Int32Array.of(1, 2);
    const cols = Int32Array.of(2, 1);
    const sq = addon.costMatricesSync({ rows, cols, dim: 2, x, y }, opts({ kind: 'sqeuclidean' }));
    expect(Array.from(sq)).toEqual([1, 1, 1, 2]);
    const dot = addon.costMatricesSync({ rows, cols, dim: 2, x, y }, opts({ kind: 'dot' }));
    expect(Array.from(dot).map((v) => v + 0)).toEqual([-1, -2, 0, 0]);
  });
});
