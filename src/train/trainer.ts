/**
 * The training loop, for every objective (teachers, code-switched fine-tuning, hybrid batches,
 * OPTICAL distillation, …; see objective.ts). It runs on either engine (native or tfjs) through the
 * engine API and owns everything around the objective's loss terms: seeded batch order and dropout
 * seeds, linear warm-up + decay, AdamW with global-norm clipping (Engine.optimizerStep), dev
 * evaluation with early stopping, the log, atomic checkpoints and resume, abort, and divergence.
 *
 * A run stopped at any checkpoint (even killed) and resumed ends with the same weights as an
 * uninterrupted one — bit for bit on the native engine: the checkpoint holds the weights, the AdamW
 * moments and step, the sampler and objective state and the early-stopping state; dropout seeds are
 * a function of (seed, step).
 *
 * A step whose loss or gradient norm is not finite, or whose update leaves a weight non-finite, stops
 * the run with TrainingDivergedError ("diverged at step N (loss …); last good checkpoint kept at …")
 * before anything is saved; checkpoints and models are never written with non-finite weights, and a
 * damaged checkpoint (unparsable state, truncated or non-finite tensors) is refused with its file.
 *
 * Output folder:
 *   checkpoint/  model.safetensors (engine parameter names), optimizer.safetensors (m.<name>, v.<name>),
 *                trainer-state.json — written into a temporary folder and renamed over the old one
 *   best/        the model with the best dev metric so far (when an evaluator is given)
 *   final/       the model at the end of the run
 *   train-log.jsonl (or `logFile`)  one JSON record per logged step / evaluation / event; the
 *                checkpoint records its length, so a resume after a crash drops the records of the
 *                steps it will redo (a run that starts without a checkpoint starts a new log)
 */
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertFiniteTensors, readSafetensors, writeSafetensors, type TensorMap } from '../models/safetensors.js';
import type { Engine } from '../models/engine/types.js';
import { headParameterNames } from '../models/engine/checkpoint.js';
import { BatchSampler, type SamplerState } from './batch-sampler.js';
import { TrainingDivergedError } from './divergence.js';
import { LogWriter } from './log-writer.js';
import type { Trainable } from './objective.js';
import { linearWarmupDecay } from './schedule.js';

export interface TrainerOptions<E, M extends Trainable<E> = Trainable<E>> {
  model: M;
  examples: readonly E[];
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
  evaluate?: (model: M, step: number) => Promise<number>;
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
  /** Name of the log file in outputDir (default train-log.jsonl). */
  logFile?: string;
  onLog?: (record: LogRecord) => void;
  /** Write best/ and final/ model folders (default true). */
  saveModels?: boolean;
  /**
   * Every N steps (and at the first step) log the gradient norm of each loss term on its own
   * (weight included, frozen heads excluded) as `termGradNorms: {name: norm}` — which term drives
   * the update under the one global-norm clip. Costs one extra forward + backward per term at
   * those steps (same dropout masks as the real step). Default 0 = never.
   */
  termGradNormEvery?: number;
}

/** What the loop logs: a record of train-log.jsonl without its `totalSteps` and `time`. */
export interface LogFields {
  type: 'start' | 'step' | 'eval' | 'checkpoint' | 'resume' | 'stop';
  step: number;
  loss?: number;
  lr?: number;
  gradNorm?: number;
  metric?: number;
  best?: number;
  examplesPerSecond?: number;
  /** Milliseconds of the logged step (batch preparation, engine step and optimizer step). */
  stepMs?: number;
  /** The engine that runs the model ('start' and 'resume' records). */
  engine?: string;
  message?: string;
  /** The objective's own numbers of the logged step (e.g. OT iterations, accuracy). */
  [extra: string]: unknown;
}

/** One line of the training log. */
export type LogRecord = LogFields & { totalSteps: number; time: string };

export interface TrainResult {
  step: number;
  finished: boolean;
  stoppedEarly: boolean;
  bestMetric: number | null;
  bestStep: number | null;
  lastLoss: number | null;
}

const STATE_VERSION = 2;

interface TrainerState {
  version: typeof STATE_VERSION;
  step: number;
  sampler: SamplerState;
  objective: unknown;
  bestMetric: number | null;
  bestStep: number | null;
  badEvals: number;
  stoppedEarly: boolean;
  fingerprint: Record<string, unknown>;
  /** Bytes of the log when the checkpoint was written. */
  logBytes: number;
}

