import { beforeAll, describe, expect, test } from 'vitest';
import { mkdtemp, readFile, writeFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initTf, tf } from '../../src/models/tf.js';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { EngineName } from '../../src/models/engine/types.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { CrossEncoder } from '../../src/train/cross-encoder.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { Trainer, type LogRecord } from '../../src/train/trainer.js';
import { readTrainingExamples } from '../../src/train/examples.js';
import type { RankingModel, TrainingExample } from '../../src/train/ranking-model.js';
import { Rng } from '../../src/random/rng.js';

// Synthetic retrieval task: the relevant passage repeats the query's topic word, negatives do not.
const TOPICS = ['maji', 'elimu', 'afya', 'kazi', 'haki', 'chakula', 'nyumba', 'amani'];
const FILLER = ['the', 'people', 'have', 'right', 'to', 'wote', 'na', 'ya', 'kila', 'mtu'];

function makeExamples(n: number, seed: number): TrainingExample[] {
  const rng = new Rng(seed);
  const sentence = (topic: string | null) => {
    const words = Array.from({ length: 5 }, () => FILLER[rng.int(FILLER.length)]);
    if (topic) words.splice(rng.int(words.length), 0, topic);
    return words.join(' ');
  };
  return Array.from({ length: n }, () => {
    const t = rng.int(TOPICS.length);
    const other = TOPICS[(t + 1 + rng.int(TOPICS.length - 1)) % TOPICS.length];
    return { query: TOPICS[t], positive: sentence(TOPICS[t]), negatives: [sentence(other)] };
  });
}

const train = makeExamples(64, 1);
const dev = makeExamples(16, 2);
let tokenizer: TextTokenizer;
let config: BertConfig;

beforeAll(async () => {
  await initTf();
  tokenizer = new TextTokenizer(trainWordPiece([...TOPICS, ...FILLER, ...train.flatMap((e) => [e.query, e.positive])], { vocabSize: 60, minFrequency: 1 }));
  config = { ...TINY_BERT, vocabSize: tokenizer.vocabSize, hiddenSize: 32, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32, maxPositionEmbeddings: 32 };
});

/** Fraction of queries whose positive outscores the negative. */
async function accuracyOn(set: TrainingExample[], model: RankingModel): Promise<number> {
  const pos = await model.score(set.map((e) => e.query), set.map((e) => e.positive));
  const neg = await model.score(set.map((e) => e.query), set.map((e) => e.negatives[0]));
  return pos.reduce((s, p, i) => s + (p > neg[i] ? 1 : 0), 0) / set.length;
}
const pairwiseAccuracy = (model: RankingModel) => accuracyOn(dev, model);
const trainAccuracy = (model: RankingModel) => accuracyOn(train.slice(0, 32), model);

async function crossEncoder(seed = 0, engine?: EngineName) {
  return new CrossEncoder(await randomEngine(config, { seed, engine, heads: { classifier: true } }), tokenizer, { maxLength: 24 });
}

async function weightsOf(model: RankingModel): Promise<Map<string, Float32Array>> {
  return new Map([...(await model.engine.getParameters())].map(([n, t]) => [n, t.data]));
}

