import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { backendInfo, costMatrices, costMatricesSync, otLoss, otLossStep, otLossStepSync, prepareOtLoss, raggedTokens, sinkhorn, sinkhornSync } from '../../src/index.js';
import { otLossReference } from '../../src/ot/reference/loss.js';
import { lossOptions } from '../../src/ot/options.js';
import { randomBatch, randomEmbeddings } from '../helpers/ot.js';

await tf.setBackend('cpu');

describe('public OT API on the pure-TS backend', () => {
  const js = { backend: 'js' as const };

  it('sinkhorn and sinkhornSync agree and return every documented field', async () => {
    const p = randomBatch(1, [[3, 4], [2, 2]]);
    const a = await sinkhorn(p, { ...js, eps: 0.1 });
    const b = sinkhornSync(p, { ...js, eps: 0.1 });
    expect(Array.from(a.plan)).toEqual(Array.from(b.plan));
    for (const key of ['plan', 'f', 'g', 'cost', 'value', 'iterations', 'error', 'converged'] as const) expect(a[key]).toBeDefined();
    expect(a.f.length).toBe(5);
    expect(a.g.length).toBe(6);
    expect(Array.from(a.converged)).toEqual([1, 1]);
  });

  it('returnPlan: false leaves the plan out of the result and changes nothing else', async () => {
    const p = randomBatch(2, [[3, 4], [5, 2]]);
    const full = sinkhornSync(p, { ...js, eps: 0.1 });
    for (const lean of [sinkhornSync(p, { ...js, eps: 0.1, returnPlan: false }), await sinkhorn(p, { ...js, eps: 0.1, returnPlan: false })]) {
      expect('plan' in lean).toBe(false);
      for (const key of ['f', 'g', 'cost', 'value', 'iterations', 'error', 'converged'] as const) expect(Array.from(lean[key])).toEqual(Array.from(full[key]));
    }
  });

  it('backendInfo reports the active backend and every attempt', () => {
    const info = backendInfo();
    expect(['cuda', 'cpu', 'js']).toContain(info.active);
    expect(info.attempts.map((x) => x.backend)).toEqual(['cuda', 'cpu', 'js']);
    for (const at of info.attempts) expect(at.reason.length).toBeGreaterThan(0);
    expect(backendInfo('js').active).toBe('js');
    expect(() => backendInfo('gpu' as never)).toThrow(RangeError);
  });

  it('tfjs otLoss: value is the mean <P,C> and the gradient is the envelope gradient', () => {
    const e = randomEmbeddings(3, [[3, 5], [4, 2]], 6);
    const teacher = tf.tensor2d(e.x, [7, 6]);
    const student = tf.variable(tf.tensor2d(e.y, [7, 6]));
    const ot = { eps: 0.1, tol: 1e-10, maxIter: 5000, ...js };
    const opts = { rows: e.rows, cols: e.cols, ...ot };
    const ref = otLossReference({ rows: e.rows, cols: e.cols, dim: 6, teacher: e.x, student: e.y }, lossOptions('t', ot));
    const { value, grads } = tf.variableGrads(() => otLoss(teacher, student, opts));
    expect(value.dataSync()[0]).toBeCloseTo((ref.cost[0] + ref.cost[1]) / 2, 6);
    const g = grads[student.name].dataSync();
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(ref.grad[i] / 2, 6);
  });

  it('two-phase prepareOtLoss gives the same value and gradient as the synchronous op', async () => {
    const e = randomEmbeddings(4, [[4, 3]], 5);
    const teacher = tf.tensor2d(e.x, [4, 5]);
    const student = tf.variable(tf.tensor2d(e.y, [3, 5]));
    const opts = { rows: e.rows, cols: e.cols, eps: 0.05, reduction: 'sum' as const, ...js };
    const step = await prepareOtLoss(teacher, student, opts);
    const two = tf.variableGrads(() => step.loss(student));
    const one = tf.variableGrads(() => otLoss(teacher, student, opts));
    expect(two.value.dataSync()[0]).toBeCloseTo(one.value.dataSync()[0], 6);
    expect(Array.from(two.grads[student.name].dataSync())).toEqual(Array.from(one.grads[student.name].dataSync()));
    expect(() => step.loss(tf.zeros([2, 5]) as tf.Tensor2D)).toThrow(RangeError);
  });

  it('raggedTokens stacks unpadded tokens and passes gradients back into the padded tensor', () => {
    const h = tf.variable(tf.tensor3d(Array.from({ length: 2 * 3 * 2 }, (_, i) => i), [2, 3, 2]));
    const { value, grads } = tf.variableGrads(() => {
      const r = raggedTokens(h, [2, 1], [1, 0]);
      expect(r.shape).toEqual([3, 2]);
      return tf.sum(r);
    });
    expect(value.dataSync()[0]).toBe(2 + 3 + 4 + 5 + 6 + 7);
    expect(Array.from(grads[h.name].dataSync())).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
    expect(() => raggedTokens(h, [4, 1])).toThrow(RangeError);
  });

  it('otLossStep and costMatrices run on the js backend', async () => {
    const e = randomEmbeddings(5, [[2, 3]], 4);
    const c = await costMatrices(e, { ...js, kind: 'dot' });
    expect(c.length).toBe(6);
    const s = await otLossStep({ rows: e.rows, cols: e.cols, dim: 4, teacher: e.x, student: e.y }, js);
    expect(s.grad.length).toBe(12);
    expect(otLossStepSync({ rows: e.rows, cols: e.cols, dim: 4, teacher: e.x, student: e.y }, js).cost[0]).toBeCloseTo(s.cost[0], 12);
  });
});

