/**
 * No silent NaN, no lost work: divergence stops training before anything non-finite is saved, a
 * damaged checkpoint is refused with its file and the problem, and a resume after SIGKILL leaves one
 * log record per step. Contracts of the one training loop, whatever the objective.
 */
import { beforeAll, describe, expect, test } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TINY_BERT, type BertConfig } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { Engine, OptimizerResult, StepResult, StepSpec } from '../../src/models/engine/types.js';
import { TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { readSafetensors } from '../../src/models/safetensors.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { Trainer, type LogRecord } from '../../src/train/trainer.js';
import { distill } from '../../src/train/distill.js';
import { TrainingDivergedError } from '../../src/train/divergence.js';
import type { RankingModel, TrainingExample } from '../../src/train/ranking-model.js';
import type { Trainable } from '../../src/train/objective.js';
import { command as distillCommand } from '../../src/cli/commands/distill.js';
import { CHECKPOINT_EVERY, STEPS } from './fixtures/train-child.js';

const WORDS = ['maji', 'safi', 'elimu', 'bora', 'afya', 'njema', 'water', 'clean', 'education', 'good', 'health'];
let tokenizer: TextTokenizer;
let config: BertConfig;

beforeAll(async () => {
  tokenizer = new TextTokenizer(trainWordPiece(WORDS, { vocabSize: 48, minFrequency: 1 }));
  config = { ...TINY_BERT, vocabSize: tokenizer.vocabSize, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 16, maxPositionEmbeddings: 32 };
});

const examples: TrainingExample[] = Array.from({ length: 12 }, (_, i) => ({ query: `${WORDS[i % 6]} ${WORDS[(i + 1) % 6]}`, positive: `${WORDS[6 + (i % 5)]} ${WORDS[i % 6]}`, negatives: [] }));
const biEncoder = async (seed = 1, engine?: 'native' | 'tfjs') => new BiEncoder(await randomEngine(config, { seed, engine }), tokenizer, { maxLength: 8 });

interface Breakage {
  /** Runs before the engine step (e.g. makes a weight overflow the forward pass). */
  beforeStep?: (engine: Engine) => Promise<void>;
  /** Replaces the optimizer step. */
  optimizerStep?: (engine: Engine) => Promise<OptimizerResult>;
}

/** Wraps a model so that from its `from`-th step on its engine misbehaves as `broken` says. */
class BreaksAt implements Trainable<TrainingExample> {
  steps = 0;
  readonly engine: Engine;
  constructor(readonly inner: RankingModel, readonly from: number, broken: Breakage) {
    const e = inner.engine;
    this.engine = new Proxy(e, {
      get: (target, key) => {
        if (key === 'step') {
          return async (spec: StepSpec): Promise<StepResult> => {
            if (++this.steps >= from) await broken.beforeStep?.(e);
            return e.step(spec);
          };
        }
        if (key === 'optimizerStep' && broken.optimizerStep) return (o: Parameters<Engine['optimizerStep']>[0]) => (this.steps >= from ? broken.optimizerStep!(e) : e.optimizerStep(o));
        const v = Reflect.get(target, key);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  }
  get objective() { return this.inner.objective; }
  save(dir: string) { return this.inner.save(dir); }
  dispose() { this.inner.dispose(); }
}

/** LayerNorm gains of 3e38 overflow the forward pass: the loss is NaN (a real divergence). */
async function overflowLayerNorm(engine: Engine): Promise<void> {
  const g = (await engine.getParameters()).get('embeddings.LayerNorm.weight')!;
  await engine.setParameters(new Map([['embeddings.LayerNorm.weight', { shape: g.shape, data: new Float32Array(g.data.length).fill(3e38) }]]));
}

function log(dir: string): LogRecord[] {
  return readFileSync(join(dir, 'train-log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as LogRecord);
}

async function allFinite(path: string): Promise<boolean> {
  for (const t of (await readSafetensors(path)).values()) if (!t.data.every(Number.isFinite)) return false;
  return true;
}

describe('divergence in the Trainer', () => {
  test('a NaN loss stops the run, names the step and the last good checkpoint, and saves nothing new', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-div-'));
    const model = new BreaksAt(await biEncoder(), 3, { beforeStep: overflowLayerNorm });
    const trainer = new Trainer({ model, examples, outputDir: dir, steps: 10, batchSize: 4, lr: 1e-3, checkpointEvery: 2, logEvery: 1 });
    const err = await trainer.run().then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(TrainingDivergedError);
    expect((err as Error).message).toBe(`diverged at step 3 (loss NaN); last good checkpoint kept at ${join(dir, 'checkpoint')} (step 2). Lower the learning rate (or check the data) and start again`);
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint', 'trainer-state.json'), 'utf8')).step).toBe(2);
    expect(await allFinite(join(dir, 'checkpoint', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(dir, 'final'))).toBe(false);
    expect(log(dir).at(-1)).toMatchObject({ type: 'stop', step: 3, message: (err as Error).message });
    model.dispose();
  });

  test('a finite loss with an infinite gradient is caught before the update', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-div-grad-'));
    // The engine's contract for a non-finite gradient norm: nothing applied, gradients cleared, finite false.
    const model = new BreaksAt(await biEncoder(), 2, {
      optimizerStep: async (e) => {
        await e.zeroGradients();
        return { gradNorm: Infinity, finite: false, clipScale: 1, step: (await e.getOptimizerState()).step };
      },
    });
    const weights = async () => [...(await model.engine.getParameters()).values()].map((t) => [...t.data]);
    const before = await weights();
    const trainer = new Trainer({ model, examples, outputDir: dir, steps: 10, batchSize: 4, lr: 1e-3, checkpointEvery: 5 });
    await expect(trainer.run()).rejects.toThrow(/^diverged at step 2 \(loss [\d.]+; gradient norm Infinity\); no checkpoint was written before it \(checkpointEvery 5\), nothing was saved/);
    // Step 1 was applied, step 2 was not: the weights are finite.
    const after = await weights();
    expect(after.flat().every(Number.isFinite)).toBe(true);
    expect(after).not.toEqual(before);
    expect(existsSync(join(dir, 'checkpoint'))).toBe(false);
    model.dispose();
  });

  test.each(['native', 'tfjs'] as const)('a learning rate that overflows float32 (1e300) is caught after the update, nothing is saved (%s engine)', async (engine) => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-div-lr-'));
    const model = await biEncoder(1, engine);
    const trainer = new Trainer({ model, examples, outputDir: dir, steps: 1, batchSize: 4, lr: 1e300, warmupSteps: 0 });
    await expect(trainer.run()).rejects.toThrow(/^diverged at step 1 \(loss [\d.]+; the update made '[\w.]+' non-finite\)/);
    expect(existsSync(join(dir, 'final'))).toBe(false);
    expect(existsSync(join(dir, 'checkpoint'))).toBe(false);
    model.dispose();
  });

  test('models and checkpoints with non-finite weights are never written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-nan-save-'));
    // The tfjs engine takes NaN weights from setParameters (the native engine refuses them).
    const model = await biEncoder(1, 'tfjs');
    const [name, v] = [...(await model.engine.getParameters())][2];
    await model.engine.setParameters(new Map([[name, { shape: v.shape, data: new Float32Array(v.data.length).fill(NaN) }]]));
    await expect(model.save(join(dir, 'm'))).rejects.toThrow(`refusing to write ${join(dir, 'm', 'model.safetensors')}: tensor '${name}' holds NaN at index 0`);
    const trainer = new Trainer({ model, examples, outputDir: dir, steps: 1 });
    await expect(trainer.saveCheckpoint()).rejects.toThrow(/refusing to write .*checkpoint\/model.safetensors/);
    expect(existsSync(join(dir, 'm', 'model.safetensors'))).toBe(false);
    model.dispose();
  });
});

describe('divergence in distillation', () => {
  test('lr 1e300 for one step throws the divergence error instead of returning a NaN student', async () => {
    const teacher = await randomEngine(config, { seed: 2 });
    await expect(distill({ teacher, tokenizer, bitext: [{ src: 'clean water', tgt: 'maji safi' }, { src: 'good health', tgt: 'afya njema' }], steps: 1, lr: 1e300, warmupSteps: 0, maxLength: 8 }))
      .rejects.toThrow(/^diverged at step 1 \(loss [\d.]+; the update made '[\w.]+' non-finite\); no checkpoint was written before it \(checkpointEvery 100\), nothing was saved/);
    teacher.dispose();
  });

  test('optical distill --lr 1e300 --steps 1 fails and writes no model', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'optical-div-cli-'));
    writeFileSync(join(dir, 'bitext.tsv'), 'clean water\tmaji safi\ngood health\tafya njema\n');
    const teacher = await biEncoder(3);
    await teacher.save(join(dir, 'teacher'));
    const run = distillCommand.run(['--teacher', join(dir, 'teacher'), '--bitext', join(dir, 'bitext.tsv'), '--out', join(dir, 'student'), '--steps', '1', '--lr', '1e300', '--max-length', '8']);
    await expect(run).rejects.toBeInstanceOf(TrainingDivergedError);
    expect(existsSync(join(dir, 'student', 'model.safetensors'))).toBe(false);
    teacher.dispose();
  });
});