describe('Trainer with ranking heads', () => {
  // A from-scratch cross-encoder needs far more steps than a unit test can afford to learn query–
  // document matching that generalises (two layers of attention must find the shared word), so this
  // test checks that the BCE head and the loop fit the training pairs; the bi-encoder test below checks
  // generalisation to held-out pairs.
  test('cross-encoder fits its training pairs (BCE), logs JSONL and saves an HF-layout model that reloads', async () => {
    const out = await mkdtemp(join(tmpdir(), 'optical-ce-'));
    const model = await crossEncoder(3);
    const before = await trainAccuracy(model);
    const logs: LogRecord[] = [];
    const trainer = new Trainer({ model, examples: train, outputDir: out, steps: 80, batchSize: 8, lr: 3e-3, warmupSteps: 5, seed: 1, evalEvery: 40, evaluate: trainAccuracy, onLog: (r) => logs.push(r), logEvery: 10 });
    const result = await trainer.run();
    expect(result.finished).toBe(true);
    expect(result.bestMetric).toBeGreaterThanOrEqual(0.85);
    expect(result.bestMetric!).toBeGreaterThan(before);
    const steps = logs.filter((r) => r.type === 'step');
    expect(steps[steps.length - 1].loss!).toBeLessThan(0.5);
    expect(steps[0].loss!).toBeGreaterThan(0.6);
    const lines = (await readFile(join(out, 'train-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.type === 'eval')).toHaveLength(2);
    const cfg = JSON.parse(await readFile(join(out, 'final', 'config.json'), 'utf8'));
    expect(cfg.architectures).toEqual(['BertForSequenceClassification']);
    expect(cfg.num_labels).toBe(1);
    const reloaded = await CrossEncoder.fromPretrained(join(out, 'final'), { maxLength: 24 });
    const a = await model.score(['maji'], ['kila mtu maji']);
    const b = await reloaded.score(['maji'], ['kila mtu maji']);
    expect(b[0]).toBeCloseTo(a[0], 5);
    expect(await readdir(join(out, 'best'))).toContain('tokenizer.json');
    reloaded.dispose(); model.dispose();
  });

  test.each(['native', 'tfjs'] as const)('bi-encoder learns the task (InfoNCE with in-batch + hard negatives) and reloads (%s engine)', async (engine) => {
    const out = await mkdtemp(join(tmpdir(), 'optical-bi-'));
    const model = new BiEncoder(await randomEngine(config, { seed: 5, engine }), tokenizer, { maxLength: 16, temperature: 0.1 });
    const trainer = new Trainer({ model, examples: train, outputDir: out, steps: 60, batchSize: 8, lr: 3e-3, warmupSteps: 5, seed: 2, evalEvery: 60, evaluate: pairwiseAccuracy });
    const result = await trainer.run();
    expect(result.bestMetric).toBeGreaterThanOrEqual(0.8);
    const reloaded = await BiEncoder.fromPretrained(join(out, 'final'), { maxLength: 16, engine });
    expect((await reloaded.score(['maji'], ['maji na']))[0]).toBeCloseTo((await model.score(['maji'], ['maji na']))[0], 5);
    expect(await readdir(join(out, 'final'))).toEqual(expect.arrayContaining(['modules.json', '1_Pooling', 'config.json', 'model.safetensors']));
    const reps = await model.tokenStates(['maji na elimu'], 1);
    expect(reps[0].vectors.length / reps[0].count).toBe(32);
    expect(reps[0].encoding.wordIds[0]).toBeNull();
    reloaded.dispose(); model.dispose();
  });

  test.each(['native', 'tfjs'] as const)('a run stopped at a checkpoint and resumed ends with bitwise the same weights (%s engine)', async (engine) => {
    const common = { examples: train, steps: 8, batchSize: 5, lr: 2e-3, warmupSteps: 2, seed: 9, evalEvery: 4, checkpointEvery: 4, evaluate: pairwiseAccuracy, saveModels: false };
    const full = await crossEncoder(1, engine);
    const fullResult = await new Trainer({ ...common, model: full, outputDir: await mkdtemp(join(tmpdir(), 'optical-full-')) }).run();

    const dir = await mkdtemp(join(tmpdir(), 'optical-resume-'));
    const first = await crossEncoder(1, engine);
    const part = await new Trainer({ ...common, model: first, outputDir: dir, maxStepsThisRun: 4 }).run();
    expect(part).toMatchObject({ step: 4, finished: false });
    first.dispose();
    // A fresh process: a new engine, a different init seed even; the checkpoint decides.
    const second = await crossEncoder(77, engine);
    const resumed = await new Trainer({ ...common, model: second, outputDir: dir }).run();
    expect(resumed.step).toBe(8);
    expect(resumed.bestMetric).toBe(fullResult.bestMetric);
    const a = await weightsOf(full);
    const b = await weightsOf(second);
    let maxDiff = 0;
    for (const [name, w] of a) for (let i = 0; i < w.length; i++) maxDiff = Math.max(maxDiff, Math.abs(w[i] - b.get(name)![i]));
    expect(maxDiff).toBeLessThanOrEqual(engine === 'native' ? 0 : 1e-6);
    // And training actually moved the weights (the comparison is not between two untouched models).
    const untouchedModel = await crossEncoder(1, engine);
    const untouched = await weightsOf(untouchedModel);
    expect(untouched.get('classifier.weight')).not.toEqual(a.get('classifier.weight'));
    const log = (await readFile(join(dir, 'train-log.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(log.some((r) => r.type === 'resume' && r.step === 4)).toBe(true);

    await expect(new Trainer({ ...common, lr: 1e-3, model: untouchedModel, outputDir: dir }).run()).rejects.toThrow(/lr=0.002/);
    for (const m of [full, second, untouchedModel]) m.dispose();
  });

  test('early stopping after `patience` evaluations without improvement', async () => {
    let calls = 0;
    const model = await crossEncoder(2);
    const trainer = new Trainer({ model, examples: train, outputDir: await mkdtemp(join(tmpdir(), 'optical-es-')), steps: 50, batchSize: 4, evalEvery: 2, patience: 2, saveModels: false, evaluate: async () => 1 / ++calls });
    const r = await trainer.run();
    expect(r.stoppedEarly).toBe(true);
    expect(r.step).toBe(6);
    expect(r.bestStep).toBe(2);
    model.dispose();
  });

  test('no tensors leak on the tfjs engine: training, evaluation, checkpointing and dispose leave the tensor count unchanged', async () => {
    const before = tf.memory().numTensors;
    for (const make of [() => crossEncoder(4, 'tfjs'), async () => new BiEncoder(await randomEngine(config, { seed: 4, engine: 'tfjs' }), tokenizer, { maxLength: 16 })]) {
      const model = await make();
      const trainer = new Trainer({ model, examples: train.slice(0, 12), outputDir: await mkdtemp(join(tmpdir(), 'optical-leak-')), steps: 3, batchSize: 4, evalEvery: 2, evaluate: pairwiseAccuracy });
      await trainer.run();
      model.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });

  test('rejects bad settings with named errors', async () => {
    const model = await crossEncoder(0);
    const o = { model, examples: train, outputDir: '/tmp/x', steps: 10 };
    expect(() => new Trainer({ ...o, steps: 0 })).toThrow(/steps/);
    expect(() => new Trainer({ ...o, batchSize: 1.5 })).toThrow(/batchSize/);
    expect(() => new Trainer({ ...o, examples: [] })).toThrow(/examples/);
    expect(() => new Trainer({ ...o, warmupSteps: 11 })).toThrow(/warmupSteps/);
    expect(() => new Trainer({ ...o, clipNorm: 0 })).toThrow(/clipNorm/);
    model.dispose();
  });
});

describe('readTrainingExamples', () => {
  test('reads MS MARCO triples and JSONL (with and without negatives), with line-numbered errors', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-ex-'));
    await writeFile(join(dir, 't.tsv'), 'q1\tp1\tn1\nq2\tp2\tn2\tn3\n\n');
    await writeFile(join(dir, 'e.jsonl'), '{"query":"q","positive":"p","negatives":["a","b"]}\n{"query":"q2","positive":"p2"}\n{"id":"sotu-1","src":"s","tgt":"t","kind":"inverse-cloze"}\n');
    expect(await readTrainingExamples(join(dir, 't.tsv'))).toEqual([
      { query: 'q1', positive: 'p1', negatives: ['n1'] },
      { query: 'q2', positive: 'p2', negatives: ['n2', 'n3'] },
    ]);
    expect(await readTrainingExamples(join(dir, 'e.jsonl'))).toEqual([
      { query: 'q', positive: 'p', negatives: ['a', 'b'] },
      { query: 'q2', positive: 'p2', negatives: [] },
      { query: 's', positive: 't', negatives: [] },
    ]);
    await writeFile(join(dir, 'bad.jsonl'), '{"query":"q","positive":"p"}\n{"query":"q"}\n');
    await expect(readTrainingExamples(join(dir, 'bad.jsonl'))).rejects.toThrow(/bad.jsonl:2: "positive"/);
    await writeFile(join(dir, 'bad.tsv'), 'only-one-column\n');
    await expect(readTrainingExamples(join(dir, 'bad.tsv'))).rejects.toThrow(/bad.tsv:1/);
    await expect(readTrainingExamples(join(dir, 'missing.tsv'))).rejects.toThrow(/not found/);
    await expect(readTrainingExamples(join(dir, 'x.csv'))).rejects.toThrow(/extension/);
  });
});
