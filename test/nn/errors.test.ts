/**
 * Bad input gets a TypeError / RangeError naming the argument — on both engines for step specs, and
 * at the addon for what only it sees (overlapping calls, unsupported configs, shapes that cannot fit).
 */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { randomBertTensors } from '../../src/models/bert.js';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { writeSafetensors } from '../../src/models/safetensors.js';
import { createEngine, loadEngine, nativeEngineClass, randomEngine, resolveEngine } from '../../src/models/engine/index.js';
import type { Engine, EngineName, LossTerm, StepSpec } from '../../src/models/engine/types.js';
import { nativeAvailable } from './helpers.js';

const native = nativeAvailable();
const CONFIG: BertConfig = { ...TINY_BERT, vocabSize: 50, hiddenSize: 16, intermediateSize: 32, numAttentionHeads: 2, maxPositionEmbeddings: 32 };
const H = CONFIG.hiddenSize;

function input(batch = 2, length = 4) {
  const ids = new Int32Array(batch * length).fill(5);
  const mask = new Uint8Array(batch * length).fill(1);
  return { ids, mask, batch, length };
}

function spec(overrides: Partial<StepSpec> = {}, term: Partial<LossTerm> = {}): StepSpec {
  const base: LossTerm = { kind: 'mse', input: 0, pooling: 'mean', target: new Float32Array(2 * H) };
  return { inputs: [input()], terms: [{ ...base, ...term } as LossTerm], training: false, seed: 0, ...overrides };
}

const CASES: [string, () => StepSpec, RegExp][] = [
  ['ids length', () => spec({ inputs: [{ ...input(), ids: new Int32Array(7) }] }), /inputs\[0\]\.ids has 7 entries, expected batch·length = 8/],
  ['ids type', () => spec({ inputs: [{ ...input(), ids: new Float32Array(8) as unknown as Int32Array }] }), /inputs\[0\]\.ids must be an Int32Array/],
  ['id out of range', () => spec({ inputs: [{ ...input(), ids: new Int32Array(8).fill(50) }] }), /inputs\[0\]\.ids\[0\] = 50 is out of range \[0, 50\)/],
  ['empty row', () => spec({ inputs: [{ ...input(), mask: Uint8Array.from([1, 1, 1, 1, 0, 0, 0, 0]) }] }), /inputs\[0\]\.mask row 1 has no real token/],
  ['types out of range', () => spec({ inputs: [{ ...input(), types: new Int32Array(8).fill(2) }] }), /inputs\[0\]\.types\[0\] = 2 is out of range \[0, 2\)/],
  ['too long', () => spec({ inputs: [input(1, 33)], terms: [{ kind: 'mse', input: 0, pooling: 'mean', target: new Float32Array(H) }] }), /inputs\[0\]\.length 33 exceeds max_position_embeddings 32/],
  ['unknown kind', () => spec({}, { kind: 'triplet' } as unknown as LossTerm), /terms\[0\]\.kind 'triplet' is not a loss term \(supported: infonce, infonce-target, bce, mse, cosine, mlm, ot\)/],
  ['input index', () => spec({}, { input: 3 } as Partial<LossTerm>), /terms\[0\]\.input must be an index into inputs \[0, 1\), got 3/],
  ['layer', () => spec({}, { layer: 5 } as Partial<LossTerm>), /terms\[0\]\.layer must be a hidden-state index in \[0, 2\]/],
  ['target length', () => spec({}, { target: new Float32Array(5) } as Partial<LossTerm>), /terms\[0\]\.target has 5 entries, expected batch·hiddenSize = 32/],
  ['non-finite target', () => spec({}, { target: new Float32Array(32).fill(NaN) } as Partial<LossTerm>), /terms\[0\]\.target\[0\] is not finite/],
  ['positive out of range', () => spec({ inputs: [input(), input(3)] }, { kind: 'infonce', queries: { input: 0, pooling: 'mean' }, docs: { input: 1, pooling: 'cls' }, positive: Int32Array.from([0, 3]), temperature: 0.05 } as unknown as LossTerm), /terms\[0\]\.positive\[1\] = 3 is out of range \[0, 3\)/],
  ['temperature', () => spec({}, { kind: 'infonce', queries: { input: 0, pooling: 'mean' }, docs: { input: 0, pooling: 'cls' }, positive: Int32Array.from([0, 1]), temperature: 0 } as unknown as LossTerm), /terms\[0\]\.temperature must be a finite number > 0/],
  ['bce without head', () => spec({}, { kind: 'bce', input: 0, labels: new Float32Array(2) } as unknown as LossTerm), /terms\[0\] \(bce\) needs the classifier head/],
  ['mlm without head', () => spec({}, { kind: 'mlm', input: 0, labels: new Int32Array(8).fill(-100) } as unknown as LossTerm), /terms\[0\] \(mlm\) needs the MLM head/],
  ['ot rows length', () => spec({}, { kind: 'ot', input: 0, teacher: new Float32Array(3 * H), rows: Int32Array.from([3]) } as unknown as LossTerm), /terms\[0\]\.rows has 1 entries, expected batch = 2/],
  ['ot empty teacher row', () => spec({}, { kind: 'ot', input: 0, teacher: new Float32Array(3 * H), rows: Int32Array.from([3, 0]) } as unknown as LossTerm), /terms\[0\]\.rows\[1\] must be >= 1/],
  ['ot teacher length', () => spec({}, { kind: 'ot', input: 0, teacher: new Float32Array(3 * H), rows: Int32Array.from([3, 2]) } as unknown as LossTerm), /terms\[0\]\.teacher has length 48, expected Σ rows·dim = 80/],
  ['ot b length', () => spec({}, { kind: 'ot', input: 0, teacher: new Float32Array(5 * H), rows: Int32Array.from([3, 2]), b: new Float32Array(3) } as unknown as LossTerm), /terms\[0\]\.b has length 3, expected Σ cols = 8/],
  ['unused input', () => spec({ inputs: [input(), input()] }), /inputs\[1\] is not used by any loss term/],
  ['seed', () => spec({ seed: -1 }), /spec\.seed must be an integer in \[0, 9007199254740991\]/],
];

