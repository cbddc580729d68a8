/**
 * `optical pretrain` on real offline data (UDHR EN→sw as the test recipe, CLDR phrases and lexicon,
 * a few SOTU passages, other languages' UDHR): no test text reaches the corpus or the vocabulary,
 * the measured CS frequency grows with p, and a run stopped at a checkpoint and resumed ends with
 * bitwise the same encoder as an uninterrupted one.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPretrainConfig, shippedPretrainConfigNames, validatePretrainConfig, type PretrainConfig } from '../../src/train/pretrain/config.js';
import { loadCompareConfig, shippedConfigNames } from '../../src/compare/config-file.js';
import { buildPretrainCorpus, heldOutConfig, type PretrainCorpus } from '../../src/train/pretrain/corpus.js';
import { pretrain } from '../../src/train/pretrain/pretrain.js';
import { testSource } from '../../src/compare/experiment-data.js';
import { evalFoldNumbers } from '../../src/compare/units.js';
import { textKey } from '../../src/data/split.js';
import { readUdhrDeclaration } from '../../src/data/udhr.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';

function config(over: Record<string, unknown> = {}): PretrainConfig {
  return validatePretrainConfig({
    name: 'pt-test', languages: ['sw'],
    heldOut: { test: 'udhr', folds: 3, evalFolds: 'all' },
    corpus: { sotuPassages: 150, udhrLanguages: 2, lexicon: ['cldr'] },
    vocab: { size: 1500 }, model: { size: 'tiny' },
    train: { steps: 8, batchSize: 4, maxLength: 32, checkpointEvery: 4, logEvery: 2 },
    ...over,
  }, 'test');
}

/** Every text of every evaluated fold's test sets (topics, documents, document paragraphs). */
async function testTexts(c: PretrainConfig): Promise<string[]> {
  const held = heldOutConfig(c);
  const src = await testSource(held.data.test, held, [], { log: () => {}, update: () => {}, done: () => {} } as never);
  const out: string[] = [];
  for (const k of evalFoldNumbers(held)) {
    for (const s of src.foldTests(k).sets.values()) {
      out.push(...s.topics.map((t) => t.text));
      for (const d of s.collection) out.push(d.text, ...d.text.split('\n'));
    }
  }
  return out;
}

describe('pre-training corpus', () => {
  let corpus: PretrainCorpus;
  beforeAll(async () => {
    corpus = await buildPretrainCorpus(config());
  }, 120_000);

  it('holds no held-out test text, and the UDHR test articles of sw and English stay out', async () => {
    const banned = new Set((await testTexts(config())).map(textKey));
    expect(banned.size).toBeGreaterThan(50);
    const leaked = corpus.lines.filter((l) => banned.has(textKey(l)));
    expect(leaked).toEqual([]);
    // Every article paragraph of the English and Swahili declarations is a test text (all folds evaluated).
    const lines = new Set(corpus.lines.map(textKey));
    for (const code of ['eng', 'swh']) {
      for (const paras of readUdhrDeclaration(code).articles.values()) for (const p of paras) expect(lines.has(textKey(p))).toBe(false);
    }
    expect(corpus.includedUnits.udhr).toEqual([]);
    expect(corpus.udhrOther.length).toBe(2);
    expect(corpus.udhrOther.some((c) => c.startsWith('eng') || c === 'swh')).toBe(false);
    expect(corpus.bySource.sotu.lines).toBe(150);
    expect(corpus.bySource['cldr.sw'].lines).toBeGreaterThan(1000);
  });

  it('with one evaluated fold, the other folds\' articles enter and the tested ones do not', async () => {
    const c = config({ heldOut: { test: 'udhr', folds: 3, evalFolds: [0] }, corpus: { sources: ['udhr'] } });
    const one = await buildPretrainCorpus(c);
    const held = heldOutConfig(c);
    const tested = (await testSource('udhr', held, [], { log: () => {}, update: () => {}, done: () => {} } as never)).foldTests(0).testUnits;
    expect(one.includedUnits.udhr.length).toBe(30 - tested.length);
    for (const u of tested) expect(one.includedUnits.udhr).not.toContain(u);
    const banned = new Set((await testTexts(c)).map(textKey));
    expect(one.lines.filter((l) => banned.has(textKey(l)))).toEqual([]);
    expect(one.lines.length).toBeGreaterThan(20);
  }, 60_000);

  it('code-switches English passages at a measured frequency that grows with p', async () => {
    expect(corpus.codeSwitch.csFrequency).toBe(0);
    const switched = await buildPretrainCorpus(config({ codeSwitch: { p: 0.8 }, corpus: { sources: ['sotu', 'lexicon'], sotuPassages: 150, lexicon: ['cldr'] } }));
    expect(switched.codeSwitch.switchedTokens).toBeGreaterThan(0);
    expect(switched.codeSwitch.csFrequency).toBeGreaterThan(0);
    expect(switched.codeSwitch.replacementRate).toBeGreaterThan(0.7);
    expect(switched.codeSwitch.csFrequency).toBeCloseTo(switched.codeSwitch.switchedTokens / switched.codeSwitch.englishTokens, 12);
  }, 60_000);

  it('loads every shipped pre-training config, and each matches the compare configs that use it', () => {
    const names = shippedPretrainConfigNames();
    expect(names).toEqual(expect.arrayContaining(['pretrain-om-small', 'pretrain-sw-small', 'pretrain-sw-mini', 'pretrain-om-sweep']));
    for (const n of names) expect(loadPretrainConfig(n).name).toBe(n);
    for (const cn of shippedConfigNames()) {
      const c = loadCompareConfig(cn);
      if (!c.model.pretrained) continue;
      const p = loadPretrainConfig(c.model.pretrained.split('/').at(-1)!);
      const d = c.data;
      expect(p.languages, cn).toEqual(c.languages);
      expect(p.heldOut, cn).toEqual({ test: d.test, folds: d.folds, evalFolds: d.evalFolds, ...(d.shiftTest ? { shiftTest: d.shiftTest } : {}) });
    }
  });

  it('refuses bad configs naming the field', () => {
    expect(() => config({ codeSwitch: { p: 1.5 } })).toThrow(/codeSwitch\.p must be in \[0, 1\], got 1.5/);
    expect(() => config({ heldOut: { test: 'udhr', folds: 3, evalFolds: [5] } })).toThrow(/heldOut\.evalFolds\[0\] must be in \[0, 2\], got 5/);
    expect(() => config({ corpus: { sources: ['bible'] } })).toThrow(/corpus\.sources\[0\] must be one of/);
    expect(() => config({ codeSwitch: { p: 0.2 }, corpus: { sources: ['cldr'] } })).toThrow(/no 'sotu'/);
  });
});

