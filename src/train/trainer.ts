/**
 * Teacher training loop: AdamW with decoupled weight decay, linear warm-up + decay, global-norm
 * clipping, seeded batch order and dropout, periodic evaluation with early stopping, and
 * checkpoint/resume. A run stopped at any checkpoint and resumed ends with the same weights as an
 * uninterrupted run: the checkpoint holds the weights, optimizer moments, step, sampler state and
 * early-stopping state; dropout seeds are a function of (seed, step).
 *
 * A step whose loss or gradient norm is not finite, or whose update leaves a weight non-finite, stops
 * the run with TrainingDivergedError ("diverged at step N (loss …); last good checkpoint kept at …")
 * before anything is saved; checkpoints and models are never written with non-finite weights, and a
 * damaged checkpoint (unparsable state, truncated or non-finite tensors) is refused with its file.
 *
 * Output folder:
 *   checkpoint/  model.safetensors, optimizer.safetensors, trainer-state.json (replaced atomically)
 *   best/        HF-layout model with the best dev metric so far (when an evaluator is given)
 *   final/       HF-layout model at the end of the run
 *   train-log.jsonl  one JSON record per logged step / evaluation; the checkpoint records its length,
 *                    so a resume after a crash drops the records of the steps it will redo
 */
import { appendFile, mkdir, readdir, readFile, rename, rm, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tf } from '../models/tf.js';
import { assertFiniteTensors, readSafetensors, writeSafetensors, type TensorMap } from '../models/safetensors.js';
import { AdamW } from './adamw.js';
import { BatchSampler, type SamplerState } from './batch-sampler.js';
import { clipByGlobalNorm, globalNorm } from './clip.js';
import { checkLossAndGradient, checkWeights } from './divergence.js';
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
  /** Bytes of train-log.jsonl when the checkpoint was written (absent in checkpoints of older versions). */
  logBytes?: number;
}

/** trainer-state.json as written by saveCheckpoint; every field is checked on load. */
type SavedState = TrainerState & { optimizerStep: number };

