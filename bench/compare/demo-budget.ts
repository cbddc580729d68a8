/**
 * `npm run bench:demo-budget`: chooses the budgets of a shipped compare config (model size, teacher
 * steps, steps per trained method, batch, maxLength) on a DEVELOPMENT split, never on its test
 * queries. The development split is carved out of the training side only:
 *  - dev CLIR: `--dev-pairs` pairs of the fold's training bitext (for demo-sw: CLDR phrases), held
 *    out of training — English phrase → the collection of their target-language phrases, one
 *    relevant document each;
 *  - dev English: `--dev-english` State of the Union inverse-cloze pairs beyond the ones any model
 *    trains on (the same seeded shuffle, a longer slice) — sentence → passage.
 * Their texts are also removed from the tokenizer's vocabulary texts, so a candidate never sees a
 * dev text in any training step. The test recipe's sets are dropped from the study's data: nothing
 * here ranks or scores a test query.
 *
 * Each candidate trains its own teacher (ensureTeacher, as compare does) and the studied methods
 * (trainMethod, as compare does, from a fresh copy of that teacher), then ranks both dev sets with
 * the teacher (zero-shot) and every trained model. Its cost is the measured training CPU time
 * projected onto the config's full method list and seeds (an unstudied method costs what the studied
 * method of its kind cost) — CPU time, because on a shared machine the wall time mostly measures
 * the other jobs; on an idle 2-core machine the wall time is at most the CPU time. The chosen candidate: the best mean dev-CLIR nDCG@10 over the dense models
 * (zero-shot and the studied methods) among the candidates whose projected training time fits
 * `--target` seconds; ties go to the cheaper one.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../../src/cli/command.js';
import { listOption, parseCommandArgs, rangeOption } from '../../src/cli/args.js';
import { loadCompareConfig } from '../../src/compare/config-file.js';
import { isTrained, validateCompareConfig, type CompareConfig, type TrainedMethod } from '../../src/compare/config.js';
import { prepareExperimentData, type EnglishPair, type ExperimentData } from '../../src/compare/experiment-data.js';
import { sotuEnglishPairs } from '../../src/compare/english-pairs.js';
import type { EvalSet } from '../../src/compare/eval-sets.js';
import { ensureTeacher } from '../../src/compare/teacher.js';
import { trainMethod, unitWorkDir, type MethodContext } from '../../src/compare/method-runners.js';
import { denseRun } from '../../src/compare/dense-retrieval.js';
import { scoreRun } from '../../src/compare/aggregate.js';
import { BiEncoder } from '../../src/train/bi-encoder.js';
import { Rng } from '../../src/random/rng.js';
import { resolveEngine } from '../../src/models/engine/choose.js';
import type { EngineName } from '../../src/models/engine/types.js';
import type { BitextPair, Qrel } from '../../src/data/types.js';
import { silentProgress, stderrProgress, type Progress } from '../../src/data/progress.js';
import type { Qrels } from '../../src/ir/types.js';

export const DEV_METRICS = ['nDCG@10', 'RR@10', 'R@100'] as const;

/** One budget to try. */
export interface Candidate {
  size: 'tiny' | 'small';
  teacherSteps: number;
  steps: number;
  batchSize: number;
  maxLength: number;
}

export function candidateLabel(c: Candidate): string {
  return `${c.size}-t${c.teacherSteps}-m${c.steps}-b${c.batchSize}-L${c.maxLength}`;
}

/** `size:teacherSteps:steps[:batch[:maxLength]]`, the missing parts from the config's budget. */
export function parseCandidate(spec: string, config: CompareConfig): Candidate {
  const parts = spec.split(':');
  const bad = (why: string) => new UsageError(`--candidates: '${spec}' ${why} (expected size:teacherSteps:steps[:batch[:maxLength]], e.g. small:600:150)`);
  if (parts.length < 3 || parts.length > 5) throw bad('has the wrong number of parts');
  const [size, ...nums] = parts;
  if (size !== 'tiny' && size !== 'small') throw bad(`has an unknown size '${size}' (tiny, small)`);
  const ints = nums.map((n) => Number(n));
  if (ints.some((n, i) => !Number.isInteger(n) || n < (i === 2 ? 2 : 1))) throw bad('needs positive integers (batch ≥ 2)');
  return { size, teacherSteps: ints[0], steps: ints[1], batchSize: ints[2] ?? config.budget.batchSize, maxLength: ints[3] ?? config.budget.maxLength };
}