describe('optical pretrain', () => {
  it('trains the vocabulary on the corpus only, and a resumed run equals an uninterrupted one bit for bit', async () => {
    const c = config({ corpus: { sotuPassages: 100, udhrLanguages: 1, lexicon: ['cldr'] } });
    const a = mkdtempSync(join(tmpdir(), 'optical-pt-a-'));
    const b = mkdtempSync(join(tmpdir(), 'optical-pt-b-'));
    const whole = await pretrain(c, { outRoot: a, engine: 'native' });
    expect(whole.finished).toBe(true);
    const first = await pretrain(c, { outRoot: b, engine: 'native', maxStepsThisRun: 3 });
    expect(first.finished).toBe(false);
    const rest = await pretrain(c, { outRoot: b, engine: 'native' });
    expect(rest.finished).toBe(true);
    expect(readFileSync(join(rest.finalDir, 'model.safetensors')).equals(readFileSync(join(whole.finalDir, 'model.safetensors')))).toBe(true);
    const m = whole.manifest!;
    expect(m.complete).toBe(true);
    expect(m.corpus.sha256).toBe(rest.manifest!.corpus.sha256);
    expect(m.training.dev === null || Number.isFinite(m.training.dev.loss)).toBe(true);
    // The vocabulary's whole words all occur in the corpus: none comes from test text.
    const tok = await TextTokenizer.fromFile(join(whole.finalDir, 'tokenizer.json'));
    const corpusText = readFileSync(join(whole.dir, 'corpus.txt'), 'utf8').toLowerCase();
    const vocab = Object.keys(tok.json.model.vocab as Record<string, number>).filter((t) => !t.startsWith('##') && !t.startsWith('[') && t.length >= 4);
    expect(vocab.length).toBeGreaterThan(100);
    for (const w of vocab) expect(corpusText.includes(w), w).toBe(true);
    // Words only the test articles have are not in the vocabulary.
    const testOnly = [...new Set((await testTexts(c)).flatMap((t) => t.toLowerCase().match(/\p{L}{6,}/gu) ?? []))].filter((w) => !corpusText.includes(w));
    expect(testOnly.length).toBeGreaterThan(20);
    for (const w of testOnly) expect(tok.tokenToId(w), w).toBeUndefined();
    // A second call reuses the finished run; another config under the same name is refused.
    expect((await pretrain(c, { outRoot: a, engine: 'native' })).manifest!.createdAt).toBe(m.createdAt);
    await expect(pretrain({ ...c, train: { ...c.train, steps: 9 } }, { outRoot: a, engine: 'native' })).rejects.toThrow(/another config/);
  }, 300_000);
});
