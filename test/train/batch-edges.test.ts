/**
 * Any data size must train: batches of one example, a batch with a single document, data smaller
 * than one batch. These are contracts for every training loop (the current tfjs Trainer and the
 * distillation loop, and whatever replaces them).
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { CrossEncoder } from '../../src/train/cross-encoder.js';
import { Trainer } from '../../src/train/trainer.js';
import { BatchSampler } from '../../src/train/batch-sampler.js';
import { HybridBatchModel } from '../../src/train/objectives/hybrid.js';
import { distill } from '../../src/train/distill.js';
import type { RankingModel, TrainingExample } from '../../src/train/ranking-model.js';

const WORDS = ['maji', 'safi', 'elimu', 'bora', 'afya', 'njema', 'water', 'clean', 'education', 'good', 'health'];
let tokenizer: TextTokenizer;
let config: BertConfig;

beforeAll(async () => {
  tokenizer = new TextTokenizer(trainWordPiece(WORDS, { vocabSize: 48, minFrequency: 1 }));
  config = { ...TINY_BERT, vocabSize: tokenizer.vocabSize, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 32 };
});

function pairs(n: number, negatives = false): TrainingExample[] {
  return Array.from({ length: n }, (_, i) => ({
    query: `${WORDS[i % 6]} ${WORDS[(i + 1) % 6]}`,
    positive: `${WORDS[6 + (i % 5)]} ${WORDS[i % 6]}`,
    negatives: negatives ? [WORDS[(i + 3) % 11]] : [],
  }));
}

const biEncoder = async (seed = 1) => new BiEncoder(await randomEngine(config, { seed, heads: { pooler: true } }), tokenizer, { maxLength: 8 });

/** The loss of one training step of `model` on `batch` (dropout on), leaving no gradients behind. */
async function stepLoss(model: RankingModel, batch: TrainingExample[]): Promise<number> {
  const spec = await model.objective.spec(batch, { step: 0, seed: 1 });
  const r = await model.engine.step({ ...spec, training: true, seed: 1 });
  await model.engine.zeroGradients();
  return r.loss;
}

describe('BatchSampler', () => {
  test('every epoch covers each example once and never leaves a batch of one behind', () => {
    for (let size = 1; size <= 40; size++) {
      for (let batchSize = 1; batchSize <= 12; batchSize++) {
        const s = new BatchSampler(size, batchSize, size * 100 + batchSize);
        for (let epoch = 0; epoch < 2; epoch++) {
          const seen: number[] = [];
          while (seen.length < size) {
            const b = s.next();
            expect(b.length).toBeGreaterThan(0);
            expect(b.length).toBeLessThanOrEqual(batchSize + 1);
            if (b.length === 1) expect(batchSize === 1 || size === 1).toBe(true);
            seen.push(...b);
          }
          expect(seen.length).toBe(size);
          expect(new Set(seen).size).toBe(size);
        }
      }
    }
  });

  test('restoring the state mid-epoch continues with the same batches', () => {
    const a = new BatchSampler(9, 8, 3);
    a.next(); a.next();
    const state = a.getState();
    const expected = [a.next(), a.next(), a.next()];
    const b = new BatchSampler(9, 8, 3);
    b.setState(state);
    expect([b.next(), b.next(), b.next()]).toEqual(expected);
  });
});

describe('a batch with a single document', () => {
  test.each(['native', 'tfjs'] as const)('bi-encoder InfoNCE on one example without negatives is 0, not a oneHot crash (%s engine)', async (engine) => {
    const model = new BiEncoder(await randomEngine(config, { seed: 1, engine }), tokenizer, { maxLength: 8 });
    expect(await stepLoss(model, pairs(1))).toBeCloseTo(0, 6);
    expect(await stepLoss(model, pairs(1, true))).toBeGreaterThan(0);
    model.dispose();
  });

  test.each(['native', 'tfjs'] as const)('cross-encoder BCE on a batch of one example without negatives (%s engine)', async (engine) => {
    const model = new CrossEncoder(await randomEngine(config, { seed: 2, engine, heads: { classifier: true } }), tokenizer, { maxLength: 12 });
    expect(Number.isFinite(await stepLoss(model, pairs(1)))).toBe(true);
    model.dispose();
  });
});

