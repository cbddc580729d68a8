// Property-based tests of the OT API boundary (fast-check), through the public entry points on every
// backend this machine has: random valid ragged batches give well-formed results that satisfy the
// marginals and agree with each problem solved alone; random invalid input gives a TypeError or
// RangeError that names the argument — never a crash, never a NaN passed on. (The native addon and the
// TypeScript checks word some messages differently; the properties require the argument's name.)
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backendInfo, costMatricesSync, otLossStepSync, sinkhornSync, sinkhorn } from '../../src/index.js';
import type { SinkhornProblem } from '../../src/ot/types.js';

const native = backendInfo().attempts.find((a) => a.backend === 'cpu')?.ok === true;
if (!native && process.env.CI) throw new Error('CI must test the native cpu backend: the addon did not load');
const backends = native ? (['js', 'cpu'] as const) : (['js'] as const);
const RUNS = { numRuns: 60 };

/** A ragged batch with optional marginals of equal mass per problem. */
const problem = fc.array(fc.tuple(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 1, max: 6 })), { minLength: 1, maxLength: 4 }).chain((shapes) => {
  const cells = shapes.reduce((s, [n, m]) => s + n * m, 0);
  const rowsTotal = shapes.reduce((s, [n]) => s + n, 0);
  const colsTotal = shapes.reduce((s, [, m]) => s + m, 0);
  const weight = fc.integer({ min: 1, max: 100 });
  return fc.record({
    shapes: fc.constant(shapes),
    cost: fc.array(fc.integer({ min: 0, max: 1000 }).map((k) => k / 1000), { minLength: cells, maxLength: cells }),
    marginals: fc.option(fc.tuple(fc.array(weight, { minLength: rowsTotal, maxLength: rowsTotal }), fc.array(weight, { minLength: colsTotal, maxLength: colsTotal })), { nil: undefined }),
  });
}).map(({ shapes, cost, marginals }): SinkhornProblem => {
  const p: SinkhornProblem = { rows: Int32Array.from(shapes.map((s) => s[0])), cols: Int32Array.from(shapes.map((s) => s[1])), cost: Float32Array.from(cost) };
  if (marginals) {
    // Normalise each problem's a and b to mass 1.
    const norm = (w: number[], sizes: Int32Array) => {
      const out = new Float32Array(w.length);
      let o = 0;
      for (const n of sizes) {
        const s = w.slice(o, o + n).reduce((x, y) => x + y, 0);
        for (let i = 0; i < n; i++) out[o + i] = w[o + i] / s;
        o += n;
      }
      return out;
    };
    p.a = norm(marginals[0], p.rows);
    p.b = norm(marginals[1], p.cols);
  }
  return p;
});
const eps = fc.integer({ min: 5, max: 100 }).map((k) => k / 100);
const method = fc.constantFrom('auto', 'log', 'scaling' as const);

function uniform(sizes: Int32Array): Float32Array {
  const out: number[] = [];
  for (const n of sizes) for (let i = 0; i < n; i++) out.push(1 / n);
  return Float32Array.from(out);
}

function problemK(p: SinkhornProblem, k: number): SinkhornProblem {
  let c = 0;
  let r = 0;
  let s = 0;
  for (let l = 0; l < k; l++) { c += p.rows[l] * p.cols[l]; r += p.rows[l]; s += p.cols[l]; }
  const n = p.rows[k];
  const m = p.cols[k];
  const one: SinkhornProblem = { rows: Int32Array.of(n), cols: Int32Array.of(m), cost: p.cost.slice(c, c + n * m) };
  if (p.a) one.a = p.a.slice(r, r + n);
  if (p.b) one.b = p.b.slice(s, s + m);
  return one;
}