/** The config with a candidate's budgets (validated again, so a budget the schema refuses is an error here). */
export function candidateConfig(config: CompareConfig, c: Candidate): CompareConfig {
  return validateCompareConfig({
    ...config,
    name: `${config.name}-dev-${candidateLabel(c)}`,
    model: { ...config.model, size: c.size },
    teacher: { ...config.teacher, steps: c.teacherSteps },
    budget: { ...config.budget, steps: c.steps, batchSize: c.batchSize, maxLength: c.maxLength },
    // Per-method step/batch overrides would bypass the candidate's budget.
    methods: config.methods.map((m) => (isTrained(m) ? { ...m, steps: undefined, batchSize: undefined } : m)),
  });
}

export interface DevSplit {
  /** The experiment data with the dev texts removed from the training side and no test sets. */
  data: ExperimentData;
  clir: EvalSet;
  english: EvalSet;
}

function oneToOneSet(pairs: { q: string; d: string }[], qlang: string, dlang: string, prefix: string): EvalSet {
  const topics = pairs.map((p, i) => ({ qid: `${prefix}-q${i}`, text: p.q, lang: qlang }));
  const collection = pairs.map((p, i) => ({ docno: `${prefix}-d${i}`, text: p.d, lang: dlang }));
  const qrels: Qrel[] = pairs.map((_, i) => ({ qid: `${prefix}-q${i}`, docno: `${prefix}-d${i}`, rel: 1 }));
  return { scenario: 'clir', topics, collection, qrels, exclude: new Map() };
}

/**
 * Splits development data off the training side of `data` (built with `englishExtra` more English
 * pairs than the config trains on, see devEnglishHook). Dev CLIR pairs are drawn from the first
 * fold's training bitext, keeping only pairs whose English and target text occur once in it; every
 * remaining training pair that shares a text with a dev pair is dropped. Dev English pairs are the
 * extra pairs at the end of the English list, minus any that share a text with a training pair.
 */
export function devSplit(data: ExperimentData, config: CompareConfig, options: { devPairs: number; englishExtra: number }): DevSplit {
  if (data.folds.length === 0) throw new RangeError('devSplit: the data has no fold');
  const fold = data.folds[0];
  const count = (texts: string[]) => texts.reduce((m, t) => m.set(t, (m.get(t) ?? 0) + 1), new Map<string, number>());
  const srcCount = count(fold.bitext.map((p) => p.src));
  const tgtCount = count(fold.bitext.map((p) => p.tgt));
  const target = config.languages[0];
  const unique = fold.bitext.filter((p) => p.tgtLang === target && srcCount.get(p.src) === 1 && tgtCount.get(p.tgt) === 1);
  const dev = new Rng('demo-budget:dev-bitext').shuffle(unique).slice(0, options.devPairs);
  if (dev.length < Math.min(options.devPairs, 10)) throw new RangeError(`devSplit: only ${dev.length} training pairs can be held out as dev CLIR pairs (need ${options.devPairs})`);
  const devTexts = new Set(dev.flatMap((p) => [p.src, p.tgt]));
  const train: BitextPair[] = fold.bitext.filter((p) => !devTexts.has(p.src) && !devTexts.has(p.tgt));

  const trainedEnglish = Math.max(config.data.englishPairs, config.teacher.pairs);
  if (data.englishPairs.length < trainedEnglish + 1) throw new RangeError(`devSplit: ${data.englishPairs.length} English pairs, none left for dev beyond the ${trainedEnglish} the config trains on`);
  const englishTrain: EnglishPair[] = data.englishPairs.slice(0, trainedEnglish);
  const englishTexts = new Set(englishTrain.flatMap((p) => [p.query, p.doc]));
  const englishDev = data.englishPairs.slice(trainedEnglish, trainedEnglish + options.englishExtra).filter((p) => !englishTexts.has(p.query) && !englishTexts.has(p.doc));
  for (const p of englishDev) devTexts.add(p.query).add(p.doc);

  return {
    data: {
      ...data,
      folds: [{ ...fold, bitext: train, sets: new Map(), testUnits: [] }],
      englishPairs: englishTrain,
      vocabularyTexts: data.vocabularyTexts.filter((t) => !devTexts.has(t)),
    },
    clir: oneToOneSet(dev.map((p) => ({ q: p.src, d: p.tgt })), 'en', target, 'dev-clir'),
    english: oneToOneSet(englishDev.map((p) => ({ q: p.query, d: p.doc })), 'en', 'en', 'dev-en'),
  };
}

