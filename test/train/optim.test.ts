import { beforeAll, describe, expect, test } from 'vitest';
import { initTf, tf } from '../../src/models/tf.js';
import { AdamW } from '../../src/models/engine/tfjs-adamw.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { Engine, StepSpec } from '../../src/models/engine/types.js';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { linearWarmupDecay } from '../../src/train/schedule.js';
import { BatchSampler } from '../../src/train/batch-sampler.js';

beforeAll(async () => { await initTf(); });

describe('AdamW of the tfjs engine', () => {
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

/** The optimizer step as the training loop uses it, on both engines (native/nn/adamw.cpp, tfjs-adamw.ts). */
describe.each(['native', 'tfjs'] as const)('Engine.optimizerStep: clipping, divergence, frozen parameters (%s engine)', (name) => {
  const config = { ...TINY_BERT, vocabSize: 40, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 16 };
  const input = { ids: Int32Array.from([2, 5, 6, 3, 2, 7, 3, 0]), mask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 0]), batch: 2, length: 4 };
  const spec: StepSpec = {
    inputs: [input], training: true, seed: 1,
    terms: [{ kind: 'bce', input: 0, labels: Float32Array.from([1, 0]) }, { kind: 'mse', input: 0, pooling: 'mean', target: new Float32Array(32).fill(0.5) }],
  };
  const engine = () => randomEngine(config, { engine: name, seed: 3, heads: { classifier: true } });
  const params = async (e: Engine) => new Map([...(await e.getParameters())].map(([k, t]) => [k, Float32Array.from(t.data)]));

  test('global-norm clipping scales all gradients together (clipScale = clipNorm / (norm + 1e-6)), and not below the clip', async () => {
    const e = await engine();
    await e.step(spec);
    const grads = await e.getGradients();
    let sum = 0;
    for (const t of grads.values()) for (const g of t.data) sum += g * g;
    const r = await e.optimizerStep({ lr: 1e-3, clipNorm: 1e-3 });
    expect(r.gradNorm).toBeCloseTo(Math.sqrt(sum), 4);
    expect(r.clipScale).toBeCloseTo(1e-3 / (r.gradNorm + 1e-6), 6);
    await e.step(spec);
    expect((await e.optimizerStep({ lr: 1e-3, clipNorm: 1e6 })).clipScale).toBe(1);
    e.dispose();
  });

  test('a NaN loss gives a non-finite gradient norm: nothing is applied', async () => {
    const e = await engine();
    const g = (await e.getParameters()).get('embeddings.LayerNorm.weight')!;
    await e.setParameters(new Map([['embeddings.LayerNorm.weight', { shape: g.shape, data: new Float32Array(g.data.length).fill(3e38) }]]));
    const before = await params(e);
    expect(Number.isNaN((await e.step(spec)).loss)).toBe(true);
    const r = await e.optimizerStep({ lr: 1e-3, clipNorm: 1 });
    expect(r.finite).toBe(false);
    expect(Number.isFinite(r.gradNorm)).toBe(false);
    expect(await params(e)).toEqual(before);
    e.dispose();
  });

  test('an update that overflows float32 names the first non-finite parameter', async () => {
    const e = await engine();
    await e.step(spec);
    const r = await e.optimizerStep({ lr: 1e300 });
    expect(r.finite).toBe(true);
    const first = [...(await e.getParameters())].find(([, t]) => !t.data.every(Number.isFinite))?.[0];
    expect(first).toBeDefined();
    expect(r.nonFinite).toBe(first);
    e.dispose();
  });

  test('frozen parameters stay bit-identical (no update, no decay) and their gradients count nowhere', async () => {
    const e = await engine();
    const f = await engine();
    const frozen = ['pooler.dense.weight', 'pooler.dense.bias', 'classifier.weight', 'classifier.bias'];
    const before = await params(e);
    await e.step(spec);
    const grads = await e.getGradients();
    let sum = 0;
    for (const [k, t] of grads) if (!frozen.includes(k)) for (const g of t.data) sum += g * g;
    const r = await e.optimizerStep({ lr: 1e-2, weightDecay: 0.1, clipNorm: 1, frozen });
    expect(r.gradNorm).toBeCloseTo(Math.sqrt(sum), 4);
    const after = await params(e);
    for (const k of frozen) expect(after.get(k)).toEqual(before.get(k));
    expect(after.get('embeddings.word_embeddings.weight')).not.toEqual(before.get('embeddings.word_embeddings.weight'));
    // Without `frozen` the head moves.
    await f.step(spec);
    await f.optimizerStep({ lr: 1e-2, weightDecay: 0.1, clipNorm: 1 });
    expect((await params(f)).get('classifier.weight')).not.toEqual(before.get('classifier.weight'));
    await expect(e.optimizerStep({ lr: 1e-3, frozen: ['no.such.weight'] })).rejects.toThrow(/options\.frozen\[0\] 'no\.such\.weight' is not a parameter of this model/);
    e.dispose();
    f.dispose();
  });
});