describe('bad input gives a TypeError/RangeError naming the argument and problem (js backend)', () => {
  const p = () => randomBatch(2, [[2, 3], [3, 2]]);
  const js = { backend: 'js' as const };
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ['cost dtype', () => sinkhornSync({ ...p(), cost: [1, 2] as never }, js), TypeError, /cost must be a Float32Array/],
    ['rows dtype', () => sinkhornSync({ ...p(), rows: [2, 3] as never }, js), TypeError, /rows must be an Int32Array/],
    ['length mismatch', () => sinkhornSync({ ...p(), cost: new Float32Array(5) }, js), RangeError, /cost must have 12 entries/],
    ['rows/cols mismatch', () => sinkhornSync({ ...p(), cols: Int32Array.of(3) }, js), RangeError, /same length/],
    ['empty batch', () => sinkhornSync({ rows: new Int32Array(0), cols: new Int32Array(0), cost: new Float32Array(0) }, js), RangeError, /batch is empty/],
    ['empty problem', () => sinkhornSync({ rows: Int32Array.of(2, 0), cols: Int32Array.of(3, 2), cost: new Float32Array(6) }, js), RangeError, /rows\[1\].*problem 1/],
    ['NaN cost', () => { const q = p(); q.cost[6 + 4] = NaN; return sinkhornSync(q, js); }, RangeError, /cost of problem 1 has a non-finite value \(NaN\) at entry \(2, 0\)/],
    ['Inf cost', () => { const q = p(); q.cost[1] = Infinity; return sinkhornSync(q, js); }, RangeError, /problem 0.*Infinity/],
    ['negative marginal', () => sinkhornSync({ ...p(), a: Float32Array.of(0.5, 0.5, 0.5, -0.1, 0.6) }, js), RangeError, /a of problem 1 has a negative entry/],
    ['zero-sum marginal', () => sinkhornSync({ ...p(), b: Float32Array.of(0.2, 0.3, 0.5, 0, 0) }, js), RangeError, /b of problem 1 sums to zero/],
    ['marginal length', () => sinkhornSync({ ...p(), a: new Float32Array(4) }, js), RangeError, /a must have 5 entries/],
    ['mass mismatch', () => sinkhornSync({ ...p(), a: Float32Array.of(0.5, 0.5, 1, 1, 1) }, js), RangeError, /problem 1 have different total mass/],
    ['eps 0', () => sinkhornSync(p(), { ...js, eps: 0 }), RangeError, /options.eps must be a finite number > 0/],
    ['eps NaN', () => sinkhornSync(p(), { ...js, eps: NaN }), TypeError, /options.eps/],
    ['maxIter 0', () => sinkhornSync(p(), { ...js, maxIter: 0 }), RangeError, /options.maxIter must be ≥ 1/],
    ['tol < 0', () => sinkhornSync(p(), { ...js, tol: -1 }), RangeError, /options.tol/],
    ['method', () => sinkhornSync(p(), { ...js, method: 'fast' as never }), RangeError, /options.method must be one of/],
    ['tau out of range', () => sinkhornSync(p(), { ...js, tau: 1.5 }), RangeError, /options.tau/],
    ['embedding NaN', () => { const e = randomEmbeddings(1, [[2, 1], [2, 3]], 3); e.y[3 * 3 + 1] = NaN; return otLossStepSync({ rows: e.rows, cols: e.cols, dim: 3, teacher: e.x, student: e.y }, js); }, RangeError, /student of problem 1 has a non-finite value \(NaN\) at token 2, component 1/],
    ['dim', () => { const e = randomEmbeddings(1, [[2, 1]], 3); return otLossStepSync({ rows: e.rows, cols: e.cols, dim: 0, teacher: e.x, student: e.y }, js); }, RangeError, /dim must be ≥ 1/],
    ['cost kind', () => { const e = randomEmbeddings(1, [[2, 1]], 3); return otLossStepSync({ rows: e.rows, cols: e.cols, dim: 3, teacher: e.x, student: e.y }, { ...js, kind: 'l1' as never }); }, RangeError, /options.kind/],
    // Unknown option names (a misspelling would otherwise be ignored and the default used).
    ['unknown sinkhorn option', () => sinkhornSync(p(), { ...js, epsilon: 0.1 } as never), RangeError, /^sinkhorn: unknown option options\.epsilon; known options: eps, maxIter, tol, checkEvery, method, errorNorm, rho, tau, epsSchedule, backend, threads, warn, returnPlan$/],
    ['unknown epsSchedule key', () => sinkhornSync(p(), { ...js, epsSchedule: { init: 1, rate: 0.9 } } as never), RangeError, /unknown option options\.epsSchedule\.rate; known options: init, decay/],
    ['unknown otLossStep option', () => { const e = randomEmbeddings(1, [[2, 1]], 3); return otLossStepSync({ rows: e.rows, cols: e.cols, dim: 3, teacher: e.x, student: e.y }, { ...js, cost: 'cosine' } as never); }, RangeError, /^otLoss: unknown option options\.cost; known options: .*returnPlan, kind$/],
    ['unknown costMatrices option', () => { const e = randomEmbeddings(1, [[2, 1]], 3); return costMatricesSync(e, { ...js, eps: 0.1 } as never); }, RangeError, /^costMatrices: unknown option options\.eps; known options: kind, backend, threads$/],
    ['unknown tfjs otLoss option', () => otLoss(tf.zeros([2, 3]) as tf.Tensor2D, tf.zeros([1, 3]) as tf.Tensor2D, { rows: [2], cols: [1], ...js, reduce: 'sum' } as never), RangeError, /^otLoss: unknown option options\.reduce; known options: .*reduction, value, onResult$/],
    ['returnPlan type', () => sinkhornSync(p(), { ...js, returnPlan: 'no' } as never), TypeError, /options\.returnPlan must be a boolean/],
  ];
  for (const [name, fn, cls, msg] of cases) {
    it(name, () => {
      expect(fn).toThrow(cls);
      expect(fn).toThrow(msg);
    });
  }

  it('the async entry point rejects with the same error', async () => {
    await expect(sinkhorn({ ...p(), cost: new Float32Array(1) }, js)).rejects.toThrow(/cost must have 12 entries/);
  });
});