/** English-pair source asking for `extra` more pairs than the compare would (the dev English pairs). */
export function devEnglishHook(extra: number, source = sotuEnglishPairs) {
  return (count: number, seed: number, exclude: ReadonlySet<string>) => source(count + extra, seed, exclude);
}

function qrelsMap(qrels: readonly Qrel[]): Qrels {
  const m: Qrels = new Map();
  for (const q of qrels) {
    if (!m.has(q.qid)) m.set(q.qid, new Map());
    m.get(q.qid)!.set(q.docno, q.rel);
  }
  return m;
}

/** Mean of each dev metric of a model on one set. */
export async function devScores(model: BiEncoder, set: EvalSet): Promise<Record<string, number>> {
  const per = scoreRun(qrelsMap(set.qrels), await denseRun(model, set), [...DEV_METRICS]);
  const out: Record<string, number> = {};
  for (const [metric, byQuery] of Object.entries(per)) {
    const values = Object.values(byQuery);
    out[metric] = values.reduce((a, b) => a + b, 0) / values.length;
  }
  return out;
}

export interface ModelResult {
  /** 'zero-shot' or the method name. */
  model: string;
  seed?: number;
  trainSeconds: number;
  trainCpuSeconds: number;
  clir: Record<string, number>;
  english: Record<string, number>;
}

export interface CandidateResult {
  candidate: Candidate;
  label: string;
  teacherSeconds: number;
  teacherCpuSeconds: number;
  models: ModelResult[];
  /**
   * Teacher + seeds × every trained method of the config (unstudied ones priced by kind), in CPU
   * seconds of this process: on a shared machine the wall time measures the other jobs, the CPU
   * time measures the work (on an idle 2-core machine the wall time is at most this).
   */
  projectedSeconds: number;
  /** The same projection from the measured wall times (load-dependent). */
  projectedWallSeconds: number;
  /** Mean dev-CLIR nDCG@10 over the dense models. */
  devClir: number;
  devEnglish: number;
}

/** Projected training time of the full config: the teacher plus every trained method × seed. */
export function projectSeconds(config: CompareConfig, teacherSeconds: number, trained: { method: TrainedMethod; seconds: number }[]): number {
  if (trained.length === 0) return teacherSeconds;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const byName = new Map<string, number[]>();
  const byKind = new Map<string, number[]>();
  for (const t of trained) {
    byName.set(t.method.name, [...(byName.get(t.method.name) ?? []), t.seconds]);
    byKind.set(t.method.kind, [...(byKind.get(t.method.kind) ?? []), t.seconds]);
  }
  const all = mean(trained.map((t) => t.seconds));
  let perSeed = 0;
  for (const m of config.methods.filter(isTrained)) {
    perSeed += mean(byName.get(m.name) ?? byKind.get(m.kind) ?? [all]);
  }
  return teacherSeconds + config.seeds.length * perSeed;
}

/** The chosen candidate: best dev CLIR among those that fit the time target (ties: cheaper); none fits → the cheapest. */
export function chooseCandidate(results: CandidateResult[], targetSeconds: number): { chosen: CandidateResult; fits: boolean } {
  if (results.length === 0) throw new RangeError('chooseCandidate: no candidates');
  const fitting = results.filter((r) => r.projectedSeconds <= targetSeconds);
  if (fitting.length === 0) return { chosen: [...results].sort((a, b) => a.projectedSeconds - b.projectedSeconds)[0], fits: false };
  const best = [...fitting].sort((a, b) => b.devClir - a.devClir || a.projectedSeconds - b.projectedSeconds)[0];
  return { chosen: best, fits: true };
}