function stateProblem(s: unknown): string | null {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return 'it is not a JSON object';
  const o = s as Record<string, unknown>;
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (o.version !== 1) return `"version" is ${JSON.stringify(o.version)}, expected 1`;
  for (const k of ['step', 'optimizerStep', 'badEvals']) if (!count(o[k])) return `"${k}" is ${JSON.stringify(o[k])}, expected an integer >= 0`;
  const sampler = o.sampler as Record<string, unknown> | null;
  if (!sampler || typeof sampler !== 'object' || !Number.isInteger(sampler.epoch) || !count(sampler.cursor) || !sampler.epochStart) return '"sampler" is missing or malformed';
  for (const k of ['bestMetric', 'bestStep']) if (o[k] !== null && !Number.isFinite(o[k])) return `"${k}" is ${JSON.stringify(o[k])}, expected a number or null`;
  if (typeof o.stoppedEarly !== 'boolean') return '"stoppedEarly" is missing';
  if (!o.fingerprint || typeof o.fingerprint !== 'object') return '"fingerprint" is missing';
  if (o.logBytes !== undefined && !count(o.logBytes)) return `"logBytes" is ${JSON.stringify(o.logBytes)}, expected an integer >= 0`;
  return null;
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
  /** The checkpoint on disk that holds good weights (for the divergence message). */
  private lastCheckpoint: { dir: string; step: number } | null = null;

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

  private get logPath(): string {
    return join(this.options.outputDir, 'train-log.jsonl');
  }

  private lastGood(): string {
    return this.lastCheckpoint
      ? `last good checkpoint kept at ${this.lastCheckpoint.dir} (step ${this.lastCheckpoint.step})`
      : `no checkpoint was written before it (checkpointEvery ${this.options.checkpointEvery}), nothing was saved`;
  }

  private async log(record: Omit<LogRecord, 'time' | 'totalSteps'>): Promise<void> {
    const full: LogRecord = { ...record, totalSteps: this.options.steps, time: new Date().toISOString() };
    await appendFile(this.logPath, JSON.stringify(full) + '\n');
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
    const moments = this.optimizer.exportState(variables);
    assertFiniteTensors(weights, join(dir, 'model.safetensors'), 'write');
    assertFiniteTensors(moments, join(dir, 'optimizer.safetensors'), 'write');
    await writeSafetensors(join(tmp, 'model.safetensors'), weights);
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), moments);
    this.state.sampler = this.sampler.getState();
    this.state.logBytes = (await stat(this.logPath).catch(() => null))?.size ?? 0;
    await writeFile(join(tmp, 'trainer-state.json'), JSON.stringify({ ...this.state, optimizerStep: this.optimizer.step }, null, 2));
    if (await exists(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
    this.lastCheckpoint = { dir, step: this.state.step };
  }

  /** Restores from checkpoint/ (or a leftover .old-* from a crash between the two renames). */
  private async loadCheckpoint(): Promise<boolean> {
    let dir = this.checkpointDir;
    if (!(await exists(join(dir, 'trainer-state.json')))) {
      const leftovers = (await readdir(this.options.outputDir).catch(() => [] as string[])).filter((n) => n.startsWith('checkpoint.old-'));
      if (leftovers.length === 0) return false;
      dir = join(this.options.outputDir, leftovers.sort().at(-1)!);
    }
    const statePath = join(dir, 'trainer-state.json');
    let saved: SavedState;
    try {
      saved = JSON.parse(await readFile(statePath, 'utf8')) as SavedState;
    } catch (err) {
      throw new RangeError(`${statePath}: damaged checkpoint, not valid JSON (${(err as Error).message}); delete ${dir} to start over`);
    }
    const problem = stateProblem(saved);
    if (problem) throw new RangeError(`${statePath}: damaged checkpoint, ${problem}; delete ${dir} to start over`);
    for (const [key, value] of Object.entries(this.state.fingerprint)) {
      if (saved.fingerprint?.[key] !== value) {
        throw new RangeError(`cannot resume from ${dir}: it was written with ${key}=${JSON.stringify(saved.fingerprint?.[key])}, this run has ${key}=${JSON.stringify(value)} (use a new output folder or the same settings)`);
      }
    }
    const variables = this.options.model.namedVariables();
    const weightsPath = join(dir, 'model.safetensors');
    const momentsPath = join(dir, 'optimizer.safetensors');
    const weights = await readSafetensors(weightsPath);
    const moments = await readSafetensors(momentsPath);
    assertFiniteTensors(weights, weightsPath, 'read');
    assertFiniteTensors(moments, momentsPath, 'read');
    for (const [name, v] of variables) {
      const t = weights.get(name);
      if (!t || t.shape.join(',') !== v.shape.join(',')) throw new RangeError(`${weightsPath}: damaged checkpoint, it lacks '${name}' with shape [${v.shape}]`);
    }
    try {
      this.optimizer.importState(moments, variables, saved.optimizerStep);
    } catch (err) {
      throw new RangeError(`${momentsPath}: damaged checkpoint, ${(err as Error).message}`);
    }
    for (const [name, v] of variables) tf.tidy(() => v.assign(tf.tensor(weights.get(name)!.data, v.shape)));
    this.sampler.setState(saved.sampler);
    const { optimizerStep: _unused, ...state } = saved;
    this.state = state;
    this.lastCheckpoint = { dir, step: state.step };
    // Records written after this checkpoint belong to steps the resumed run redoes (or are torn).
    const logSize = (await stat(this.logPath).catch(() => null))?.size;
    if (state.logBytes !== undefined && logSize !== undefined && logSize > state.logBytes) await truncate(this.logPath, state.logBytes);
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
    const named = t.model.namedVariables();
    const variables = [...named.values()];
    let lastLoss: number | null = null;
    let ranThisProcess = 0;
    let windowStart = performance.now();
    let windowExamples = 0;
    while (this.state.step < t.steps && !this.state.stoppedEarly) {
      if (t.signal?.aborted || (t.maxStepsThisRun !== undefined && ranThisProcess >= t.maxStepsThisRun)) {
        await this.log({ type: 'stop', step: this.state.step, message: t.signal?.aborted ? 'aborted' : 'maxStepsThisRun reached' });
        await this.saveCheckpoint();
        return this.result(false, lastLoss);
      }
      const step = this.state.step;
      const batch = this.sampler.next().map((i) => t.examples[i]);
      const lr = this.schedule(step);
      const seed = stepSeed(t.seed, step);
      const { value, grads } = tf.variableGrads(() => t.model.loss(batch, { training: true, seed }), variables);
      lastLoss = value.dataSync()[0];
      const norm = globalNorm(grads);
      try {
        checkLossAndGradient(step + 1, lastLoss, norm, () => this.lastGood());
      } catch (err) {
        tf.dispose([value, ...Object.values(grads)]);
        await this.log({ type: 'stop', step: step + 1, loss: lastLoss, gradNorm: norm, message: (err as Error).message });
        throw err;
      }
      const info: { norm?: number } = {};
      const clipped = clipByGlobalNorm(grads, t.clipNorm, info);
      this.optimizer.applyGradients(clipped, lr);
      tf.dispose([value, ...Object.values(grads), ...Object.values(clipped)]);
      try {
        checkWeights(step + 1, lastLoss, named, () => this.lastGood());
      } catch (err) {
        await this.log({ type: 'stop', step: step + 1, loss: lastLoss, gradNorm: norm, message: (err as Error).message });
        throw err;
      }
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
        // Logged first: the checkpoint records the log length, its own record included.
        await this.log({ type: 'checkpoint', step: done });
        await this.saveCheckpoint();
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
