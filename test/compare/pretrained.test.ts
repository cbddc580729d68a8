/**
 * `model.pretrained`: a compare whose teacher is fine-tuned from an `optical pretrain` encoder (UDHR
 * EN→sw, tiny budgets), and the refusals when the encoder's corpus could hold the compare's test
 * text (by unit: another evaluated fold; by text: a test paragraph in corpus.txt).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateCompareConfig, type CompareConfig } from '../../src/compare/config.js';
import { runCompare } from '../../src/compare/run-compare.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import { validatePretrainConfig } from '../../src/train/pretrain/config.js';
import { pretrain, type PretrainResult } from '../../src/train/pretrain/pretrain.js';
import { readUdhrDeclaration } from '../../src/data/udhr.js';

const englishPairs = (count: number, seed: number, exclude: ReadonlySet<string>) => sotuEnglishPairs(Math.min(count, 60), seed, exclude);

function compareConfig(encoder: string, over: Record<string, unknown> = {}): CompareConfig {
  return validateCompareConfig({
    name: 'pt-compare', languages: ['sw'],
    data: { folds: 3, evalFolds: [0], bitext: ['test-train', 'cldr'], lexicon: ['cldr'], maxBitext: 40, englishPairs: 40 },
    model: { pretrained: encoder },
    teacher: { steps: 4, batchSize: 4, pairs: 12 },
    budget: { steps: 2, batchSize: 4, maxLength: 24 },
    methods: [{ name: 'zero-shot', kind: 'zero-shot' }, { name: 'bl-cs', kind: 'cs-finetune', p: 0.5 }],
    seeds: [1], scenarios: ['clir'], stats: { bootstrap: 200 },
    ...over,
  });
}

describe('compare with model.pretrained', () => {
  let root: string;
  let encoder: PretrainResult;
  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'optical-pretrained-'));
    encoder = await pretrain(validatePretrainConfig({
      name: 'sw-enc', languages: ['sw'], heldOut: { test: 'udhr', folds: 3, evalFolds: [0] },
      corpus: { sotuPassages: 80, udhrLanguages: 1, lexicon: ['cldr'] }, vocab: { size: 1200 }, model: { size: 'tiny' },
      train: { steps: 6, batchSize: 4, maxLength: 24, checkpointEvery: 6 },
    }), { outRoot: root, engine: 'native' });
  }, 240_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('fine-tunes the teacher from the encoder (its vocabulary) and runs every method from it', async () => {
    const r = await runCompare(compareConfig(encoder.dir), { outRoot: root, englishPairs, engine: 'native' });
    expect(r.report.units.length).toBe(2);
    const manifest = JSON.parse(readFileSync(join(r.dir, 'manifest.json'), 'utf8'));
    const teacherTokenizer = readFileSync(join(manifest.teacher.dir, 'tokenizer.json'), 'utf8');
    expect(JSON.parse(teacherTokenizer)).toEqual(JSON.parse(readFileSync(join(encoder.finalDir, 'tokenizer.json'), 'utf8')));
    expect(r.data.notes.some((n) => n.startsWith(`Pre-trained encoder ${encoder.dir}`))).toBe(true);
  }, 240_000);

  it('refuses an encoder whose corpus holds units this compare tests', async () => {
    await expect(runCompare(compareConfig(encoder.dir, { name: 'pt-other-fold', data: { folds: 3, evalFolds: [1], bitext: ['cldr'], lexicon: ['cldr'], maxBitext: 40, englishPairs: 40 } }), { outRoot: root, englishPairs, engine: 'native' }))
      .rejects.toThrow(/its corpus holds text of \d+ udhr unit\(s\) this compare tests/);
  }, 120_000);

  it('refuses an encoder whose corpus.txt contains a test paragraph', async () => {
    const corpus = join(encoder.dir, 'corpus.txt');
    const saved = readFileSync(corpus);
    // Article 1 is in some evaluated fold's test set only when it is in fold 0: use every article's paragraph to be sure one is.
    const paragraphs = [...readUdhrDeclaration('swh').articles.values()].flat();
    appendFileSync(corpus, paragraphs.join('\n') + '\n');
    try {
      await expect(runCompare(compareConfig(encoder.dir, { name: 'pt-leak' }), { outRoot: root, englishPairs, engine: 'native' }))
        .rejects.toThrow(/line\(s\) of its corpus\.txt are test texts of this compare/);
    } finally {
      writeFileSync(corpus, saved);
    }
  }, 120_000);

  it('refuses a folder that holds no finished pre-training, and mixing model fields', () => {
    expect(() => validateCompareConfig({ name: 'x', languages: ['sw'], model: { pretrained: 'a', size: 'tiny' }, methods: [{ name: 'z', kind: 'zero-shot' }], seeds: [1] }))
      .toThrow(/give one of 'size', 'path' and 'pretrained', not 'size' and 'pretrained'/);
    return expect(runCompare(compareConfig(join(root, 'nowhere'), { name: 'pt-missing' }), { outRoot: root, englishPairs, engine: 'native' })).rejects.toThrow(/model\.pretrained: .*nowhere does not exist/);
  }, 60_000);
});