function cpuSeconds(start: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(start);
  return (u.user + u.system) / 1e6;
}

export interface StudyOptions {
  candidates: Candidate[];
  /** Names of trained methods of the config to train per candidate. */
  methods: string[];
  seeds: number[];
  devPairs: number;
  devEnglish: number;
  outDir: string;
  engine: EngineName;
  progress?: Progress;
  englishPairs?: typeof sotuEnglishPairs;
  log?: (line: string) => void;
  /** Called after each candidate (the CLI saves the results so far). */
  onResult?: (results: CandidateResult[]) => void;
}

/** Runs the study: one teacher per candidate, the studied methods × seeds, dev scores. */
export async function runBudgetStudy(config: CompareConfig, options: StudyOptions): Promise<{ split: DevSplit; results: CandidateResult[] }> {
  const progress = options.progress ?? silentProgress;
  const log = options.log ?? (() => {});
  const methods = options.methods.map((name) => {
    const m = config.methods.find((x) => x.name === name);
    if (!m) throw new UsageError(`--methods: '${name}' is not a method of ${config.name} (${config.methods.map((x) => x.name).join(', ')})`);
    if (!isTrained(m)) throw new UsageError(`--methods: '${name}' is not a trained method (kind ${m.kind})`);
    return m;
  });
  const full = await prepareExperimentData(config, { englishPairs: devEnglishHook(options.devEnglish, options.englishPairs), progress });
  const split = devSplit(full, config, { devPairs: options.devPairs, englishExtra: options.devEnglish });
  log(`dev split: ${split.clir.topics.length} CLIR pairs held out of ${full.folds[0].bitext.length} training bitext pairs (${split.data.folds[0].bitext.length} left for training); ${split.english.topics.length} English pairs beyond the ${split.data.englishPairs.length} trained on`);

  const results: CandidateResult[] = [];
  for (const candidate of options.candidates) {
    const label = candidateLabel(candidate);
    const cfg = candidateConfig(config, candidate);
    const root = join(options.outDir, label);
    mkdirSync(root, { recursive: true });
    log(`${label}: teacher ${candidate.teacherSteps} steps, ${candidate.size}`);
    let cpu = process.cpuUsage();
    let t0 = performance.now();
    // Candidates that differ only in the methods' budget share one teacher (its weights do not depend on it).
    const teacherRoot = join(options.outDir, 'teachers', `${candidate.size}-t${candidate.teacherSteps}-L${candidate.maxLength}`);
    const cpuFile = join(teacherRoot, 'teacher.cpu-seconds');
    const reused = existsSync(cpuFile);
    const teacher = await ensureTeacher(cfg, split.data, teacherRoot, progress, options.engine);
    const teacherSeconds = teacher.seconds || (performance.now() - t0) / 1000;
    // A teacher reused from an earlier run of the study keeps the CPU time it cost then.
    const teacherCpuSeconds = reused ? Number(readFileSync(cpuFile, 'utf8')) : cpuSeconds(cpu);
    if (!reused) writeFileSync(cpuFile, String(teacherCpuSeconds));
    const models: ModelResult[] = [];
    const zeroShot = await BiEncoder.fromPretrained(teacher.dir, { maxLength: cfg.budget.maxLength, engine: options.engine });
    try {
      models.push({ model: 'zero-shot', trainSeconds: 0, trainCpuSeconds: 0, clir: await devScores(zeroShot, split.clir), english: await devScores(zeroShot, split.english) });
    } finally {
      zeroShot.dispose();
    }
    const trained: { method: TrainedMethod; seconds: number }[] = [];
    const trainedCpu: { method: TrainedMethod; seconds: number }[] = [];
    for (const m of methods) {
      const method = cfg.methods.find((x) => x.name === m.name) as TrainedMethod;
      for (const seed of options.seeds) {
        const ctx: MethodContext = {
          config: cfg, data: split.data, fold: split.data.folds[0], teacherDir: teacher.dir,
          workDir: unitWorkDir(root, method.name, seed, 0), progress, engine: options.engine,
        };
        mkdirSync(ctx.workDir, { recursive: true });
        cpu = process.cpuUsage();
        t0 = performance.now();
        const { model } = await trainMethod(ctx, method, seed);
        const seconds = (performance.now() - t0) / 1000;
        const trainCpu = cpuSeconds(cpu);
        try {
          models.push({ model: method.name, seed, trainSeconds: seconds, trainCpuSeconds: trainCpu, clir: await devScores(model, split.clir), english: await devScores(model, split.english) });
        } finally {
          model.dispose();
        }
        trained.push({ method, seconds });
        trainedCpu.push({ method, seconds: trainCpu });
        log(`${label}: ${method.name} seed ${seed}: ${seconds.toFixed(1)} s (CPU ${trainCpu.toFixed(1)} s), dev CLIR nDCG@10 ${models.at(-1)!.clir['nDCG@10'].toFixed(3)}`);
      }
    }
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const result: CandidateResult = {
      candidate, label, teacherSeconds, teacherCpuSeconds, models,
      projectedSeconds: projectSeconds(cfg, teacherCpuSeconds, trainedCpu),
      projectedWallSeconds: projectSeconds(cfg, teacherSeconds, trained),
      devClir: mean(models.map((r) => r.clir['nDCG@10'])),
      devEnglish: mean(models.map((r) => r.english['nDCG@10'])),
    };
    results.push(result);
    options.onResult?.(results);
    log(`${label}: teacher ${teacherSeconds.toFixed(1)} s (CPU ${teacherCpuSeconds.toFixed(1)} s), projected training CPU ${result.projectedSeconds.toFixed(0)} s (wall here ${result.projectedWallSeconds.toFixed(0)} s), mean dev CLIR nDCG@10 ${result.devClir.toFixed(3)}, dev English ${result.devEnglish.toFixed(3)}`);
  }
  return { split, results };
}