describe('damaged checkpoints', () => {
  async function checkpointed(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'optical-damaged-'));
    const model = await biEncoder(4);
    await new Trainer({ model, examples, outputDir: dir, steps: 4, batchSize: 4, maxStepsThisRun: 2, saveModels: false }).run();
    model.dispose();
    return dir;
  }
  async function resume(dir: string): Promise<unknown> {
    const model = await biEncoder(4);
    try {
      return await new Trainer({ model, examples, outputDir: dir, steps: 4, batchSize: 4, saveModels: false }).run().then(() => null, (e: unknown) => e);
    } finally {
      model.dispose();
    }
  }

  test('a truncated trainer-state.json', async () => {
    const dir = await checkpointed();
    const path = join(dir, 'checkpoint', 'trainer-state.json');
    writeFileSync(path, readFileSync(path, 'utf8').slice(0, 40));
    expect(String(await resume(dir))).toMatch(`RangeError: ${path}: damaged checkpoint, not valid JSON`);
  });

  test('a trainer-state.json with a field missing', async () => {
    const dir = await checkpointed();
    const path = join(dir, 'checkpoint', 'trainer-state.json');
    const state = JSON.parse(readFileSync(path, 'utf8'));
    delete state.sampler;
    writeFileSync(path, JSON.stringify(state));
    expect(String(await resume(dir))).toBe(`RangeError: ${path}: damaged checkpoint, "sampler" is missing or malformed; delete ${join(dir, 'checkpoint')} to start over`);
  });

  test('NaN bytes in the weights', async () => {
    const dir = await checkpointed();
    const path = join(dir, 'checkpoint', 'model.safetensors');
    const buf = readFileSync(path);
    buf.writeFloatLE(NaN, buf.length - 4);
    writeFileSync(path, buf);
    expect(String(await resume(dir))).toMatch(new RegExp(`^RangeError: ${path}: tensor '[\\w.]+' holds NaN at index \\d+: the file is damaged or was written by a diverged run$`));
  });

  test('Infinity in the optimizer moments, and a truncated weights file', async () => {
    const dir = await checkpointed();
    const moments = join(dir, 'checkpoint', 'optimizer.safetensors');
    const buf = readFileSync(moments);
    buf.writeFloatLE(Infinity, buf.length - 4);
    writeFileSync(moments, buf);
    expect(String(await resume(dir))).toMatch(`${moments}: tensor`);
    const dir2 = await checkpointed();
    const weights = join(dir2, 'checkpoint', 'model.safetensors');
    writeFileSync(weights, readFileSync(weights).subarray(0, 1000));
    expect(String(await resume(dir2))).toMatch(`${weights}: `);
  });
});

