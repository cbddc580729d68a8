/**
 * The one way a unit of a compare is computed, used by the in-process loop (run-compare.ts) and by
 * queue workers (queue/worker.ts): take the unit's lock, skip it when its result exists, run the
 * method, write the result atomically through the ResultStore, drop the scratch folder. The shared
 * teacher is trained once, under its own lock, by whichever process needs it first; the others
 * wait and reuse it.
 */
import { readdirSync, rmdirSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { EngineName } from '../models/engine/types.js';
import type { Progress } from '../data/progress.js';
import type { CompareConfig } from './config.js';
import { prepareExperimentData, type DataHooks, type ExperimentData } from './experiment-data.js';
import { ResultStore } from './result-store.js';
import { checkPretrainedEncoder } from './pretrained.js';
import { ensureTeacher, finishedTeacher, teacherKey, type TeacherResult } from './teacher.js';
import { runMethod, unitWorkDir, type EncodingPlan } from './method-runners.js';
import { FileLock, describeHolder } from './file-lock.js';
import { configHash, dataFingerprint, runDir, teacherLockPath, teachersRoot, unitLockPath } from './run-folder.js';
import { needsTeacher, unitKey, unitLabel, type MethodUnit } from './units.js';

/** Everything a process needs to compute units of one run. */
export interface RunContext {
  config: CompareConfig;
  configHash: string;
  data: ExperimentData;
  /** dataFingerprint(data): what every worker of the run must see identically. */
  dataHash: string;
  outRoot: string;
  dir: string;
  store: ResultStore;
  teacherKey: string;
  /** The teacher's folder (`final/` inside it holds the model once it is trained). */
  teacherRoot: string;
  /** The engine that trains and encodes in this process (resolved once); absent in a process that only
   * enqueues and follows a run (it computes nothing). */
  engine?: EngineName;
  /** Set once the shared teacher is ready in this process. */
  teacher?: TeacherResult;
}

export async function prepareRunContext(config: CompareConfig, options: { outRoot: string; englishPairs: DataHooks['englishPairs']; progress: Progress; engine?: EngineName }): Promise<RunContext> {
  const data = await prepareExperimentData(config, { englishPairs: options.englishPairs, progress: options.progress });
  // Before any training: a pre-trained encoder must not have seen this compare's test text.
  if (config.model.pretrained) await checkPretrainedEncoder(config, data);
  const key = teacherKey(config, data);
  const dir = runDir(options.outRoot, config.name);
  return {
    config, configHash: configHash(config), data, dataHash: dataFingerprint(data), outRoot: options.outRoot, dir,
    store: new ResultStore(dir), teacherKey: key, teacherRoot: join(teachersRoot(options.outRoot), key), engine: options.engine,
  };
}

/** The engine of a process that computes (a context made without one cannot train or encode). */
export function computingEngine(ctx: RunContext): EngineName {
  if (ctx.engine === undefined) throw new Error(`run context of ${ctx.config.name} was prepared without an engine: this process cannot compute units`);
  return ctx.engine;
}

/** Who is working, for lock files and result records: `host:pid`. */
export function processName(): string {
  return `${hostname()}:${process.pid}`;
}

/** Trains, resumes or reuses the shared teacher under its lock (a second process waits, then reuses it). */
export async function sharedTeacher(ctx: RunContext, progress: Progress, purpose: string): Promise<TeacherResult> {
  if (ctx.teacher) return ctx.teacher;
  const finished = finishedTeacher(ctx.config, ctx.data, ctx.teacherRoot);
  if (finished) return (ctx.teacher = finished);
  ctx.teacher = await FileLock.with(teacherLockPath(ctx.outRoot, ctx.teacherKey), {
    purpose: `${purpose}: teacher of ${ctx.config.name}`,
    what: `teacher ${ctx.teacherRoot}`,
    wait: true,
    onWait: (h) => progress.log(`teacher ${ctx.teacherKey} is being trained by ${describeHolder(h)}; waiting to reuse it`),
  }, () => ensureTeacher(ctx.config, ctx.data, ctx.teacherRoot, progress, computingEngine(ctx)));
  return ctx.teacher;
}

export interface UnitRunOptions {
  progress: Progress;
  /** Who runs it (lock files say so), e.g. `optical compare mini` or `optical worker host:pid`. */
  purpose: string;
  /** Shard size and who encodes shards; the ranking depth comes from the config (retrieval.depth). */
  encoding?: Omit<EncodingPlan, 'depth'>;
}

export interface UnitOutcome {
  /** False when the result already existed (finished earlier or by another process meanwhile). */
  computed: boolean;
  seconds: number;
}

/** Computes one unit unless its result exists; safe to call from several processes at once. */
export async function runUnit(ctx: RunContext, unit: MethodUnit, options: UnitRunOptions): Promise<UnitOutcome> {
  const key = unitKey(unit);
  const label = unitLabel(unit);
  if (ctx.store.has(key)) return { computed: false, seconds: 0 };
  return FileLock.with(unitLockPath(ctx.dir, key), {
    purpose: `${options.purpose}: unit ${label}`,
    what: `unit ${label} of ${ctx.dir}`,
    wait: true,
    onWait: (h) => options.progress.log(`${label} is being computed by ${describeHolder(h)}; waiting for it`),
    onLost: (path) => options.progress.log(`warning: lock ${path} was taken over (this process was judged dead); the result is still written atomically`),
  }, async () => {
    if (ctx.store.has(key)) return { computed: false, seconds: 0 };
    const removed = ctx.store.cleanPartial(key);
    if (removed > 0) options.progress.log(`${label}: removed ${removed} partial result folder(s) of an interrupted writer`);
    const fold = ctx.data.folds.find((f) => f.fold === unit.fold);
    if (!fold) throw new RangeError(`${label}: fold ${unit.fold} is not an evaluated fold of ${ctx.config.name}`);
    const teacherDir = needsTeacher(unit.method) ? (await sharedTeacher(ctx, options.progress, options.purpose)).dir : join(ctx.teacherRoot, 'final');
    const engine = computingEngine(ctx);
    const workDir = unitWorkDir(ctx.dir, unit.method.name, unit.seed, unit.fold);
    const t0 = performance.now();
    const encoding = { ...options.encoding, depth: ctx.config.retrieval?.depth };
    const out = await runMethod({ config: ctx.config, data: ctx.data, fold, teacherDir, workDir, progress: options.progress, encoding, engine }, unit.method, unit.seed);
    const seconds = (performance.now() - t0) / 1000;
    ctx.store.write(key, {
      method: unit.method.name, kind: unit.method.kind, seed: unit.seed, fold: unit.fold, seconds, finishedAt: new Date().toISOString(),
      engine, worker: processName(), curve: out.curve, info: out.info,
    }, out.runs, `${unit.method.name}.seed${unit.seed}`);
    // Trainer checkpoints and encoded shards of a finished unit are no longer needed (the result is in results/).
    rmSync(workDir, { recursive: true, force: true });
    removeEmptyParents(workDir, ctx.dir);
    return { computed: true, seconds };
  });
}

/** Removes the now empty folders between `dir` and `root` (work/<method>/seed-<s>/). */
function removeEmptyParents(dir: string, root: string): void {
  const stop = resolve(root);
  for (let d = dirname(resolve(dir)); d.startsWith(stop) && d !== stop; d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) return;
      rmdirSync(d);
    } catch {
      return; // another process wrote into it meanwhile, or removed it
    }
  }
}
