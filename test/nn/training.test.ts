/**
 * Training behaviour: the Philox dropout masks (known-answer vectors; native and tfjs draw the same
 * masks), 50 steps of native vs tfjs training from the same seed, bit-identical weights for 1 and 2
 * native threads, checkpointable optimizer state.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { philox4x32, dropoutMultipliers, dropoutStream } from '../../src/models/engine/philox.js';
import { createEngine, randomEngine, resolveEngine } from '../../src/models/engine/index.js';
import { randomBertTensors } from '../../src/models/bert.js';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import type { Engine, EngineName, LossTerm, StepSpec } from '../../src/models/engine/types.js';
import { Rng } from '../../src/random/rng.js';
import { engineFor, fixture, inputsOf, maxAbs, nativeAvailable, relDiff, subset, termOf, type Fixture } from './helpers.js';

const native = nativeAvailable();
const TERMS = ['infonce', 'infonce-target', 'bce', 'mse', 'cosine', 'mlm', 'ot'];

let f: Fixture;
beforeAll(async () => {
  f = await fixture();
});

describe('Philox4x32-10 dropout masks', () => {
  test('known-answer vectors of Random123', () => {
    const hex = (v: number[]) => v.map((x) => x.toString(16).padStart(8, '0'));
    expect(hex(philox4x32([0, 0, 0, 0], [0, 0]))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(hex(philox4x32([0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff], [0xffffffff, 0xffffffff]))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect(hex(philox4x32([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]))).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });

  test('masks drop the requested share, differ by seed, site and input, and are independent of the slice', () => {
    const n = 40_000;
    const m = dropoutMultipliers(12345, dropoutStream(3, 'attention-probs'), 1, 0.1, n);
    const dropped = m.filter((v) => v === 0).length / n;
    expect(dropped).toBeGreaterThan(0.09);
    expect(dropped).toBeLessThan(0.11);
    expect(m.find((v) => v !== 0)).toBe(Math.fround(1 / 0.9));
    const differs = (x: Float32Array) => x.some((v, i) => v !== m[i]);
    expect(differs(dropoutMultipliers(12346, dropoutStream(3, 'attention-probs'), 1, 0.1, n))).toBe(true);
    expect(differs(dropoutMultipliers(12345, dropoutStream(3, 'feed-forward'), 1, 0.1, n))).toBe(true);
    expect(differs(dropoutMultipliers(12345, dropoutStream(3, 'attention-probs'), 0, 0.1, n))).toBe(true);
    // A slice starting at element 4097 sees the same mask as the whole tensor there.
    expect(Array.from(dropoutMultipliers(12345, dropoutStream(3, 'attention-probs'), 1, 0.1, 100, 4097))).toEqual(Array.from(m.subarray(4097, 4197)));
    // Seeds above 2^32 use the key's second word.
    expect(differs(dropoutMultipliers(12345 + 2 ** 32, dropoutStream(3, 'attention-probs'), 1, 0.1, n))).toBe(true);
  });
});

function fullSpec(seed: number, training: boolean): StepSpec {
  const weights = f.models.a.combined_weights!;
  const { inputs, terms } = subset(inputsOf(f.models.a), TERMS.map((n) => termOf(f, 'a', n, weights[n])));
  return { inputs, terms, training, seed };
}

describe.skipIf(!native.ok)('native vs tfjs training', () => {
  test('one step with dropout on: the same masks, so the same gradients (within 1e-4)', async () => {
    const engines = await Promise.all((['native', 'tfjs'] as EngineName[]).map((e) => engineFor(f, 'a', e)));
    const grads = [];
    for (const e of engines) {
      await e.step(fullSpec(77, true));
      grads.push(await e.getGradients());
    }
    let scale = 0;
    for (const t of grads[1].values()) scale = Math.max(scale, maxAbs(t.data));
    for (const [name, t] of grads[1]) {
      const err = relDiff(grads[0].get(name)!.data, t.data) * maxAbs(t.data);
      expect(err, name).toBeLessThanOrEqual(1e-4 * maxAbs(t.data) + 1e-7 * scale);
    }
    // With dropout on, the gradients differ from those without it.
    await engines[0].zeroGradients();
    await engines[0].step(fullSpec(77, false));
    const noDropout = await engines[0].getGradients();
    expect(relDiff(noDropout.get('encoder.layer.0.output.dense.weight')!.data, grads[0].get('encoder.layer.0.output.dense.weight')!.data)).toBeGreaterThan(1e-2);
    engines.forEach((e) => e.dispose());
  });

  // Tolerance: every tensor ends within 1e-4 of the distance it travelled (measured: ≤ 2.1e-5), the
  // loss curves agree to 1e-5 relative (measured: ≤ 4.1e-7). Excluded: the attention key biases,
  // whose true gradient is exactly zero (softmax ignores a per-row shift) — AdamW divides their float
  // noise (~1e-9, different in each engine) by its own RMS and moves them by ~lr per step either way.
  test('50 AdamW steps with dropout from the same seed end at the same weights (within 1e-4 of the distance travelled)', async () => {
    const run = async (name: EngineName) => {
      const e = await engineFor(f, 'a', name);
      const start = await e.getParameters();
      const losses: number[] = [];
      for (let s = 0; s < 50; s++) {
        const r = await e.step(fullSpec(1000 + s, true));
        losses.push(r.loss);
        const o = await e.optimizerStep({ lr: 2e-3, weightDecay: 0.01, clipNorm: 1 });
        expect(o.finite).toBe(true);
      }
      const end = await e.getParameters();
      e.dispose();
      return { start, end, losses };
    };
    const n = await run('native');
    const t = await run('tfjs');
    for (const [name, s] of n.start) {
      if (name.endsWith('attention.self.key.bias')) continue;
      const a = n.end.get(name)!.data;
      const b = t.end.get(name)!.data;
      let travelled = 0;
      let apart = 0;
      for (let i = 0; i < a.length; i++) {
        travelled += (a[i] - s.data[i]) ** 2;
        apart += (a[i] - b[i]) ** 2;
      }
      expect(Math.sqrt(travelled), name).toBeGreaterThan(1e-2);
      expect(Math.sqrt(apart) / Math.sqrt(travelled), name).toBeLessThan(1e-4);
    }
    for (let s = 0; s < 50; s++) expect(Math.abs(n.losses[s] - t.losses[s]) / t.losses[s], `step ${s}`).toBeLessThan(1e-5);
    expect(n.losses[49]).toBeLessThan(n.losses[0]);
  });
});

/** A model big enough that the kernels split their work into several chunks (rows, column blocks, (sequence, head) pairs). */
const MEDIUM: BertConfig = { ...TINY_BERT, vocabSize: 600, hiddenSize: 96, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 384, maxPositionEmbeddings: 80, hiddenDropoutProb: 0.1, attentionProbsDropoutProb: 0.1 };