/** trainer-state.json as written by saveCheckpoint; every field is checked on load. */
type SavedState = TrainerState & { optimizerStep: number };

function stateProblem(s: unknown): string | null {
  if (s === null || typeof s !== 'object' || Array.isArray(s)) return 'it is not a JSON object';
  const o = s as Record<string, unknown>;
  const count = (v: unknown) => Number.isInteger(v) && (v as number) >= 0;
  if (o.version !== STATE_VERSION) {
    return `"version" is ${JSON.stringify(o.version)}, expected ${STATE_VERSION}${o.version === 1 ? ' (written by the tfjs-only trainer of optical < 0.2, whose parameter names differ)' : ''}`;
  }
  for (const k of ['step', 'optimizerStep', 'badEvals', 'logBytes']) if (!count(o[k])) return `"${k}" is ${JSON.stringify(o[k])}, expected an integer >= 0`;
  const sampler = o.sampler as Record<string, unknown> | null;
  if (!sampler || typeof sampler !== 'object' || !Number.isInteger(sampler.epoch) || !count(sampler.cursor) || !sampler.epochStart) return '"sampler" is missing or malformed';
  for (const k of ['bestMetric', 'bestStep']) if (o[k] !== null && !Number.isFinite(o[k])) return `"${k}" is ${JSON.stringify(o[k])}, expected a number or null`;
  if (typeof o.stoppedEarly !== 'boolean') return '"stoppedEarly" is missing';
  if (!o.fingerprint || typeof o.fingerprint !== 'object') return '"fingerprint" is missing';
  if (!('objective' in o)) return '"objective" is missing';
  return null;
}

function positiveInt(name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new RangeError(`${name} must be a positive integer, got ${v}`);
}