describe('resume after SIGKILL', () => {
  const runner = resolve('test/helpers/run-ts.mjs');
  const child = resolve('test/train/fixtures/train-child.ts');

  function runChild(dir: string, blockAfterStep: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
    return new Promise((done, fail) => {
      const p = spawn(process.execPath, [runner, child, dir, String(blockAfterStep)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      const timer = setTimeout(() => { p.kill('SIGKILL'); fail(new Error(`child timed out: ${stderr}`)); }, 90_000);
      p.stderr.on('data', (d) => { stderr += d; });
      p.stdout.on('data', (d) => { if (String(d).includes('blocked')) p.kill('SIGKILL'); });
      p.on('exit', (code, signal) => { clearTimeout(timer); done({ code, signal, stderr }); });
    });
  }

  test('the resumed run leaves one step record per step in train-log.jsonl and ends with the weights of an uninterrupted run', async () => {
    const killed = await mkdtemp(join(tmpdir(), 'optical-kill-'));
    // Killed two steps after the checkpoint of step 4: steps 5 and 6 are logged but not checkpointed.
    const first = await runChild(killed, CHECKPOINT_EVERY + 2);
    expect(first.signal).toBe('SIGKILL');
    const beforeResume = log(killed).filter((r) => r.type === 'step').map((r) => r.step);
    expect(beforeResume).toEqual([1, 2, 3, 4, 5, 6]);
    const resumed = await runChild(killed, 0);
    expect(resumed.code, resumed.stderr).toBe(0);
    const records = log(killed);
    expect(records.filter((r) => r.type === 'step').map((r) => r.step)).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(records.filter((r) => r.type === 'checkpoint').map((r) => r.step)).toEqual([4, 8, 12]);
    expect(records.filter((r) => r.type === 'resume').map((r) => r.step)).toEqual([CHECKPOINT_EVERY]);

    const straight = await mkdtemp(join(tmpdir(), 'optical-nokill-'));
    expect((await runChild(straight, 0)).code).toBe(0);
    expect(await readFile(join(killed, 'final', 'model.safetensors'))).toEqual(await readFile(join(straight, 'final', 'model.safetensors')));
  });
});
