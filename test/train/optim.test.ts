import { beforeAll, describe, expect, test } from 'vitest';
import { initTf, tf } from '../../src/models/tf.js';
import { AdamW } from '../../src/train/adamw.js';
import { linearWarmupDecay } from '../../src/train/schedule.js';
import { clipByGlobalNorm, globalNorm } from '../../src/train/clip.js';
import { BatchSampler } from '../../src/train/batch-sampler.js';

beforeAll(async () => { await initTf(); });

describe('AdamW', () => {
  test('matches torch.optim.AdamW (decay on the matrix, none on the bias) over three steps', () => {
    const w = tf.variable(tf.tensor2d([[0.5, -1.0], [2.0, 0.25]]));
    const b = tf.variable(tf.tensor1d([0.1, -0.2]));
    const opt = new AdamW({ weightDecay: 0.1 });
    const grads: [number[][], number[]][] = [
      [[[0.3, -0.2], [0.1, 0.5]], [1.0, -2.0]],
      [[[-0.1, 0.4], [0.2, 0.0]], [0.5, 0.5]],
      [[[1.0, 1.0], [-1.0, 0.3]], [-0.3, 0.7]],
    ];
    const lrs = [0.01, 0.02, 0.005];
    grads.forEach(([gw, gb], i) => opt.applyGradients({ [w.name]: tf.tensor2d(gw), [b.name]: tf.tensor1d(gb) }, lrs[i]));
    // Reference from torch 1.13: torch.optim.AdamW([{params:[w], weight_decay:0.1}, {params:[b],
    // weight_decay:0}], betas=(0.9, 0.999), eps=1e-8), same gradients, lr set per step to 0.01/0.02/0.005.
    const expectedW = [0.47676474, -0.99734032, 1.96604156, 0.22189173];
    const expectedB = [0.06870531, -0.17992049];
    Array.from(w.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expectedW[i], 6));
    Array.from(b.dataSync()).forEach((v, i) => expect(v).toBeCloseTo(expectedB[i], 6));
    expect(opt.step).toBe(3);
  });

  test('state export/import continues identically on new variables', () => {
    const mk = () => tf.variable(tf.tensor2d([[1, 2], [3, 4]]));
    const a = mk();
    const optA = new AdamW();
    const g = () => tf.tensor2d([[0.1, -0.3], [0.2, 0.05]]);
    optA.applyGradients({ [a.name]: g() }, 0.1);
    const b = tf.variable(a.clone());
    const optB = new AdamW();
    optB.importState(optA.exportState(new Map([['p', a]])), new Map([['p', b]]), optA.step);
    optA.applyGradients({ [a.name]: g() }, 0.1);
    optB.applyGradients({ [b.name]: g() }, 0.1);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));
    expect(() => optB.applyGradients({ nope: g() }, 0.1)).toThrow(/does not name a tf.Variable/);
    expect(() => optB.applyGradients({}, NaN)).toThrow(/learning rate/);
    expect(() => new AdamW({ beta1: 1 })).toThrow(/beta1/);
  });
});

describe('schedule, clipping, sampling', () => {
  test('linear warm-up then linear decay to zero', () => {
    const s = linearWarmupDecay(1, 4, 12);
    expect([0, 1, 2, 3].map(s)).toEqual([0.25, 0.5, 0.75, 1]);
    expect(s(4)).toBe(1);
    expect(s(8)).toBeCloseTo(0.5);
    expect(s(11)).toBeCloseTo(0.125);
    expect(s(12)).toBe(0);
    expect(() => linearWarmupDecay(1, 13, 12)).toThrow(/warmupSteps/);
    expect(() => linearWarmupDecay(0, 1, 12)).toThrow(/learning rate/);
  });

  test('global-norm clipping scales all gradients together', () => {
    const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor1d([0, 4]) };
    expect(globalNorm(grads)).toBeCloseTo(5);
    const info: { norm?: number } = {};
    const c = clipByGlobalNorm(grads, 1, info);
    expect(info.norm).toBeCloseTo(5);
    expect(Array.from(c.a.dataSync())).toEqual([expect.closeTo(0.6, 6), 0]);
    expect(Array.from(c.b.dataSync())).toEqual([0, expect.closeTo(0.8, 6)]);
    const unchanged = clipByGlobalNorm(grads, 10);
    expect(Array.from(unchanged.a.dataSync())).toEqual([3, 0]);
    expect(() => clipByGlobalNorm({ a: tf.tensor1d([NaN]) }, 1)).toThrow(/diverged/);
  });

  test('sampler: every example once per epoch; state restores the exact continuation', () => {
    const s = new BatchSampler(10, 3, 42);
    // 10 = 3 + 3 + 4: the example that would be left alone joins the last batch.
    const first = [s.next(), s.next(), s.next()];
    expect(first.flat().sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(first.map((b) => b.length)).toEqual([3, 3, 4]);
    s.next();
    const state = JSON.parse(JSON.stringify(s.getState()));
    const expected = [s.next(), s.next(), s.next(), s.next()];
    const r = new BatchSampler(10, 3, 42);
    r.setState(state);
    expect([r.next(), r.next(), r.next(), r.next()]).toEqual(expected);
    const other = new BatchSampler(10, 3, 43);
    expect(other.next()).not.toEqual(first[0]);
  });
});
