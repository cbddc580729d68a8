/**
 * Both engines against the independent PyTorch reference (test/models/fixtures/make_reference.py,
 * float64): every hidden state within 1e-5 relative, every parameter gradient of every loss term
 * within 1e-4 relative (per tensor: ‖g − g_ref‖∞ ≤ 1e-4·‖g_ref‖∞ + 1e-7·max over tensors ‖g_ref‖∞;
 * the second part only matters for tensors whose true gradient is zero, e.g. the key biases), the
 * loss values, and three AdamW steps with clipping against torch.optim.AdamW.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import type { Engine, EngineName, LossTerm } from '../../src/models/engine/types.js';
import { engineFor, fixture, inputsOf, maxAbs, nativeAvailable, ref, relDiff, subset, termOf, type Fixture } from './helpers.js';

const TERMS_A = ['infonce', 'infonce-target', 'bce', 'mse', 'cosine', 'mlm', 'ot'];
const native = nativeAvailable();

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
});

async function gradientsOf(engine: Engine, m: 'a' | 'b', terms: LossTerm[]) {
  await engine.zeroGradients();
  const spec = subset(inputsOf(f.models[m]), terms);
  const r = await engine.step({ ...spec, training: false, seed: 0 });
  return { result: r, grads: await engine.getGradients() };
}

function expectGradients(grads: Map<string, { data: Float32Array }>, m: 'a' | 'b', name: string): number {
  const scale = Math.max(...[...grads.keys()].map((p) => maxAbs(ref(f, `${m}/grad/${name}/${p}`))));
  let worst = 0;
  for (const [p, g] of grads) {
    const want = ref(f, `${m}/grad/${name}/${p}`);
    const tol = 1e-4 * maxAbs(want) + 1e-7 * scale;
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(g.data[i] - want[i]));
    if (err > tol) throw new Error(`${name}: gradient of ${p} is off by ${err.toExponential(2)} (tolerance ${tol.toExponential(2)}, |ref| ${maxAbs(want).toExponential(2)})`);
    if (maxAbs(want) > 1e-3 * scale) worst = Math.max(worst, err / maxAbs(want));
  }
  return worst;
}

describe.each(['native', 'tfjs'] as EngineName[])('%s engine vs PyTorch', (engineName) => {
  const skip = engineName === 'native' && !native.ok;
  let a: Engine;
  let b: Engine;
  beforeAll(async () => {
    if (skip) return;
    a = await engineFor(f, 'a', engineName);
    b = await engineFor(f, 'b', engineName);
  });

  test.skipIf(skip)('hidden states (BERT with padding and token types; XLM-R with the position offset) within 1e-5', async () => {
    for (const [m, engine] of [['a', a], ['b', b]] as const) {
      const inputs = inputsOf(f.models[m]);
      for (let i = 0; i < inputs.length; i++) {
        const out = await engine.encode(inputs[i], { layers: [0, 1, 2] });
        out.hidden.forEach((h, l) => {
          expect(relDiff(h, ref(f, `${m}/hidden/${i}/${l}`)), `${m} input ${i} layer ${l}`).toBeLessThan(1e-5);
        });
      }
    }
  });

  test.skipIf(skip).each(TERMS_A)('%s: loss value and every parameter gradient within 1e-4', async (name) => {
    const { result, grads } = await gradientsOf(a, 'a', [termOf(f, 'a', name)]);
    expect(result.terms[0].kind).toBe(f.models.a.terms[name].kind);
    expect(Math.abs(result.loss - f.models.a.losses[name]) / Math.abs(f.models.a.losses[name])).toBeLessThan(1e-5);
    expectGradients(grads, 'a', name);
  });

  test.skipIf(skip)('all seven terms in one weighted step accumulate the weighted sum of gradients', async () => {
    const weights = f.models.a.combined_weights!;
    const { result, grads } = await gradientsOf(a, 'a', TERMS_A.map((n) => termOf(f, 'a', n, weights[n])));
    expect(result.terms.map((t) => t.kind)).toEqual(TERMS_A);
    expect(Math.abs(result.loss - f.models.a.losses.combined) / f.models.a.losses.combined).toBeLessThan(1e-5);
    expectGradients(grads, 'a', 'combined');
    // Two half-weight steps without zeroing accumulate to the same gradients.
    await a.zeroGradients();
    const half = subset(inputsOf(f.models.a), TERMS_A.map((n) => termOf(f, 'a', n, weights[n] / 2)));
    await a.step({ ...half, training: false, seed: 0 });
    await a.step({ ...half, training: false, seed: 0 });
    expectGradients(await a.getGradients(), 'a', 'combined');
  });

  test.skipIf(skip).each(['mse', 'ot'])('XLM-R %s gradients within 1e-4', async (name) => {
    const { result, grads } = await gradientsOf(b, 'b', [termOf(f, 'b', name)]);
    expect(Math.abs(result.loss - f.models.b.losses[name]) / Math.abs(f.models.b.losses[name])).toBeLessThan(1e-5);
    expectGradients(grads, 'b', name);
  });

  test.skipIf(skip)('three AdamW steps with clipping match torch.optim.AdamW + clip_grad_norm_', async () => {
    const engine = await engineFor(f, 'a', engineName);
    const o = f.models.a.adamw!;
    const weights = f.models.a.combined_weights!;
    const spec = subset(inputsOf(f.models.a), TERMS_A.map((n) => termOf(f, 'a', n, weights[n])));
    for (let s = 0; s < o.lrs.length; s++) {
      await engine.step({ ...spec, training: false, seed: 0 });
      const r = await engine.optimizerStep({ lr: o.lrs[s], weightDecay: o.weight_decay, beta1: o.betas[0], beta2: o.betas[1], epsilon: o.eps, clipNorm: o.clip });
      expect(r.finite).toBe(true);
      expect(r.step).toBe(s + 1);
      expect(Math.abs(r.gradNorm - o.grad_norms[s]) / o.grad_norms[s]).toBeLessThan(1e-5);
    }
    const params = await engine.getParameters();
    for (const [p, t] of params) {
      const want = ref(f, `a/adamw/${p}`);
      // Key biases have a zero true gradient: AdamW scales their float noise to ~lr-sized steps.
      const tol = p.endsWith('attention.self.key.bias') ? 3 * o.lrs.reduce((x, y) => x + y, 0) : 1e-5 * maxAbs(want);
      let err = 0;
      for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(t.data[i] - want[i]));
      expect(err, p).toBeLessThanOrEqual(tol);
    }
    engine.dispose();
  });
});
