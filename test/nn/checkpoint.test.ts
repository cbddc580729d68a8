/** Engines load the HF folders src/models reads and save layouts that src/models (and HF) read back. */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { BertModel } from '../../src/models/bert.js';
import { tf } from '../../src/models/tf.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { loadEngine, saveEngine, randomEngine } from '../../src/models/engine/index.js';
import type { EngineName } from '../../src/models/engine/types.js';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { maxAbsDiff, nativeAvailable, relDiff } from './helpers.js';

const native = nativeAvailable();
const TINY_BERT_DIR = join(import.meta.dirname, '..', 'models', 'fixtures', 'tiny-bert');

describe.each(['native', 'tfjs'] as EngineName[])('%s engine checkpoints', (name) => {
  const skip = name === 'native' && !native.ok;

  test.skipIf(skip)('loads the tiny-bert fixture folder (bert. prefix, pooler) and reproduces its PyTorch hidden states', async () => {
    const expected = JSON.parse(await readFile(join(TINY_BERT_DIR, 'expected.json'), 'utf8'));
    const engine = await loadEngine(TINY_BERT_DIR, { engine: name });
    expect(engine.name).toBe(name);
    expect(engine.heads).toEqual({ pooler: true, classifier: false, mlm: false });
    const [B, L] = expected.shape;
    const input = {
      ids: Int32Array.from(expected.input_ids.flat()), mask: Uint8Array.from(expected.attention_mask.flat()),
      types: Int32Array.from(expected.token_type_ids.flat()), batch: B, length: L,
    };
    const out = await engine.encode(input, { layers: [0, 1, 2] });
    out.hidden.forEach((h, l) => expect(relDiff(h, expected.hidden_states[l]), `layer ${l}`).toBeLessThan(1e-5));
    engine.dispose();
  });

  test.skipIf(skip)('cross-encoder layout: CrossEncoder-compatible folder, logits survive the round trip', async () => {
    const config: BertConfig = { ...TINY_BERT, vocabSize: 40, hiddenSize: 16, intermediateSize: 32, numAttentionHeads: 2, maxPositionEmbeddings: 16 };
    const engine = await randomEngine(config, { engine: name, seed: 3, heads: { classifier: true } });
    expect(engine.heads).toEqual({ pooler: true, classifier: true, mlm: false });
    const input = { ids: Int32Array.from([2, 7, 3, 9, 3, 2, 8, 3, 0, 0]), mask: Uint8Array.from([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), types: Int32Array.from([0, 0, 0, 1, 1, 0, 0, 0, 0, 0]), batch: 2, length: 5 };
    const before = (await engine.encode(input, { logits: true })).logits!;
    const dir = await mkdtemp(join(tmpdir(), 'optical-engine-'));
    await saveEngine(engine, dir, { layout: 'cross-encoder' });
    const raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(raw.architectures).toEqual(['BertForSequenceClassification']);
    expect(raw.num_labels).toBe(1);
    const names = [...(await readSafetensors(join(dir, 'model.safetensors'))).keys()];
    expect(names).toContain('bert.pooler.dense.weight');
    expect(names).toContain('classifier.weight');
    const again = await loadEngine(dir, { engine: name });
    expect(again.heads.classifier).toBe(true);
    expect(maxAbsDiff((await again.encode(input, { logits: true })).logits!, before)).toBe(0);
    // The tfjs BertModel reads the same folder.
    const bert = await BertModel.fromPretrained(dir);
    const hidden = tf.tidy(() => bert.apply(tf.tensor2d(input.ids, [2, 5], 'int32'), tf.tensor2d(Int32Array.from(input.mask), [2, 5], 'int32'), tf.tensor2d(input.types, [2, 5], 'int32')).lastHidden.dataSync());
    expect(relDiff((await again.encode(input, { layers: [2] })).hidden[0], hidden)).toBeLessThan(1e-5);
    bert.dispose();
    engine.dispose();
    again.dispose();
  });

  test.skipIf(skip)('masked-LM layout of an XLM-R model uses roberta. / lm_head.* names and loads back; heads can be added and dropped', async () => {
    const config: BertConfig = { ...TINY_BERT, vocabSize: 30, hiddenSize: 8, intermediateSize: 16, numAttentionHeads: 2, maxPositionEmbeddings: 12, padTokenId: 1, typeVocabSize: 1, modelType: 'xlm-roberta' };
    const engine = await randomEngine(config, { engine: name, seed: 4, heads: { mlm: true } });
    const dir = await mkdtemp(join(tmpdir(), 'optical-engine-'));
    await saveEngine(engine, dir, { layout: 'masked-lm', configExtra: { optical: { kind: 'mlm' } } });
    const raw = JSON.parse(await readFile(join(dir, 'config.json'), 'utf8'));
    expect(raw.architectures).toEqual(['XLMRobertaForMaskedLM']);
    expect(raw.optical).toEqual({ kind: 'mlm' });
    const names = [...(await readSafetensors(join(dir, 'model.safetensors'))).keys()];
    expect(names).toContain('lm_head.dense.weight');
    expect(names).toContain('lm_head.bias');
    expect(names).toContain('roberta.embeddings.word_embeddings.weight');
    const again = await loadEngine(dir, { engine: name });
    expect(again.heads).toEqual({ pooler: false, classifier: false, mlm: true });
    const a = await engine.getParameters();
    const b = await again.getParameters();
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [n, t] of a) expect(maxAbsDiff(b.get(n)!.data, t.data), n).toBe(0);
    const trimmed = await loadEngine(dir, { engine: name, heads: { mlm: false, classifier: true } });
    expect(trimmed.heads).toEqual({ pooler: true, classifier: true, mlm: false });
    engine.dispose();
    again.dispose();
    trimmed.dispose();
  });
});