function mediumSpec(seed: number): StepSpec {
  const rng = new Rng(seed);
  const B = 12, L = 64, H = MEDIUM.hiddenSize;
  const ids = new Int32Array(B * L);
  const mask = new Uint8Array(B * L);
  const lengths = Array.from({ length: B }, () => 8 + rng.int(L - 8));
  lengths.forEach((n, b) => {
    for (let l = 0; l < n; l++) { ids[b * L + l] = 1 + rng.int(MEDIUM.vocabSize - 1); mask[b * L + l] = 1; }
  });
  const rows = Int32Array.from({ length: B }, () => 3 + rng.int(20));
  const teacher = Float32Array.from({ length: rows.reduce((s, v) => s + v, 0) * H }, () => rng.normal());
  const labels = new Int32Array(B * L).fill(-100);
  for (let i = 0; i < B * L; i += 7) if (mask[i]) labels[i] = rng.int(MEDIUM.vocabSize);
  const terms: LossTerm[] = [
    { kind: 'ot', input: 0, layer: 1, teacher, rows, sinkhorn: { eps: 0.05, maxIter: 300, tol: 1e-5 } },
    { kind: 'infonce', queries: { input: 0, pooling: 'mean' }, docs: { input: 0, pooling: 'cls' }, positive: Int32Array.from({ length: B }, (_, i) => i), temperature: 0.05 },
    { kind: 'mlm', input: 0, labels, weight: 0.5 },
    { kind: 'bce', input: 0, labels: Float32Array.from({ length: B }, (_, i) => i % 2) },
  ];
  return { inputs: [{ ids, mask, batch: B, length: L }], terms, training: true, seed };
}