describe('Trainer: any data size trains', () => {
  // The encoder has a pooler the bi-encoder never uses (no gradient): its checkpoint must still resume.
  test('bi-encoder, 9 examples, batch 8 (the 361/8 case: a last batch of one), and a resume across that step', async () => {
    const common = { examples: pairs(9), steps: 4, batchSize: 8, lr: 1e-3, warmupSteps: 1, seed: 4, checkpointEvery: 1, saveModels: false };
    const full = await biEncoder(3);
    const r = await new Trainer({ ...common, model: full, outputDir: await mkdtemp(join(tmpdir(), 'optical-b1-')) }).run();
    expect(r).toMatchObject({ finished: true, step: 4 });
    expect(Number.isFinite(r.lastLoss!)).toBe(true);
    const dir = await mkdtemp(join(tmpdir(), 'optical-b1r-'));
    const first = await biEncoder(3);
    expect((await new Trainer({ ...common, model: first, outputDir: dir, maxStepsThisRun: 1 }).run()).step).toBe(1);
    const second = await biEncoder(3);
    expect(await new Trainer({ ...common, model: second, outputDir: dir }).run()).toMatchObject({ finished: true, step: 4 });
    const a = [...(await full.engine.getParameters()).values()].map((t) => [...t.data]);
    const b = [...(await second.engine.getParameters()).values()].map((t) => [...t.data]);
    expect(b).toEqual(a);
    for (const m of [full, first, second]) m.dispose();
  });

  test('fewer examples than one batch, with hard negatives: even a single example trains', async () => {
    for (const n of [1, 2, 3]) {
      const model = await biEncoder(5);
      const r = await new Trainer({ model, examples: pairs(n, true), outputDir: await mkdtemp(join(tmpdir(), 'optical-small-')), steps: 3, batchSize: 8, lr: 1e-3, saveModels: false }).run();
      expect(r.finished).toBe(true);
      model.dispose();
    }
  });

  test('hybrid batches with a cross-lingual pool of one', async () => {
    const inner = await biEncoder(6);
    const model = new HybridBatchModel(inner, pairs(1), 0);
    const r = await new Trainer({ model, examples: pairs(9), outputDir: await mkdtemp(join(tmpdir(), 'optical-hyb-')), steps: 2, batchSize: 8, lr: 1e-3, saveModels: false }).run();
    expect(r.finished).toBe(true);
    expect(model.batches.crossLingual).toBe(2);
    inner.dispose();
  });

  test('data where every batch holds one document is refused with the reason, not trained on silently', async () => {
    const model = await biEncoder(7);
    expect(() => new Trainer({ model, examples: pairs(1), outputDir: '/tmp/never', steps: 3 })).toThrow(/1 example\(s\), batchSize 16 and no hard negatives/);
    expect(() => new Trainer({ model, examples: pairs(5), outputDir: '/tmp/never', steps: 3, batchSize: 1 })).toThrow(/batchSize >= 2/);
    model.dispose();
  });

  test('the train log of a run with a short last batch has one record per logged step', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-b1log-'));
    const model = await biEncoder(8);
    await new Trainer({ model, examples: pairs(17), outputDir: dir, steps: 5, batchSize: 8, lr: 1e-3, logEvery: 1, saveModels: false }).run();
    const steps = (await readFile(join(dir, 'train-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l)).filter((l) => l.type === 'step');
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5]);
    model.dispose();
  });
});

describe('distill: any data size', () => {
  test('one bitext pair, batch larger than the data', async () => {
    const teacher = await randomEngine(config, { seed: 9 });
    const r = await distill({ teacher, tokenizer, bitext: [{ src: 'clean water', tgt: 'maji safi' }], steps: 2, batchSize: 4, maxLength: 8 });
    expect(r.log).toHaveLength(2);
    expect(r.log.every((s) => Number.isFinite(s.loss))).toBe(true);
    r.student.dispose();
    teacher.dispose();
  });
});
