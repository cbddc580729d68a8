import { describe, expect, test, beforeAll } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTf, tf } from '../../src/models/tf.js';
import { BertModel } from '../../src/models/bert.js';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { readSafetensors } from '../../src/models/safetensors.js';

const FIXTURE = join(import.meta.dirname, 'fixtures', 'tiny-bert');

interface Expected {
  input_ids: number[][];
  attention_mask: number[][];
  token_type_ids: number[][];
  shape: number[];
  hidden_states: number[][];
  pooled: number[];
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

beforeAll(async () => {
  await initTf();
});

describe('BertModel', () => {
  test('runs on the wasm backend by default', () => {
    expect(tf.getBackend()).toBe('wasm');
  });

  test('matches the independent PyTorch reference to 1e-4 on every hidden state', async () => {
    const expected: Expected = JSON.parse(await readFile(join(FIXTURE, 'expected.json'), 'utf8'));
    const model = await BertModel.fromPretrained(FIXTURE);
    expect(model.config.hiddenSize).toBe(32);
    expect(model.hasPooler).toBe(true);
    const ids = tf.tensor2d(expected.input_ids, undefined, 'int32');
    const mask = tf.tensor2d(expected.attention_mask, undefined, 'int32');
    const types = tf.tensor2d(expected.token_type_ids, undefined, 'int32');
    const out = model.apply(ids, mask, types);
    expect(out.hiddenStates).toHaveLength(3);
    expect(out.lastHidden).toBe(out.hiddenStates[2]);
    for (let l = 0; l < 3; l++) {
      expect(out.hiddenStates[l].shape).toEqual(expected.shape);
      expect(maxAbsDiff(out.hiddenStates[l].dataSync(), expected.hidden_states[l])).toBeLessThan(1e-4);
    }
    expect(maxAbsDiff(model.pool(out.lastHidden).dataSync(), expected.pooled)).toBeLessThan(1e-4);
    // A perturbed model must not pass: guards against a test that cannot fail.
    // (A constant shift would be removed by the LayerNorm, so perturb one coordinate.)
    const w = model.params.get('encoder.layer.1.output.dense.bias')!;
    w.assign(w.add(tf.oneHot(3, 32).mul(0.05)));
    const perturbed = model.apply(ids, mask, types).lastHidden.dataSync();
    expect(maxAbsDiff(perturbed, expected.hidden_states[2])).toBeGreaterThan(1e-3);
    model.dispose();
  });

  test('save writes HF layout that loads back identically (with and without the bert. prefix)', async () => {
    const model = await BertModel.fromPretrained(FIXTURE);
    const dir = await mkdtemp(join(tmpdir(), 'optical-bert-'));
    await model.save(dir);
    const names = [...(await readSafetensors(join(dir, 'model.safetensors'))).keys()];
    expect(names).toContain('encoder.layer.0.attention.self.query.weight');
    expect(names).toContain('embeddings.LayerNorm.weight');
    const config = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(config.hidden_size).toBe(32);
    expect(config.layer_norm_eps).toBe(1e-12);
    const again = await BertModel.fromPretrained(dir);
    for (const [name, v] of model.params) {
      expect(maxAbsDiff(v.dataSync(), again.params.get(name)!.dataSync())).toBe(0);
    }
    const prefixed = await mkdtemp(join(tmpdir(), 'optical-bert-'));
    await model.save(prefixed, { prefix: 'bert.' });
    expect([...(await readSafetensors(join(prefixed, 'model.safetensors'))).keys()]).toContain('bert.pooler.dense.weight');
    const third = await BertModel.fromPretrained(prefixed);
    expect(third.params.size).toBe(model.params.size);
    model.dispose(); again.dispose(); third.dispose();
  });

  test('RoBERTa-family checkpoints (roberta. prefix) offset positions by pad_token_id + 1', () => {
    const base = { ...TINY_BERT, vocabSize: 30, hiddenSize: 16, intermediateSize: 32, maxPositionEmbeddings: 12, padTokenId: 1 };
    const bert = BertModel.random(base, 4);
    const tensors = bert.tensorMap('roberta.');
    // Same weights, but the RoBERTa table is the BERT table shifted down by padTokenId + 1 = 2 rows.
    const pos = tensors.get('roberta.embeddings.position_embeddings.weight')!;
    const shifted = new Float32Array(pos.data.length);
    shifted.set(pos.data.subarray(0, pos.data.length - 2 * 16), 2 * 16);
    tensors.set('roberta.embeddings.position_embeddings.weight', { shape: pos.shape, data: shifted });
    const roberta = BertModel.fromTensors({ ...base, modelType: 'xlm-roberta' }, tensors);
    const ids = tf.tensor2d([[0, 5, 7, 2]], undefined, 'int32');
    const mask = tf.onesLike(ids);
    expect(maxAbsDiff(roberta.apply(ids, mask).lastHidden.dataSync(), bert.apply(ids, mask).lastHidden.dataSync())).toBeLessThan(1e-6);
    // 12 positions minus the offset of 2 leave room for 10 tokens.
    expect(() => roberta.apply(tf.zeros([1, 11], 'int32') as tf.Tensor2D, tf.ones([1, 11], 'int32') as tf.Tensor2D)).toThrow(/max_position_embeddings 10/);
    bert.dispose(); roberta.dispose();
  });

  test('padding does not change the hidden states of real tokens', () => {
    const model = BertModel.random({ ...TINY_BERT, vocabSize: 50, hiddenSize: 16, intermediateSize: 32 }, 7);
    const short = model.apply(tf.tensor2d([[2, 9, 11, 3]], undefined, 'int32'), tf.tensor2d([[1, 1, 1, 1]], undefined, 'int32')).lastHidden;
    const padded = model.apply(tf.tensor2d([[2, 9, 11, 3, 0, 0]], undefined, 'int32'), tf.tensor2d([[1, 1, 1, 1, 0, 0]], undefined, 'int32')).lastHidden;
    expect(maxAbsDiff(short.dataSync(), padded.slice([0, 0, 0], [1, 4, -1]).dataSync())).toBeLessThan(1e-5);
    model.dispose();
  });

  test('trains on wasm: gradients reach every parameter and the loss falls', () => {
    const config = { ...TINY_BERT, vocabSize: 30, hiddenSize: 16, intermediateSize: 32, numHiddenLayers: 1, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };
    const model = BertModel.random(config, 3);
    const ids = tf.tensor2d([[2, 5, 6, 3], [2, 7, 3, 0]], undefined, 'int32');
    const mask = tf.tensor2d([[1, 1, 1, 1], [1, 1, 1, 0]], undefined, 'int32');
    const target = tf.randomNormal([2, 4, 16], 0, 1, 'float32', 1);
    const optimizer = tf.train.adam(0.01);
    const losses: number[] = [];
    for (let step = 0; step < 30; step++) {
      const { value, grads } = tf.variableGrads(() => model.apply(ids, mask).lastHidden.sub(target).square().mean() as tf.Scalar, model.trainableVariables());
      if (step === 0) {
        const withGrad = Object.values(grads).filter((g) => g.abs().sum().dataSync()[0] > 0).length;
        // The pooler is not on this loss's path; every other parameter is.
        expect(withGrad).toBe(model.params.size - 2);
      }
      optimizer.applyGradients(grads as Record<string, tf.Variable>);
      losses.push(value.dataSync()[0]);
      tf.dispose([value, ...Object.values(grads)]);
    }
    expect(losses[29]).toBeLessThan(losses[0] * 0.7);
    model.dispose();
  });

  test('dropout is active only in training and is reproducible from the seed', () => {
    const model = BertModel.random({ ...TINY_BERT, vocabSize: 20, hiddenSize: 16, intermediateSize: 32 }, 1);
    const ids = tf.tensor2d([[2, 5, 6, 3]], undefined, 'int32');
    const mask = tf.onesLike(ids);
    const evalA = model.apply(ids, mask).lastHidden.dataSync();
    const evalB = model.apply(ids, mask).lastHidden.dataSync();
    expect(maxAbsDiff(evalA, evalB)).toBe(0);
    const trainA = model.apply(ids, mask, undefined, { training: true, seed: 5 }).lastHidden.dataSync();
    const trainB = model.apply(ids, mask, undefined, { training: true, seed: 5 }).lastHidden.dataSync();
    const trainC = model.apply(ids, mask, undefined, { training: true, seed: 6 }).lastHidden.dataSync();
    expect(maxAbsDiff(trainA, trainB)).toBe(0);
    expect(maxAbsDiff(trainA, trainC)).toBeGreaterThan(1e-3);
    expect(maxAbsDiff(trainA, evalA)).toBeGreaterThan(1e-3);
    model.dispose();
  });

  test('rejects bad inputs and checkpoints with clear errors', async () => {
    const model = BertModel.random({ ...TINY_BERT, vocabSize: 20, hiddenSize: 16, intermediateSize: 32, maxPositionEmbeddings: 8 }, 1);
    const ids = tf.zeros([1, 9], 'int32') as tf.Tensor2D;
    expect(() => model.apply(ids, tf.onesLike(ids))).toThrow(/exceeds max_position_embeddings/);
    expect(() => model.apply(tf.zeros([1, 4], 'int32') as tf.Tensor2D, tf.ones([1, 5], 'int32') as tf.Tensor2D)).toThrow(/attentionMask shape/);
    expect(() => BertModel.random({ ...TINY_BERT, vocabSize: 20, hiddenSize: 10, numAttentionHeads: 3 })).toThrow(/divisible/);
    await expect(BertModel.fromPretrained(join(FIXTURE, 'nope'))).rejects.toThrow(/config.json/);
    const tensors = await readSafetensors(join(FIXTURE, 'model.safetensors'));
    tensors.delete('bert.encoder.layer.1.output.dense.weight');
    const config = JSON.parse(await readFile(join(FIXTURE, 'config.json'), 'utf8'));
    const { fromHfConfig } = await import('../../src/models/bert-config.js');
    expect(() => BertModel.fromTensors(fromHfConfig(config), tensors)).toThrow(/encoder.layer.1.output.dense.weight/);
    model.dispose();
  });
});