/** The study as a Markdown table (one row per candidate). */
export function studyTable(results: CandidateResult[], methods: string[]): string {
  const f = (x: number) => x.toFixed(3);
  const head = ['candidate', 'teacher CPU s', 'projected training CPU s (wall here)', ...['zero-shot', ...methods].map((m) => `${m} dev CLIR nDCG@10`), 'mean dev CLIR nDCG@10', 'mean dev EN nDCG@10'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of results) {
    const per = ['zero-shot', ...methods].map((m) => {
      const rows = r.models.filter((x) => x.model === m);
      return rows.length ? f(rows.reduce((a, x) => a + x.clir['nDCG@10'], 0) / rows.length) : '';
    });
    lines.push(`| ${r.label} | ${r.teacherCpuSeconds.toFixed(0)} | ${r.projectedSeconds.toFixed(0)} (${r.projectedWallSeconds.toFixed(0)}) | ${per.join(' | ')} | ${f(r.devClir)} | ${f(r.devEnglish)} |`);
  }
  return lines.join('\n');
}

const USAGE = `npm run bench:demo-budget -- [--config demo-sw] [--candidates size:teacherSteps:steps[:batch[:maxLength]],...]
                          [--methods bl-cs,hybrid,optical-real] [--seeds 1] [--dev-pairs 300] [--dev-english 300]
                          [--target 540] [--out runs/demo-budget] [--json FILE]

  Chooses a compare config's budgets on a development split held out of its training side (training
  bitext pairs and English inverse-cloze pairs beyond the trained ones); never touches test queries.
  Per candidate: a teacher, the listed trained methods × seeds, dev nDCG@10 / RR@10 / R@100, the
  projected training time of the whole config; the chosen candidate is the best mean dev-CLIR
  nDCG@10 among those whose projected training CPU time fits --target seconds.`;