describe.skipIf(!native.ok)('native determinism', () => {
  test('1 and 2 threads give bit-identical weights after 3 training steps (dropout, OT, MLM, InfoNCE, BCE)', async () => {
    if (resolveEngine('native') !== 'native') throw new Error('native engine expected');
    const weights = async (threads: number) => {
      // (on the CPU: the thread pool is what is compared)
      const e = await randomEngine(MEDIUM, { engine: 'native', backend: 'cpu', threads, seed: 5, heads: { pooler: true, classifier: true, mlm: true } });
      for (let s = 0; s < 3; s++) {
        await e.step(mediumSpec(s));
        await e.optimizerStep({ lr: 1e-3, clipNorm: 1 });
      }
      const p = await e.getParameters();
      e.dispose();
      return p;
    };
    const one = await weights(1);
    const two = await weights(2);
    const { NnModel } = await import('../../src/models/engine/choose.js').then((m) => m.nativeEngineClass('cpu'));
    const pool = NnModel ? new NnModel(MEDIUM, Object.fromEntries(randomBertTensors(MEDIUM, 0, false))).info().poolThreads ?? 0 : 0;
    if (pool < 2) {
      const why = `the thread pool has ${pool} thread(s); the 1-vs-2-thread comparison needs 2`;
      if (process.env.CI) throw new Error(why);
      console.warn(`skipping the bit-identity check: ${why}`);
      return;
    }
    for (const [name, t] of one) {
      const b = Buffer.from(two.get(name)!.data.buffer);
      expect(Buffer.from(t.data.buffer).equals(b), name).toBe(true);
    }
    // …and training moved them.
    const initial = randomBertTensors(MEDIUM, 5, true).get('encoder.layer.0.output.dense.weight')!.data;
    expect(relDiff(one.get('encoder.layer.0.output.dense.weight')!.data, initial)).toBeGreaterThan(1e-3);
  });

  test('optimizer state round-trips: a restored model continues bit-identically', async () => {
    const make = () => randomEngine(MEDIUM, { engine: 'native', seed: 9, heads: { pooler: true, classifier: true, mlm: true } });
    const a = await make();
    await a.step(mediumSpec(1));
    await a.optimizerStep({ lr: 1e-3 });
    const b = await make();
    await b.setParameters(await a.getParameters());
    await b.setOptimizerState(await a.getOptimizerState());
    for (const e of [a, b]) {
      await e.step(mediumSpec(2));
      await e.optimizerStep({ lr: 1e-3 });
    }
    const pa = await a.getParameters();
    const pb = await b.getParameters();
    for (const [name, t] of pa) expect(Buffer.from(t.data.buffer).equals(Buffer.from(pb.get(name)!.data.buffer)), name).toBe(true);
    expect((await b.getOptimizerState()).step).toBe(2);
    a.dispose();
    b.dispose();
  });
});

describe('tfjs engine state', () => {
  test('optimizer state round-trips on tfjs too', async () => {
    const config: BertConfig = { ...MEDIUM, vocabSize: 60, hiddenSize: 16, intermediateSize: 32, numAttentionHeads: 2 };
    const make = async (): Promise<Engine> => createEngine(config, randomBertTensors(config, 3, false), { engine: 'tfjs' });
    const spec = (seed: number): StepSpec => ({
      inputs: [{ ids: Int32Array.from([2, 5, 9, 3, 0, 2, 7, 3, 0, 0]), mask: Uint8Array.from([1, 1, 1, 1, 0, 1, 1, 1, 0, 0]), batch: 2, length: 5 }],
      terms: [{ kind: 'mse', input: 0, pooling: 'mean', target: new Float32Array(32).fill(0.5) }],
      training: true,
      seed,
    });
    const a = await make();
    await a.step(spec(1));
    await a.optimizerStep({ lr: 1e-2 });
    const b = await make();
    await b.setParameters(await a.getParameters());
    await b.setOptimizerState(await a.getOptimizerState());
    for (const e of [a, b]) {
      await e.step(spec(2));
      await e.optimizerStep({ lr: 1e-2 });
    }
    const pa = await a.getParameters();
    const pb = await b.getParameters();
    for (const [name, t] of pa) expect(Array.from(pb.get(name)!.data), name).toEqual(Array.from(t.data));
    a.dispose();
    b.dispose();
  });
});