describe.each(backends)('sinkhorn on the %s backend', (backend) => {
  it('valid batches: well-formed results, marginals met when converged, <P,C> reported, each problem as if alone', () => {
    fc.assert(fc.property(problem, eps, method, (p, e, m) => {
      const opts = { backend, eps: e, method: m, tol: 1e-5, maxIter: 3000 };
      const r = sinkhornSync(p, opts);
      const B = p.rows.length;
      const cells = p.cost.length;
      expect([r.plan.length, r.f.length, r.g.length]).toEqual([cells, p.rows.reduce((x, y) => x + y, 0), p.cols.reduce((x, y) => x + y, 0)]);
      for (const arr of [r.cost, r.value, r.iterations, r.error, r.converged]) expect(arr.length).toBe(B);
      for (const x of r.plan) { expect(Number.isFinite(x)).toBe(true); expect(x).toBeGreaterThanOrEqual(0); }
      const a = p.a ?? uniform(p.rows);
      const b = p.b ?? uniform(p.cols);
      let c0 = 0; let r0 = 0; let s0 = 0;
      for (let k = 0; k < B; k++) {
        const n = p.rows[k]; const mm = p.cols[k];
        let dot = 0;
        let err = 0;
        for (let i = 0; i < n; i++) {
          let row = 0;
          for (let j = 0; j < mm; j++) { row += r.plan[c0 + i * mm + j]; dot += r.plan[c0 + i * mm + j] * p.cost[c0 + i * mm + j]; }
          err += Math.abs(row - a[r0 + i]);
        }
        for (let j = 0; j < mm; j++) {
          let col = 0;
          for (let i = 0; i < n; i++) col += r.plan[c0 + i * mm + j];
          err += Math.abs(col - b[s0 + j]);
        }
        expect(r.iterations[k]).toBeGreaterThanOrEqual(1);
        expect(Math.abs(r.cost[k] - dot)).toBeLessThan(1e-4);
        if (r.converged[k]) expect(err).toBeLessThan(1e-3);
        // The ragged layout is respected: problem k solved alone gives the same plan.
        const alone = sinkhornSync(problemK(p, k), opts);
        for (let i = 0; i < n * mm; i++) expect(Math.abs(alone.plan[i] - r.plan[c0 + i])).toBeLessThan(1e-5);
        c0 += n * mm; r0 += n; s0 += mm;
      }
    }), RUNS);
  });

  // One invalid thing at a time, on top of a valid problem.
  type Break = { label: RegExp; apply: (p: SinkhornProblem, o: Record<string, unknown>) => void };
  const breaks: fc.Arbitrary<Break> = fc.oneof(
    fc.integer({ min: -3, max: 0 }).map((v): Break => ({ label: /rows\[0\]/, apply: (p) => { p.rows = Int32Array.from(p.rows, (x, i) => (i === 0 ? v : x)); } })),
    fc.constant<Break>({ label: /\bcols\b/, apply: (p) => { p.cols = Int32Array.from([...p.cols, 1]); } }),
    fc.integer({ min: 1, max: 3 }).map((d): Break => ({ label: /\bcost\b.*(length|entries)/, apply: (p) => { p.cost = p.cost.slice(0, p.cost.length - d); } })),
    fc.constantFrom(NaN, Infinity, -Infinity).map((v): Break => ({ label: /cost of problem \d+ has a non-finite/, apply: (p) => { p.cost = Float32Array.from(p.cost, (x, i) => (i === p.cost.length - 1 ? v : x)); } })),
    fc.constantFrom(-0.5, NaN).map((v): Break => ({ label: /\ba (of problem 0 has a (negative|non-finite)|and b of problem 0 have different total mass)/, apply: (p) => { const a = uniform(p.rows); a[0] = v; p.a = a; } })),
    fc.constant<Break>({ label: /\bb\b.*(length|entries)/, apply: (p) => { p.b = uniform(p.cols).slice(1); } }),
    fc.constant<Break>({ label: /a (of problem 0 sums to zero|and b of problem 0 have different total mass \(0 vs)/, apply: (p) => { const a = uniform(p.rows); a.fill(0, 0, p.rows[0]); p.a = a; } }),
    fc.constant<Break>({ label: /rows must be an Int32Array/, apply: (p) => { p.rows = Array.from(p.rows) as never; } }),
    fc.constant<Break>({ label: /\bcost\b.*Float32Array/, apply: (p) => { p.cost = Array.from(p.cost) as never; } }),
    fc.constantFrom(0, -1, NaN, Infinity).map((v): Break => ({ label: /options\.eps/, apply: (_p, o) => { o.eps = v; } })),
    fc.constantFrom(0, -2, 1.5, NaN).map((v): Break => ({ label: /options\.maxIter/, apply: (_p, o) => { o.maxIter = v; } })),
    fc.constantFrom(-1e-9, NaN).map((v): Break => ({ label: /options\.tol/, apply: (_p, o) => { o.tol = v; } })),
    fc.string().filter((s) => !['auto', 'log', 'scaling'].includes(s)).map((v): Break => ({ label: /options\.method must be one of/, apply: (_p, o) => { o.method = v; } })),
  );

  it('invalid input: a TypeError or RangeError naming the argument, sync and async', async () => {
    await fc.assert(fc.asyncProperty(problem, breaks, async (valid, brk) => {
      const p: SinkhornProblem = { ...valid };
      const o: Record<string, unknown> = { backend, eps: 0.1, maxIter: 50 };
      brk.apply(p, o);
      for (const call of [async () => sinkhornSync(p, o), () => sinkhorn(p, o)]) {
        const err = await call().then(() => null, (e: unknown) => e);
        expect(err instanceof TypeError || err instanceof RangeError, `${String(err)} for ${brk.label}`).toBe(true);
        expect((err as Error).message).toMatch(brk.label);
      }
    }), RUNS);
  });
});

describe.each(backends)('cost matrices and the OT loss step on the %s backend', (backend) => {
  const embeddings = fc.record({
    shapes: fc.array(fc.tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 3 }),
    dim: fc.integer({ min: 1, max: 6 }),
    seed: fc.integer({ min: 1, max: 1000 }),
  }).map(({ shapes, dim, seed }) => {
    let s = seed;
    const next = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    const rows = Int32Array.from(shapes.map((x) => x[0]));
    const cols = Int32Array.from(shapes.map((x) => x[1]));
    const nx = rows.reduce((a, b) => a + b, 0) * dim;
    const ny = cols.reduce((a, b) => a + b, 0) * dim;
    return { rows, cols, dim, x: Float32Array.from({ length: nx }, next), y: Float32Array.from({ length: ny }, next) };
  });

  it('cosine costs lie in [0, 2]; the loss step returns a finite gradient shaped like the student', () => {
    fc.assert(fc.property(embeddings, (e) => {
      const c = costMatricesSync(e, { backend, kind: 'cosine' });
      expect(c.length).toBe(e.rows.reduce((s, n, k) => s + n * e.cols[k], 0));
      for (const v of c) { expect(v).toBeGreaterThanOrEqual(-1e-5); expect(v).toBeLessThanOrEqual(2 + 1e-5); }
      const r = otLossStepSync({ rows: e.rows, cols: e.cols, dim: e.dim, teacher: e.x, student: e.y }, { backend, eps: 0.1, maxIter: 500 });
      expect(r.grad.length).toBe(e.y.length);
      expect([...r.grad].every(Number.isFinite)).toBe(true);
      expect([...r.cost].every(Number.isFinite)).toBe(true);
    }), RUNS);
  });

  it('a non-finite embedding or a wrong dim is a named error', () => {
    fc.assert(fc.property(embeddings, fc.constantFrom(NaN, Infinity), fc.boolean(), (e, v, teacherSide) => {
      const x = Float32Array.from(e.x);
      const y = Float32Array.from(e.y);
      (teacherSide ? x : y)[0] = v;
      const input = { rows: e.rows, cols: e.cols, dim: e.dim, teacher: x, student: y };
      expect(() => otLossStepSync(input, { backend })).toThrow(new RegExp(`${teacherSide ? 'teacher' : 'student'} of problem 0 has a non-finite`));
      expect(() => otLossStepSync({ ...input, dim: e.dim + 1 }, { backend })).toThrow(/\b(teacher|student)\b.*(length|entries)/);
    }), RUNS);
  });
});