/** Mixes (seed, step) into a dropout seed, so resumed steps use the same masks. */
export function stepSeed(seed: number, step: number): number {
  let h = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(step + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

type Settings<E, M extends Trainable<E>> = Required<Omit<TrainerOptions<E, M>, 'evaluate' | 'patience' | 'maxStepsThisRun' | 'signal' | 'onLog'>> & TrainerOptions<E, M>;

/** The L2 norm over every gradient tensor but the listed ones. */
async function gradientNorm(engine: Engine, exclude: ReadonlySet<string>): Promise<number> {
  let sum = 0;
  for (const [name, g] of await engine.getGradients()) {
    if (exclude.has(name)) continue;
    for (let i = 0; i < g.data.length; i++) sum += g.data[i] * g.data[i];
  }
  return Math.sqrt(sum);
}

export class Trainer<E, M extends Trainable<E> = Trainable<E>> {
  readonly options: Settings<E, M>;
  private readonly sampler: BatchSampler;
  private readonly schedule: (step: number) => number;
  private readonly log: LogWriter;
  private state: TrainerState;
  /** The checkpoint on disk that holds good weights (for the divergence message). */
  private lastCheckpoint: { dir: string; step: number } | null = null;

  constructor(options: TrainerOptions<E, M>) {
    const o = options;
    if (!o.model?.engine || !o.model.objective) throw new TypeError('Trainer: model must have an engine and an objective (a Trainable)');
    if (!Array.isArray(o.examples) || o.examples.length === 0) throw new RangeError('Trainer: examples must be a non-empty array');
    positiveInt('steps', o.steps);
    const evalEvery = o.evalEvery ?? 100;
    this.options = {
      batchSize: 16, lr: 5e-5, warmupSteps: Math.floor(o.steps / 10), weightDecay: 0.01, clipNorm: 1, seed: 0,
      evalEvery, checkpointEvery: o.evaluate ? evalEvery : 100, resume: true, logEvery: 10, logFile: 'train-log.jsonl', saveModels: true, termGradNormEvery: 0,
      ...o,
    } as Settings<E, M>;
    const t = this.options;
    positiveInt('batchSize', t.batchSize);
    positiveInt('evalEvery', t.evalEvery);
    positiveInt('checkpointEvery', t.checkpointEvery);
    positiveInt('logEvery', t.logEvery);
    if (t.patience !== undefined) positiveInt('patience', t.patience);
    if (!Number.isInteger(t.termGradNormEvery) || t.termGradNormEvery < 0) throw new RangeError(`termGradNormEvery must be an integer >= 0, got ${t.termGradNormEvery}`);
    if (t.maxStepsThisRun !== undefined) positiveInt('maxStepsThisRun', t.maxStepsThisRun);
    if (!(t.clipNorm > 0)) throw new RangeError(`clipNorm must be > 0, got ${t.clipNorm}`);
    if (!(t.weightDecay >= 0) || !Number.isFinite(t.weightDecay)) throw new RangeError(`weightDecay must be a finite number >= 0, got ${t.weightDecay}`);
    if (!Number.isInteger(t.seed)) throw new RangeError(`seed must be an integer, got ${t.seed}`);
    if (!/^[\w.-]+$/.test(t.logFile)) throw new RangeError(`logFile must be a file name, got ${JSON.stringify(t.logFile)}`);
    o.model.objective.check?.(o.examples, t.batchSize);
    this.schedule = linearWarmupDecay(t.lr, t.warmupSteps, t.steps);
    this.sampler = new BatchSampler(o.examples.length, t.batchSize, t.seed);
    this.log = new LogWriter(join(t.outputDir, t.logFile));
    const objective = o.model.objective;
    this.state = {
      version: STATE_VERSION, step: 0, sampler: this.sampler.getState(), objective: objective.getState?.() ?? null,
      bestMetric: null, bestStep: null, badEvals: 0, stoppedEarly: false, logBytes: 0,
      fingerprint: {
        objective: objective.name, ...objective.settings, encoderOnly: objective.encoderOnly === true, seed: t.seed, batchSize: t.batchSize, lr: t.lr, warmupSteps: t.warmupSteps,
        steps: t.steps, weightDecay: t.weightDecay, clipNorm: t.clipNorm, examples: o.examples.length,
      },
    };
  }

  get engine(): Engine {
    return this.options.model.engine;
  }

  get checkpointDir(): string {
    return join(this.options.outputDir, 'checkpoint');
  }

  private lastGood(): string {
    return this.lastCheckpoint
      ? `last good checkpoint kept at ${this.lastCheckpoint.dir} (step ${this.lastCheckpoint.step})`
      : `no checkpoint was written before it (checkpointEvery ${this.options.checkpointEvery}), nothing was saved`;
  }

  private async record(record: LogFields): Promise<void> {
    const full: LogRecord = { ...record, totalSteps: this.options.steps, time: new Date().toISOString() };
    await this.log.write(full);
    this.options.onLog?.(full);
  }

  /** Writes checkpoint/ atomically: into a temporary folder, then renamed over the old one. */
  async saveCheckpoint(): Promise<void> {
    const dir = this.checkpointDir;
    const tmp = `${dir}.tmp-${process.pid}`;
    const old = `${dir}.old-${process.pid}`;
    const weights = await this.engine.getParameters();
    const optimizer = await this.engine.getOptimizerState();
    const moments: TensorMap = new Map();
    for (const [name, t] of optimizer.m) moments.set(`m.${name}`, t);
    for (const [name, t] of optimizer.v) moments.set(`v.${name}`, t);
    assertFiniteTensors(weights, join(dir, 'model.safetensors'), 'write');
    assertFiniteTensors(moments, join(dir, 'optimizer.safetensors'), 'write');
    await rm(tmp, { recursive: true, force: true });
    await mkdir(tmp, { recursive: true });
    await writeSafetensors(join(tmp, 'model.safetensors'), weights);
    await writeSafetensors(join(tmp, 'optimizer.safetensors'), moments);
    this.state.sampler = this.sampler.getState();
    this.state.objective = this.options.model.objective.getState?.() ?? null;
    this.state.logBytes = this.log.bytes;
    const saved: SavedState = { ...this.state, optimizerStep: optimizer.step };
    await writeFile(join(tmp, 'trainer-state.json'), JSON.stringify(saved, null, 2));
    if (await exists(dir)) await rename(dir, old);
    await rename(tmp, dir);
    await rm(old, { recursive: true, force: true });
    this.lastCheckpoint = { dir, step: this.state.step };
  }

  /** Restores from checkpoint/ (or a leftover .old-* from a crash between the two renames); returns the log length to keep. */
  private async loadCheckpoint(): Promise<number | null> {
    let dir = this.checkpointDir;
    if (!(await exists(join(dir, 'trainer-state.json')))) {
      const leftovers = (await readdir(this.options.outputDir).catch(() => [] as string[])).filter((n) => n.startsWith('checkpoint.old-'));
      if (leftovers.length === 0) return null;
      dir = join(this.options.outputDir, leftovers.sort().at(-1)!);
    }
    const statePath = join(dir, 'trainer-state.json');
    const damaged = (path: string, problem: string) => new RangeError(`${path}: damaged checkpoint, ${problem}; delete ${dir} to start over`);
    let saved: SavedState;
    try {
      saved = JSON.parse(await readFile(statePath, 'utf8')) as SavedState;
    } catch (err) {
      throw damaged(statePath, `not valid JSON (${(err as Error).message})`);
    }
    const problem = stateProblem(saved);
    if (problem) throw damaged(statePath, problem);
    for (const [key, value] of Object.entries(this.state.fingerprint)) {
      if (JSON.stringify(saved.fingerprint[key]) !== JSON.stringify(value)) {
        throw new RangeError(`cannot resume from ${dir}: it was written with ${key}=${JSON.stringify(saved.fingerprint[key])}, this run has ${key}=${JSON.stringify(value)} (use a new output folder or the same settings)`);
      }
    }
    const weightsPath = join(dir, 'model.safetensors');
    const momentsPath = join(dir, 'optimizer.safetensors');
    const weights = await readSafetensors(weightsPath);
    const moments = await readSafetensors(momentsPath);
    assertFiniteTensors(weights, weightsPath, 'read');
    assertFiniteTensors(moments, momentsPath, 'read');
    const current = await this.engine.getParameters();
    const m: TensorMap = new Map();
    const v: TensorMap = new Map();
    for (const [name, p] of current) {
      const shape = p.shape.join(',');
      const w = weights.get(name);
      if (!w || w.shape.join(',') !== shape) throw damaged(weightsPath, `it lacks '${name}' with shape [${p.shape}]`);
      const mt = moments.get(`m.${name}`);
      const vt = moments.get(`v.${name}`);
      if (!mt || !vt || mt.shape.join(',') !== shape || vt.shape.join(',') !== shape) throw damaged(momentsPath, `it lacks the moments m.${name} / v.${name} with shape [${p.shape}]`);
      m.set(name, mt);
      v.set(name, vt);
    }
    const objective = this.options.model.objective;
    try {
      this.sampler.setState(saved.sampler);
      objective.setState?.(saved.objective);
    } catch (err) {
      throw damaged(statePath, (err as Error).message);
    }
    await this.engine.setParameters(weights);
    await this.engine.setOptimizerState({ step: saved.optimizerStep, m, v });
    await this.engine.zeroGradients();
    const { optimizerStep: _unused, ...state } = saved;
    this.state = state;
    this.lastCheckpoint = { dir, step: state.step };
    return state.logBytes;
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
    await this.record({ type: 'eval', step, metric, best: this.state.bestMetric! });
    return t.patience !== undefined && this.state.badEvals >= t.patience;
  }

  private async saveModelAtomically(dir: string): Promise<void> {
    const tmp = `${dir}.tmp-${process.pid}`;
    await rm(tmp, { recursive: true, force: true });
    await this.options.model.save(tmp);
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir);
  }

  private async diverged(step: number, loss: number, what: string, gradNorm?: number): Promise<never> {
    const err = new TrainingDivergedError(step, loss, what, this.lastGood());
    await this.record({ type: 'stop', step, loss, gradNorm, message: err.message });
    throw err;
  }

  /** Trains until `steps`, early stopping, `maxStepsThisRun`, or the abort signal. */
  async run(): Promise<TrainResult> {
    const t = this.options;
    await mkdir(t.outputDir, { recursive: true });
    const keepLog = t.resume ? await this.loadCheckpoint() : null;
    // Without a checkpoint the run starts over: earlier records describe steps it will redo.
    await this.log.open(keepLog ?? 0);
    try {
      const engine = `${this.engine.name}${this.engine.name === 'native' ? ` (${this.engine.threads || 'all'} threads)` : ''}`;
      if (keepLog !== null) await this.record({ type: 'resume', step: this.state.step, engine, message: `resumed from ${this.lastCheckpoint!.dir}` });
      else await this.record({ type: 'start', step: 0, engine, message: `objective ${t.model.objective.name}, ${t.examples.length} examples` });
      return await this.loop();
    } finally {
      await this.log.close();
    }
  }

  private async loop(): Promise<TrainResult> {
    const t = this.options;
    const objective = t.model.objective;
    const frozen = objective.encoderOnly ? headParameterNames(this.engine.heads) : [];
    let lastLoss: number | null = null;
    let ranThisProcess = 0;
    let windowStart = performance.now();
    let windowExamples = 0;
    while (this.state.step < t.steps && !this.state.stoppedEarly) {
      if (t.signal?.aborted || (t.maxStepsThisRun !== undefined && ranThisProcess >= t.maxStepsThisRun)) {
        await this.record({ type: 'stop', step: this.state.step, message: t.signal?.aborted ? 'aborted' : 'maxStepsThisRun reached' });
        await this.saveCheckpoint();
        return this.result(false, lastLoss);
      }
      const t0 = performance.now();
      const step = this.state.step;
      const batch = this.sampler.next().map((i) => t.examples[i]);
      const lr = this.schedule(step);
      const seed = stepSeed(t.seed, step);
      const { termNames, ...spec } = await objective.spec(batch, { step, seed });
      let termGradNorms: Record<string, number> | undefined;
      const logged = (step + 1) % t.logEvery === 0 || step + 1 === t.steps;
      if (t.termGradNormEvery > 0 && logged && spec.terms.length > 1 && (step === 0 || (step + 1) % t.termGradNormEvery === 0)) {
        // Each term alone (the others weighted 0) through the same forward and dropout masks: the
        // parts of the step's gradient, before clipping.
        termGradNorms = {};
        const exclude = new Set(frozen);
        for (const [i, term] of spec.terms.entries()) {
          await this.engine.zeroGradients();
          await this.engine.step({ inputs: spec.inputs, terms: spec.terms.map((u) => (u === term ? u : { ...u, weight: 0 })), training: true, seed });
          termGradNorms[termNames?.[i] ?? `${i}:${term.kind}`] = await gradientNorm(this.engine, exclude);
        }
        await this.engine.zeroGradients();
      }
      const result = await this.engine.step({ ...spec, training: true, seed });
      lastLoss = result.loss;
      if (!Number.isFinite(result.loss)) {
        await this.engine.zeroGradients();
        await this.diverged(step + 1, result.loss, '');
      }
      const update = await this.engine.optimizerStep({ lr, weightDecay: t.weightDecay, clipNorm: t.clipNorm, frozen });
      if (!update.finite) await this.diverged(step + 1, result.loss, `gradient norm ${update.gradNorm}`, update.gradNorm);
      if (update.nonFinite !== undefined) await this.diverged(step + 1, result.loss, `the update made '${update.nonFinite}' non-finite`, update.gradNorm);
      this.state.step = step + 1;
      ranThisProcess++;
      windowExamples += batch.length;
      const done = this.state.step;
      if (done % t.logEvery === 0 || done === t.steps) {
        const seconds = (performance.now() - windowStart) / 1000;
        await this.record({
          type: 'step', step: done, loss: result.loss, lr, gradNorm: update.gradNorm, examplesPerSecond: windowExamples / Math.max(seconds, 1e-9),
          stepMs: performance.now() - t0, ...objective.summarize?.(result), ...(termGradNorms ? { termGradNorms } : {}),
          // One term: its gradient is the step's.
          ...(!termGradNorms && t.termGradNormEvery > 0 && spec.terms.length === 1 && (step === 0 || done % t.termGradNormEvery === 0)
            ? { termGradNorms: { [termNames?.[0] ?? `0:${spec.terms[0].kind}`]: update.gradNorm } } : {}),
        });
        windowStart = performance.now();
        windowExamples = 0;
      }
      if (t.evaluate && (done % t.evalEvery === 0 || done === t.steps)) {
        if (await this.evaluateNow(done)) {
          this.state.stoppedEarly = true;
          await this.record({ type: 'stop', step: done, message: `early stopping: no improvement in ${t.patience} evaluations (best ${this.state.bestMetric} at step ${this.state.bestStep})` });
        }
      }
      if (done % t.checkpointEvery === 0 || done === t.steps || this.state.stoppedEarly) {
        // Logged first: the checkpoint records the log length, its own record included.
        await this.record({ type: 'checkpoint', step: done });
        await this.saveCheckpoint();
      }
    }
    if (t.saveModels) await this.saveModelAtomically(join(t.outputDir, 'final'));
    return this.result(true, lastLoss);
  }

  private result(finished: boolean, lastLoss: number | null): TrainResult {
    return { step: this.state.step, finished, stoppedEarly: this.state.stoppedEarly, bestMetric: this.state.bestMetric, bestStep: this.state.bestStep, lastLoss };
  }
}