describe.each(['native', 'tfjs'] as EngineName[])('%s engine: step spec errors name the argument', (name) => {
  let engine: Engine;
  beforeAll(async () => {
    if (name === 'native' && !native.ok) return;
    engine = await createEngine(CONFIG, randomBertTensors(CONFIG, 1, false), { engine: name });
  });
  test.skipIf(name === 'native' && !native.ok).each(CASES)('%s', async (_, make, message) => {
    await expect(engine.step(make())).rejects.toThrow(message);
  });
  test.skipIf(name === 'native' && !native.ok)('a bad spec leaves the model usable and the gradients untouched', async () => {
    await expect(engine.step(CASES[0][1]())).rejects.toThrow(RangeError);
    const r = await engine.step(spec());
    expect(Number.isFinite(r.loss)).toBe(true);
    await expect(engine.encode(input(), { layers: [3] })).rejects.toThrow(/options\.layers\[0\] must be in \[0, 2\]/);
    await expect(engine.encode(input(), { logits: true })).rejects.toThrow(/needs the classifier head/);
    await expect(engine.optimizerStep({ lr: -1 })).rejects.toThrow(/options\.lr must be a finite number >= 0/);
  });
});

describe.skipIf(!native.ok)('native addon', () => {
  test('one call at a time per model: an overlapping call is refused, the engine wrapper queues instead', async () => {
    const { NnModel } = nativeEngineClass();
    const model = new NnModel!(CONFIG, Object.fromEntries(randomBertTensors(CONFIG, 1, false)));
    const first = model.step(spec());
    await expect(model.step(spec())).rejects.toThrow(/busy with an earlier call; await it first/);
    expect(() => model.getParameters()).toThrow(/busy/);
    await first;
    expect(Object.keys(model.getParameters())).toContain('embeddings.word_embeddings.weight');
    model.dispose();
    expect(() => model.getParameters()).toThrow(/disposed/);
    const engine = await createEngine(CONFIG, randomBertTensors(CONFIG, 1, false), { engine: 'native' });
    const results = await Promise.all([engine.step(spec()), engine.step(spec()), engine.encode(input(), { pooling: 'cls' })]);
    expect(results[0].loss).toBe(results[1].loss);
  });

  test('unsupported configs and tensors are refused with what is supported', async () => {
    const tensors = randomBertTensors(CONFIG, 1, false);
    const make = (c: object, t = tensors) => createEngine(c as unknown as BertConfig, t, { engine: 'native' });
    await expect(make({ ...CONFIG, hiddenAct: 'relu' })).rejects.toThrow(/config\.hiddenAct 'relu' is not supported by the native engine \(supported: gelu/);
    await expect(make({ ...CONFIG, modelType: 'distilbert' })).rejects.toThrow(/supported: bert, roberta, xlm-roberta, camembert/);
    await expect(make({ ...CONFIG, positionEmbeddingType: 'relative_key' })).rejects.toThrow(/supported: absolute/);
    await expect(make({ ...CONFIG, hiddenSize: 15 })).rejects.toThrow(/config\.hiddenSize \(15\) must be divisible by numAttentionHeads \(2\)/);
    const missing = new Map(tensors);
    missing.delete('encoder.layer.1.output.LayerNorm.bias');
    await expect(make(CONFIG, missing)).rejects.toThrow(/tensors lacks 'encoder\.layer\.1\.output\.LayerNorm\.bias'/);
    const wrong = new Map(tensors);
    wrong.set('embeddings.LayerNorm.bias', { shape: [17], data: new Float32Array(17) });
    await expect(make(CONFIG, wrong)).rejects.toThrow(/tensors\['embeddings\.LayerNorm\.bias'\] has shape \[17\], the config implies \[16\]/);
    const extra = new Map(tensors);
    extra.set('lm_head.weird', { shape: [1], data: new Float32Array(1) });
    await expect(make(CONFIG, extra)).rejects.toThrow(/tensors\['lm_head\.weird'\] is not a parameter of this model/);
  });

  test('a shape that cannot fit in memory is a RangeError naming batch and length, not a crash', async () => {
    const big: BertConfig = { ...CONFIG, maxPositionEmbeddings: 140_000, numHiddenLayers: 1 };
    const engine = await randomEngine(big, { engine: 'native' });
    const L = 131_072;
    const s: StepSpec = { inputs: [input(1, L)], terms: [{ kind: 'mse', input: 0, pooling: 'mean', target: new Float32Array(H) }], training: false, seed: 0 };
    await expect(engine.step(s)).rejects.toThrow(/inputs\[0\] batch 1 × length 131072 needs about \d+(\.\d+)? GiB of activations, more than this machine's/);
    await expect(engine.encode(input(1, L), { pooling: 'mean' })).rejects.toThrow(/encoding input batch 1 × length 131072 needs about/);
    expect(Number.isFinite((await engine.step(spec({ inputs: [input(2, 4)] }))).loss)).toBe(true);
  });
});

describe('engine choice and checkpoints', () => {
  test('OPTICAL_ENGINE / engine option: tfjs always, native when it loads, anything else refused', () => {
    expect(resolveEngine('tfjs')).toBe('tfjs');
    expect(() => resolveEngine('cuda' as never)).toThrow(/engine must be 'auto', 'native' or 'tfjs'/);
    if (native.ok) expect(resolveEngine('auto')).toBe('native');
    const saved = process.env.OPTICAL_ENGINE;
    process.env.OPTICAL_ENGINE = 'tfjs';
    try {
      expect(resolveEngine()).toBe('tfjs');
    } finally {
      if (saved === undefined) delete process.env.OPTICAL_ENGINE; else process.env.OPTICAL_ENGINE = saved;
    }
  });

  test('loadEngine refuses architectures it does not implement, listing the supported ones', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-engine-'));
    await writeSafetensors(join(dir, 'model.safetensors'), randomBertTensors(CONFIG, 1, false));
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, max_position_embeddings: 32, architectures: ['BertForTokenClassification'] }));
    await expect(loadEngine(dir, { engine: 'tfjs' })).rejects.toThrow(/architecture 'BertForTokenClassification' is not supported by the optical engines \(supported: BertModel, BertForSequenceClassification/);
    await writeFile(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert', vocab_size: 50, hidden_size: 16, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 32, hidden_act: 'relu' }));
    await expect(loadEngine(dir, { engine: 'tfjs' })).rejects.toThrow(/hidden_act 'relu' is not supported/);
  });
});
