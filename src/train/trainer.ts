/**
 * Teacher training loop: AdamW with decoupled weight decay, linear warm-up + decay, global-norm
 * clipping, seeded batch order and dropout, periodic evaluation with early stopping, and
 * checkpoint/resume. A run stopped at any checkpoint and resumed ends with the same weights as an
 * uninterrupted run: the checkpoint holds the weights, optimizer moments, step, sampler state and
 * early-stopping state; dropout seeds are a function of (seed, step).
 *
 * Output folder:
 *   checkpoint/  model.safetensors, optimizer.safetensors, trainer-state.json (replaced atomically)
 *   best/        HF-layout model with the best dev metric so far (when an evaluator is given)
 *   final/       HF-layout model at the end of the run
 *   train-log.jsonl  one JSON record per logged step / evaluation
 */
import { appendFile, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../models/tf.js';
import { readSafetensors, writeSafetensors, type TensorMap } from '../models/safetensors.js';
import { AdamW } from './adamw.js';
import { BatchSampler, type SamplerState } from './batch-sampler.js';
import { clipByGlobalNorm } from './clip.js';
import { linearWarmupDecay } from './schedule.js';
import type { RankingModel, TrainingExample } from './ranking-model.js';

export interface TrainerOptions {
  model: RankingModel;
  examples: TrainingExample[];
  outputDir: string;
  steps: number;
  batchSize?: number;
  lr?: number;
  /** Default: 10% of steps. */
  warmupSteps?: number;
  weightDecay?: number;
  clipNorm?: number;
  seed?: number;
  /** Evaluate every N steps (and at the end) when `evaluate` is given. Default 100. */
  evalEvery?: number;
  /** Dev-set metric, higher is better (e.g. MRR@10 of model.score on a dev set). */
  evaluate?: (model: RankingModel, step: number) => Promise<number>;
  /** Stop after this many evaluations without improvement (default: never). */
  patience?: number;
  /** Write a checkpoint every N steps (default: evalEvery, or 100). */
  checkpointEvery?: number;
  /** Continue from outputDir/checkpoint when it exists (default true). */
  resume?: boolean;
  /** Stop (with a checkpoint) after this many steps in this process; for time-sliced jobs and tests. */
  maxStepsThisRun?: number;
  /** Abort (with a checkpoint) at the next step boundary, e.g. on SIGINT. */
  signal?: AbortSignal;
  /** Log every N steps (default 10). */
  logEvery?: number;
  onLog?: (record: LogRecord) => void;
  /** Write best/ and final/ model folders (default true). */
  saveModels?: boolean;
}

export interface LogRecord {
  type: 'step' | 'eval' | 'checkpoint' | 'resume' | 'stop';
  step: number;
  totalSteps: number;
  loss?: number;
  lr?: number;
  gradNorm?: number;
  metric?: number;
  best?: number;
  examplesPerSecond?: number;
  message?: string;
  time: string;
}

export interface TrainResult {
  step: number;
  finished: boolean;
  stoppedEarly: boolean;
  bestMetric: number | null;
  bestStep: number | null;
  lastLoss: number | null;
}

interface TrainerState {
  version: 1;
  step: number;
  sampler: SamplerState;
  bestMetric: number | null;
  bestStep: number | null;
  badEvals: number;
  stoppedEarly: boolean;
  fingerprint: Record<string, unknown>;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** Mixes (seed, step) into a dropout seed, so resumed steps use the same masks. */
function stepSeed(seed: number, step: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) % 1_000_003;
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

export class Trainer {
  readonly options: Required<Omit<TrainerOptions, 'evaluate' | 'patience' | 'maxStepsThisRun' | 'signal' | 'onLog'>> & TrainerOptions;
  private readonly optimizer: AdamW;
  private readonly sampler: BatchSampler;
  private readonly schedule: (step: number) => number;
  private state: TrainerState;

  constructor(options: TrainerOptions) {
    const o = options;
    if (!o.model) throw new TypeError('Trainer: model is required');
    if (!Array.isArray(o.examples) || o.examples.length === 0) throw new RangeError('Trainer: examples must be a non-empty array');
    positiveInt('steps', o.steps);
    const evalEvery = o.evalEvery ?? 100;
    this.options = {
      batchSize: 16, lr: 5e-5, warmupSteps: Math.floor(o.steps / 10), weightDecay: 0.01, clipNorm: 1, seed: 0,
      evalEvery, checkpointEvery: o.evaluate ? evalEvery : 100, resume: true, logEvery: 10, saveModels: true,
      ...o,
    } as Trainer['options'];
    const t = this.options;
    positiveInt('batchSize', t.batchSize);
    positiveInt('evalEvery', t.evalEvery);
    positiveInt('checkpointEvery', t.checkpointEvery);
    positiveInt('logEvery', t.logEvery);
    if (t.patience !== undefined) positiveInt('patience', t.patience);
    if (t.maxStepsThisRun !== undefined) positiveInt('maxStepsThisRun', t.maxStepsThisRun);
    if (!(t.clipNorm > 0)) throw new RangeError(`clipNorm must be > 0, got ${t.clipNorm}`);
    if (!Number.isInteger(t.seed)) throw new RangeError(`seed must be an integer, got ${t.seed}`);
    if (o.model.kind === 'bi-encoder' && Math.min(t.batchSize, o.examples.length) < 2 && o.examples.every((e) => e.negatives.length === 0)) {
      throw new RangeError(`a bi-encoder learns from the other documents of its batch, but with ${o.examples.length} example(s), batchSize ${t.batchSize} and no hard negatives `
        + 'every batch holds one document and the loss is always 0: use batchSize >= 2 and at least 2 examples, or give negatives');
    }
    this.schedule = linearWarmupDecay(t.lr, t.warmupSteps, t.steps);
    this.optimizer = new AdamW({ weightDecay: t.weightDecay });
    this.sampler = new BatchSampler(o.examples.length, t.batchSize, t.seed);
    this.state = {
      version: 1, step: 0, sampler: this.sampler.getState(), bestMetric: null, bestStep: null, badEvals: 0, stoppedEarly: false,
      fingerprint: { kind: o.model.kind, seed: t.seed, batchSize: t.batchSize, lr: t.lr, warmupSteps: t.warmupSteps, steps: t.steps, weightDecay: t.weightDecay, clipNorm: t.clipNorm, examples: o.examples.length },
    };
  }

  get checkpointDir(): string {
    return join(this.options.outputDir, 'checkpoint');
  }

  private async log(record: Omit<LogRecord, 'time' | 'totalSteps'>): Promise<void> {
    const full: LogRecord = { ...record, totalSteps: this.options.steps, time: new Date().toISOString() };
    await appendFile(join(this.options.outputDir, 'train-log.jsonl'), JSON.stringify(full) + '\n');
    this.options.onLog?.(full);
  }

  /** Writes checkpoint/ atomically: into a temporary folder, then renamed over the old one. */
  async saveCheckpoint(): Promise<void> {
    const dir = this.checkpointDir;
    const tmp = `${dir}.tmp-${process.pid}`;
    const old = `${dir}.old-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    const variables = this.options.model.namedVariables();
    const weights: TensorMap = new Map();
    for (const [name, v] of variables) weights.set(name, { shape: [...v.shape], data: v.dataSync() as Float32Array });
    await writeSafetensors(join(tmp, 'model.safetensors'), weights);
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), this.optimizer.exportState(variables));
    this.state.sampler = this.sampler.getState();
    await writeFile(join(tmp, 'trainer-state.json'), JSON.stringify({ ...this.state, optimizerStep: this.optimizer.step }, null, 2));
    if (await exists(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
  }

  /** Restores from checkpoint/ (or a leftover .old-* from a crash between the two renames). */
  private async loadCheckpoint(): Promise<boolean> {
    let dir = this.checkpointDir;
    if (!(await exists(join(dir, 'trainer-state.json')))) {
      const { readdir } = await import('node:fs/promises');
      const leftovers = (await readdir(this.options.outputDir).catch(() => [] as string[])).filter((n) => n.startsWith('checkpoint.old-'));
      if (leftovers.length === 0) return false;
      dir = join(this.options.outputDir, leftovers.sort().at(-1)!);
    }
    const saved = JSON.parse(await readFile(join(dir, 'trainer-state.json'), 'utf8')) as TrainerState & { optimizerStep: number };
    for (const [key, value] of Object.entries(this.state.fingerprint)) {
      if (saved.fingerprint?.[key] !== value) {
        throw new RangeError(`cannot resume from ${dir}: it was written with ${key}=${JSON.stringify(saved.fingerprint?.[key])}, this run has ${key}=${JSON.stringify(value)} (use a new output folder or the same settings)`);
      }
    }
    const variables = this.options.model.namedVariables();
    const weights = await readSafetensors(join(dir, 'model.safetensors'));
    for (const [name, v] of variables) {
      const t = weights.get(name);
      if (!t || t.shape.join(',') !== v.shape.join(',')) throw new RangeError(`checkpoint ${dir} lacks '${name}' with shape [${v.shape}]`);
      tf.tidy(() => v.assign(tf.tensor(t.data, v.shape)));
    }
    this.optimizer.importState(await readSafetensors(join(dir, 'optimizer.safetensors')), variables, saved.optimizerStep);
    this.sampler.setState(saved.sampler);
    const { optimizerStep: _unused, ...state } = saved;
    this.state = state;
    return true;
  }

  private async evaluateNow(step: number): Promise<boolean> {
    const t = this.options;
    if (!t.evaluate) return false;
    const metric = await t.evaluate(t.model, step);
    if (!Number.isFinite(metric)) throw new RangeError(`evaluate returned ${metric} at step ${step}: it must return a finite number`);
    const improved = this.state.bestMetric === null || metric > this.state.bestMetric;
    if (improved) {
      this.state.bestMetric = metric;
      this.state.bestStep = step;
      this.state.badEvals = 0;
      if (t.saveModels) await this.saveModelAtomically(join(t.outputDir, 'best'));
    } else this.state.badEvals++;
    await this.log({ type: 'eval', step, metric, best: this.state.bestMetric! });
    return t.patience !== undefined && this.state.badEvals >= t.patience;
  }

  private async saveModelAtomically(dir: string): Promise<void> {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await this.options.model.save(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }

  /** Trains until `steps`, early stopping, `maxStepsThisRun`, or the abort signal. */
  async run(): Promise<TrainResult> {
    const t = this.options;
    await mkdir(t.outputDir, { recursive: true });
    if (t.resume && (await this.loadCheckpoint())) {
      await this.log({ type: 'resume', step: this.state.step, message: `resumed from ${this.checkpointDir}` });
    }
    const variables = [...t.model.namedVariables().values()];
    let lastLoss: number | null = null;
    let ranThisProcess = 0;
    let windowStart = performance.now();
    let windowExamples = 0;
    while (this.state.step < t.steps && !this.state.stoppedEarly) {
      if (t.signal?.aborted || (t.maxStepsThisRun !== undefined && ranThisProcess >= t.maxStepsThisRun)) {
        await this.saveCheckpoint();
        await this.log({ type: 'stop', step: this.state.step, message: t.signal?.aborted ? 'aborted' : 'maxStepsThisRun reached' });
        return this.result(false, lastLoss);
      }
      const step = this.state.step;
      const batch = this.sampler.next().map((i) => t.examples[i]);
      const lr = this.schedule(step);
      const seed = stepSeed(t.seed, step);
      const { value, grads } = tf.variableGrads(() => t.model.loss(batch, { training: true, seed }), variables);
      const info: { norm?: number } = {};
      const clipped = clipByGlobalNorm(grads, t.clipNorm, info);
      this.optimizer.applyGradients(clipped, lr);
      lastLoss = value.dataSync()[0];
      tf.dispose([value, ...Object.values(grads), ...Object.values(clipped)]);
      if (!Number.isFinite(lastLoss)) throw new RangeError(`loss is ${lastLoss} at step ${step + 1}: training diverged (lower lr or check the data)`);
      this.state.step = step + 1;
      ranThisProcess++;
      windowExamples += batch.length;
      const done = this.state.step;
      if (done % t.logEvery === 0 || done === t.steps) {
        const seconds = (performance.now() - windowStart) / 1000;
        await this.log({ type: 'step', step: done, loss: lastLoss, lr, gradNorm: info.norm, examplesPerSecond: windowExamples / Math.max(seconds, 1e-9) });
        windowStart = performance.now();
        windowExamples = 0;
      }
      if (t.evaluate && (done % t.evalEvery === 0 || done === t.steps)) {
        if (await this.evaluateNow(done)) {
          this.state.stoppedEarly = true;
          await this.log({ type: 'stop', step: done, message: `early stopping: no improvement in ${t.patience} evaluations (best ${this.state.bestMetric} at step ${this.state.bestStep})` });
        }
      }
      if (done % t.checkpointEvery === 0 || done === t.steps || this.state.stoppedEarly) {
        await this.saveCheckpoint();
        await this.log({ type: 'checkpoint', step: done });
      }
    }
    if (t.saveModels) await this.saveModelAtomically(join(t.outputDir, 'final'));
    return this.result(true, lastLoss);
  }

  private result(finished: boolean, lastLoss: number | null): TrainResult {
    return { step: this.state.step, finished, stoppedEarly: this.state.stoppedEarly, bestMetric: this.state.bestMetric, bestStep: this.state.bestStep, lastLoss };
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}