export interface BudgetArgs {
  config: CompareConfig;
  candidates: Candidate[];
  methods: string[];
  seeds: number[];
  devPairs: number;
  devEnglish: number;
  target: number;
  out: string;
  json?: string;
}

export function parseBudgetArgs(argv: string[]): BudgetArgs {
  const { values } = parseCommandArgs(argv, {
    config: { type: 'string', default: 'demo-sw' },
    candidates: { type: 'string', default: 'tiny:300:50,tiny:1000:200,small:300:60,tiny:2000:400,tiny:1000:800,small:300:150,tiny:2000:800' },
    methods: { type: 'string', default: 'bl-cs,hybrid,optical-real' },
    seeds: { type: 'string', default: '1' },
    'dev-pairs': { type: 'string', default: '300' },
    'dev-english': { type: 'string', default: '300' },
    target: { type: 'string', default: '540' },
    out: { type: 'string', default: join('runs', 'demo-budget') },
    json: { type: 'string' },
  });
  let config: CompareConfig;
  try {
    config = loadCompareConfig(values.config!);
  } catch (err) {
    throw new UsageError(`--config: ${(err as Error).message}`);
  }
  const intList = (name: string, text: string | undefined) => listOption(text, []).map((s) => rangeOption(name, s, 0, { min: 1, int: true }));
  const candidates = listOption(values.candidates, []).map((s) => parseCandidate(s, config));
  const methods = listOption(values.methods, []);
  const seeds = intList('seeds', values.seeds);
  if (candidates.length === 0) throw new UsageError('--candidates: give at least one candidate');
  if (seeds.length === 0) throw new UsageError('--seeds: give at least one seed');
  return {
    config, candidates, methods, seeds,
    devPairs: rangeOption('dev-pairs', values['dev-pairs'], 300, { min: 10, int: true }),
    devEnglish: rangeOption('dev-english', values['dev-english'], 300, { min: 10, int: true }),
    target: rangeOption('target', values.target, 540, { gt: 0 }),
    out: values.out!,
    json: values.json,
  };
}

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  let args: BudgetArgs;
  try {
    args = parseBudgetArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`demo-budget: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    throw err;
  }
  const engine = resolveEngine(undefined);
  const loadBefore = loadavg();
  const started = new Date().toISOString();
  const log = (line: string) => console.log(line);
  log(`demo-budget: ${args.config.name}, engine ${engine}, ${cpus().length} cores, load ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  const save = (results: CandidateResult[], extra: Record<string, unknown>) => {
    if (!args.json) return;
    writeFileSync(args.json, JSON.stringify({
      config: args.config.name, engine, started, finished: new Date().toISOString(), cpus: cpus().length, cpuModel: cpus()[0]?.model, loadBefore, loadAfter: loadavg(),
      targetSeconds: args.target, methods: args.methods, seeds: args.seeds, results, ...extra,
    }, null, 2) + '\n');
  };
  const { split, results } = await runBudgetStudy(args.config, {
    candidates: args.candidates, methods: args.methods, seeds: args.seeds, devPairs: args.devPairs, devEnglish: args.devEnglish,
    outDir: join(args.out, args.config.name), engine, progress: stderrProgress('demo-budget'), log,
    onResult: (so) => save(so, { complete: false }),
  });
  const { chosen, fits } = chooseCandidate(results, args.target);
  const loadAfter = loadavg();
  log('');
  log(studyTable(results, args.methods));
  log('');
  log(fits
    ? `chosen: ${chosen.label} (best mean dev CLIR nDCG@10 ${chosen.devClir.toFixed(3)} among candidates projected ≤ ${args.target} CPU s of training)`
    : `no candidate fits ${args.target} s; the cheapest is ${chosen.label} (${chosen.projectedSeconds.toFixed(0)} s)`);
  log(`load ${loadBefore.map((l) => l.toFixed(2)).join(' ')} → ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`);
  save(results, {
    complete: true,
    devSplit: { clirPairs: split.clir.topics.length, englishPairs: split.english.topics.length, trainingBitext: split.data.folds[0].bitext.length },
    chosen: chosen.label, fits,
  });
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err) => { console.error(err); process.exitCode = 1; });
}
