/**
 * One function per method kind: given the shared teacher, the fold's data and a seed, produce a
 * TREC run for every evaluation scenario plus the training curve and the facts the report prints.
 * Every trained method starts from a fresh copy of the same teacher and gets the same budget
 * (steps × batch size) — the comparison is about what the data and objective do, not about
 * how long each method trains.
 */
import { renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createAnalyzer, type Analyzer } from '../ir/bm25/analyzer.js';
import { buildIndex, retrieve } from '../ir/bm25/retrieve.js';
import { LexiconLookup } from '../ir/bm25/query-translation.js';
import type { BilingualLexicon } from '../ir/lexicon-types.js';
import type { Run } from '../ir/types.js';
import type { Lexicon } from '../data/lexicon.js';
import type { Progress } from '../data/progress.js';
import type { EngineName } from '../models/engine/types.js';
import { BiEncoder } from '../train/bi-encoder.js';
import { Trainer } from '../train/trainer.js';
import { distill, type DistillOptions } from '../train/distill.js';
import { codeSwitch } from '../codeswitch/codeswitch.js';
import { switchStats } from '../codeswitch/measures.js';
import { Rng } from '../random/rng.js';
import { codeSwitchedExamples } from '../train/methods/codeswitched-examples.js';
import { crossLingualPool } from '../train/methods/hybrid-batches.js';
import { HybridBatchModel } from '../train/objectives/hybrid.js';
import { cachedTranslator, reverseLexicon } from '../train/methods/word-translation.js';
import type { TrainingExample } from '../train/ranking-model.js';
import { methodBudget, type CompareConfig, type MethodConfig, type MethodOf, type TrainedMethod } from './config.js';
import type { ExperimentData, FoldData } from './experiment-data.js';
import { denseRun, type DenseRetrievalOptions, type ShardStorage } from './dense-retrieval.js';
import { modelFolderId } from './dense-shards.js';
import type { Scenario } from './eval-sets.js';
import type { CurvePoint } from './result-store.js';
import { readTrainingCurve } from './teacher.js';

/** A request to encode missing shards of one unit's collection elsewhere (queue workers). */
export interface ShardRequest {
  scenario: Scenario;
  /** Saved bi-encoder that encodes the documents, and its identity. */
  modelDir: string;
  modelId: string;
  /** Folder the shards go to. */
  dir: string;
  missing: number[];
}

/** How a unit encodes its collections: shard size, ranking depth, and who encodes the shards. */
export interface EncodingPlan {
  shardSize?: number;
  depth?: number;
  /** Encodes missing shards elsewhere; without it every shard is encoded in this process. */
  distribute?: (request: ShardRequest) => Promise<void>;
}

export interface MethodContext {
  config: CompareConfig;
  data: ExperimentData;
  fold: FoldData;
  /** Folder of the trained teacher bi-encoder (HF layout + tokenizer.json). */
  teacherDir: string;
  /** Scratch folder of this unit (trainer checkpoints: an interrupted unit resumes mid-training). */
  workDir: string;
  progress: Progress;
  encoding?: EncodingPlan;
  /** The engine every model of the unit runs on. */
  engine: EngineName;
}

export interface MethodOutput {
  runs: Partial<Record<Scenario, Run>>;
  curve: CurvePoint[];
  info: Record<string, string | number>;
}

/** src/data Lexicon → the plain Map shape of src/ir query translation. */
export function toBilingualLexicon(lex: Lexicon): BilingualLexicon {
  const out: BilingualLexicon = new Map();
  for (const src of lex.headwordList()) out.set(src, lex.get(src).map((s) => ({ term: s.target, weight: s.weight })));
  return out;
}

async function runAllScenarios(ctx: MethodContext, score: (scenario: Scenario) => Promise<Run>): Promise<Partial<Record<Scenario, Run>>> {
  const runs: Partial<Record<Scenario, Run>> = {};
  for (const scenario of ctx.fold.sets.keys()) runs[scenario] = await score(scenario);
  return runs;
}

async function loadTeacher(ctx: MethodContext): Promise<BiEncoder> {
  return BiEncoder.fromPretrained(ctx.teacherDir, { maxLength: ctx.config.budget.maxLength, engine: ctx.engine });
}

/** A saved copy of the model being evaluated (for shards encoded on disk or by other workers). */
type SavedModel = () => Promise<{ dir: string; id: string }>;

/** The teacher folder as it is (zero-shot, translate-test evaluate the teacher unchanged). */
function teacherFolder(ctx: MethodContext): SavedModel {
  return async () => ({ dir: ctx.teacherDir, id: modelFolderId(ctx.teacherDir) });
}

/** Saves a trained model once into the unit's work folder (atomically: temporary folder, then rename). */
function savedOnce(ctx: MethodContext, model: BiEncoder): SavedModel {
  let saved: Promise<{ dir: string; id: string }> | undefined;
  return () => (saved ??= (async () => {
    const dir = join(ctx.workDir, 'model');
    const tmp = `${dir}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    await model.save(tmp);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir);
    return { dir, id: modelFolderId(dir) };
  })());
}

/** `englishQueries`: encodes the English queries (CLIR, MLIR, shift) instead of `model`; target-language queries (MoIR) stay with `model`. */
async function evaluateDense(ctx: MethodContext, model: BiEncoder, saved: SavedModel, options: DenseRetrievalOptions = {}, englishQueries?: BiEncoder): Promise<Partial<Record<Scenario, Run>>> {
  const plan = ctx.encoding ?? {};
  return runAllScenarios(ctx, (scenario) => {
    const set = ctx.fold.sets.get(scenario)!;
    const scenarioOptions = englishQueries && set.topics.every((t) => t.lang === 'en') ? { ...options, queryEncoder: englishQueries } : options;
    const persist = async (): Promise<ShardStorage> => {
      const { dir: modelDir, id: modelId } = await saved();
      const dir = join(ctx.workDir, 'encode', scenario);
      return { dir, modelId, distribute: plan.distribute ? (missing) => plan.distribute!({ scenario, modelDir, modelId, dir, missing }) : undefined };
    };
    // Encoding progress only for collections large enough to take noticeable time.
    return denseRun(model, set, { ...scenarioOptions, shardSize: plan.shardSize, depth: plan.depth, persist, progress: set.collection.length >= 2000 ? ctx.progress : undefined });
  });
}

async function runBm25(ctx: MethodContext, m: MethodOf<'bm25'>): Promise<MethodOutput> {
  const target = ctx.config.languages[0];
  const lookup = new LexiconLookup(toBilingualLexicon(ctx.data.lexicons.get(target)!));
  const runs = await runAllScenarios(ctx, async (scenario) => {
    const set = ctx.fold.sets.get(scenario)!;
    // Mixed-language pools get a language-neutral analyzer (no stemming, no stopwords).
    const docAnalyzer: Analyzer = scenario === 'mlir' ? createAnalyzer({ stopwords: false }) : createAnalyzer({ lang: target });
    const index = await buildIndex(set.collection, docAnalyzer);
    const queryLang = set.topics[0]?.lang ?? 'en';
    const translate = m.translate === 'lexicon' && queryLang === 'en';
    const run = retrieve(index, set.topics, {
      queryAnalyzer: translate ? createAnalyzer({ lang: 'en', stopwords: true }) : docAnalyzer,
      translation: translate ? { lookup, targetAnalyzer: docAnalyzer, keepUntranslated: true } : undefined,
    });
    for (const [qid, excluded] of set.exclude) for (const d of excluded) run.get(qid)?.delete(d);
    return run;
  });
  return { runs, curve: [], info: { translation: m.translate === 'lexicon' ? `word-by-word EN→${target} with the merged lexicon (all senses, weighted)` : 'none (English query terms)' } };
}

async function runZeroShot(ctx: MethodContext): Promise<MethodOutput> {
  const teacher = await loadTeacher(ctx);
  try {
    return { runs: await evaluateDense(ctx, teacher, teacherFolder(ctx)), curve: [], info: {} };
  } finally {
    teacher.dispose();
  }
}

/**
 * The text rewrites of a method at retrieval time (translate-test: word-by-word translation of
 * queries or documents; every other method: none). A function of the config, data and method, so
 * a queue worker encoding one shard of a collection rewrites its documents the same way.
 */
export function retrievalRewrites(config: CompareConfig, data: ExperimentData, m: MethodConfig): Pick<DenseRetrievalOptions, 'queryText' | 'docText'> {
  if (m.kind !== 'translate-test') return {};
  const toTarget = cachedTranslator(data.lexicons.get(config.languages[0])!);
  const toEnglish = new Map<string, (t: string) => string>();
  for (const [lang, lex] of data.lexicons) toEnglish.set(lang, cachedTranslator(reverseLexicon(lex)));
  const intoEnglish = (text: string, lang: string) => (lang === 'en' ? text : (toEnglish.get(lang)?.(text) ?? text));
  return m.side === 'query'
    ? { queryText: (t, lang) => (lang === 'en' ? toTarget(t) : t) }
    : { docText: intoEnglish, queryText: intoEnglish };
}

async function runTranslateTest(ctx: MethodContext, m: MethodOf<'translate-test'>): Promise<MethodOutput> {
  const target = ctx.config.languages[0];
  const teacher = await loadTeacher(ctx);
  try {
    return {
      runs: await evaluateDense(ctx, teacher, teacherFolder(ctx), retrievalRewrites(ctx.config, ctx.data, m)),
      curve: [],
      info: { translation: m.side === 'query' ? `queries EN→${target} word by word (top sense)` : 'documents (and non-English queries) X→EN word by word with the reversed lexicon (top sense)' },
    };
  } finally {
    teacher.dispose();
  }
}

async function trainBiEncoder(ctx: MethodContext, m: TrainedMethod, seed: number, examples: TrainingExample[], wrap?: (bi: BiEncoder) => HybridBatchModel): Promise<{ model: BiEncoder; curve: CurvePoint[]; hybrid?: HybridBatchModel }> {
  const b = methodBudget(ctx.config, m);
  const model = await loadTeacher(ctx);
  const hybrid = wrap?.(model);
  const trainer = new Trainer({
    model: hybrid ?? model, examples, outputDir: ctx.workDir, steps: b.steps, batchSize: b.batchSize, lr: b.lr, seed,
    saveModels: false, logEvery: Math.max(1, Math.floor(b.steps / 40)), checkpointEvery: Math.max(10, Math.floor(b.steps / 4)),
    onLog: (r) => {
      if (r.type === 'step' && typeof r.loss === 'number') ctx.progress.update(r.step, r.totalSteps, `${m.name} loss ${r.loss.toFixed(3)}`);
    },
  });
  try {
    await trainer.run();
  } catch (err) {
    model.dispose();
    throw err;
  }
  // The curve from the trainer's log, not from this process's callbacks: a unit resumed from a
  // checkpoint (after an interruption, or on another worker) keeps the steps logged before it.
  return { model, curve: readTrainingCurve(ctx.workDir), hybrid };
}

/** A trained method's model, its training curve and the facts the report prints. */
export interface TrainedModel {
  model: BiEncoder;
  curve: CurvePoint[];
  info: Record<string, string | number>;
  /** Encodes the English queries instead of `model` (e.g. the frozen teacher after distillation); freed with the model. */
  queryEncoder?: BiEncoder;
}

/** Scores a trained model on every scenario (saving it first when its collections are sharded), then frees it. */
async function evaluateTrained(ctx: MethodContext, { model, curve, info, queryEncoder }: TrainedModel): Promise<MethodOutput> {
  try {
    return { runs: await evaluateDense(ctx, model, savedOnce(ctx, model), {}, queryEncoder), curve, info };
  } finally {
    model.dispose();
    queryEncoder?.dispose();
  }
}

function englishSlice(ctx: MethodContext): { query: string; doc: string }[] {
  return ctx.data.englishPairs.slice(0, ctx.config.data.englishPairs);
}

function lexiconsFor(ctx: MethodContext, scheme: 'bl' | 'ml'): Lexicon[] {
  return scheme === 'bl' ? [ctx.data.lexicons.get(ctx.config.languages[0])!] : ctx.config.languages.map((l) => ctx.data.lexicons.get(l)!);
}

/** Code-switching scheme of methods that do not choose one: multilingual when the config has several languages. */
function configScheme(ctx: MethodContext): 'bl' | 'ml' {
  return ctx.config.languages.length > 1 ? 'ml' : 'bl';
}

async function trainCodeSwitched(ctx: MethodContext, m: MethodOf<'cs-finetune'>, seed: number): Promise<TrainedModel> {
  const cs = codeSwitchedExamples(englishSlice(ctx), { scheme: m.scheme, lexicons: lexiconsFor(ctx, m.scheme), p: m.p, monolingualRatio: m.monolingualRatio, seed });
  const { model, curve } = await trainBiEncoder(ctx, m, seed, cs.examples);
  return { model, curve, info: {
    scheme: m.scheme, p: m.p, monolingualRatio: m.monolingualRatio,
    csFrequency: cs.overall.switchRate, csFrequencySwitchedOnly: cs.stats.switchRate, switchedPairs: cs.switchedPairs, pairs: cs.examples.length,
  } };
}

async function trainHybrid(ctx: MethodContext, m: MethodOf<'hybrid'>, seed: number): Promise<TrainedModel> {
  const english = englishSlice(ctx);
  const pool = crossLingualPool({
    source: m.crossSource, side: m.crossSide, english, bitext: ctx.fold.bitext, lexicons: lexiconsFor(ctx, configScheme(ctx)), seed,
  });
  const examples = english.map((p) => ({ query: p.query, positive: p.doc, negatives: [] }));
  const { model, curve, hybrid } = await trainBiEncoder(ctx, m, seed, examples, (bi) => new HybridBatchModel(bi, pool.examples, m.alpha));
  return { model, curve, info: {
    alpha: m.alpha, crossSource: m.crossSource, crossSide: m.crossSide,
    crossFromBitext: pool.counts.bitext, crossFromLexicon: pool.counts.lexicon, crossFromCodeSwitch: pool.counts.codeswitch,
    monolingualBatches: hybrid!.batches.monolingual, crossLingualBatches: hybrid!.batches.crossLingual,
  } };
}

/** The distillation bitext of an OPTICAL / sentence-distillation method: the fold's real pairs and/or code-switched English sentences. */
function distillBitext(ctx: MethodContext, m: MethodOf<'optical' | 'sentence-distill'>, seed: number, info: Record<string, string | number>): { src: string; tgt: string }[] {
  const bitext: { src: string; tgt: string }[] = [];
  if (m.bitext === 'real' || m.bitext === 'both') {
    for (const p of ctx.fold.bitext) bitext.push({ src: p.src, tgt: p.tgt });
    info.realPairs = ctx.fold.bitext.length;
  }
  if (m.bitext === 'cs' || m.bitext === 'both') {
    // Code-switched bitext from English training sentences (the teacher's own domain).
    const rng = new Rng(`optical-cs:${seed}`);
    const scheme = configScheme(ctx);
    const lexicons = lexiconsFor(ctx, scheme);
    const results = englishSlice(ctx).map((p) => codeSwitch(p.query, { mode: scheme, lexicons, p: m.p, seed: rng }));
    const switched = results.filter((r) => r.replacements.length > 0);
    for (const r of switched) bitext.push({ src: r.src, tgt: r.tgt });
    info.codeSwitchedPairs = switched.length;
    info.csFrequency = switchStats(results).switchRate;
  }
  info.pairs = bitext.length;
  return bitext;
}

/** The distillation settings of a method kind (OPTICAL with its terms, or Reimers & Gurevych's sentence MSE without OT). */
function distillSettings(m: MethodOf<'optical' | 'sentence-distill'>): Pick<DistillOptions, 'eps' | 'maxIter' | 'layer' | 'rho' | 'englishWeight' | 'otWeight' | 'sentenceLoss' | 'sentenceWeight' | 'sentenceTemperature' | 'sentenceEnglish'> {
  if (m.kind === 'sentence-distill') return { otWeight: 0, sentenceLoss: 'mse', sentenceWeight: 1, sentenceEnglish: true, englishWeight: 0 };
  return {
    eps: m.eps, maxIter: m.maxIter, layer: m.layer, ...(m.rho !== undefined ? { rho: m.rho } : {}), englishWeight: m.englishWeight, otWeight: m.otWeight,
    sentenceLoss: m.sentenceLoss, sentenceWeight: m.sentenceWeight, sentenceTemperature: m.sentenceTemperature,
  };
}

async function trainDistilled(ctx: MethodContext, m: MethodOf<'optical' | 'sentence-distill'>, seed: number): Promise<TrainedModel> {
  const b = methodBudget(ctx.config, m);
  const teacher = await loadTeacher(ctx);
  const settings = distillSettings(m);
  const info: Record<string, string | number> = m.kind === 'optical'
    ? { bitext: m.bitext, eps: m.eps, ...(m.rho !== undefined ? { rho: m.rho } : {}), layer: m.layer, englishWeight: m.englishWeight, otWeight: m.otWeight, sentenceLoss: m.sentenceLoss, queryEncoder: m.queryEncoder }
    : { bitext: m.bitext, loss: 'MSE(teacher(en), student(x)) + MSE(teacher(en), student(en)), no OT', queryEncoder: m.queryEncoder };
  if (m.kind === 'optical' && m.sentenceLoss !== 'none') Object.assign(info, { sentenceWeight: m.sentenceWeight, sentenceTemperature: m.sentenceTemperature });
  const bitext = distillBitext(ctx, m, seed, info);
  const english = englishSlice(ctx).map((p) => ({ query: p.query, positive: p.doc, negatives: [] as string[] }));
  let keepTeacher = false;
  try {
    const result = await distill({
      teacher: teacher.engine, tokenizer: teacher.tokenizer, bitext, kind: 'cosine', ...settings,
      steps: b.steps, batchSize: b.batchSize, lr: b.lr, seed, maxLength: b.maxLength, outputDir: ctx.workDir,
      checkpointEvery: Math.max(10, Math.floor(b.steps / 4)), queryEncoder: m.queryEncoder,
      english: (settings.englishWeight ?? 0) > 0 ? english : undefined,
      onStep: (r) => ctx.progress.update(r.step, b.steps, `${m.name} loss ${r.loss.toFixed(4)}`),
    });
    const student = new BiEncoder(result.student, teacher.tokenizer, { maxLength: b.maxLength });
    info.truncatedTargets = Number(result.truncation.target.toFixed(4));
    const first = result.log.find((r) => r.termGradNorms);
    if (first?.termGradNorms) for (const [k, v] of Object.entries(first.termGradNorms)) info[`gradNorm0.${k}`] = Number(v.toPrecision(4));
    // The curve from the run's log: a unit resumed from its checkpoint keeps the steps before it.
    const curve: CurvePoint[] = result.log.map((r) => ({ step: r.step, loss: r.loss }));
    keepTeacher = m.queryEncoder === 'teacher';
    return { model: student, curve, info, queryEncoder: keepTeacher ? teacher : undefined };
  } finally {
    if (!keepTeacher) teacher.dispose();
  }
}

/**
 * Trains a trained method's model for one seed on one fold (from a fresh copy of the teacher),
 * without evaluating it — runMethod evaluates it on the fold's test sets; a development study
 * evaluates it on development data instead (bench/compare/demo-budget.ts).
 */
export async function trainMethod(ctx: MethodContext, m: TrainedMethod, seed: number): Promise<TrainedModel> {
  switch (m.kind) {
    case 'cs-finetune': return trainCodeSwitched(ctx, m, seed);
    case 'hybrid': return trainHybrid(ctx, m, seed);
    case 'optical':
    case 'sentence-distill': return trainDistilled(ctx, m, seed);
  }
}

/** Runs one method for one seed on one fold. */
export async function runMethod(ctx: MethodContext, m: MethodConfig, seed: number): Promise<MethodOutput> {
  switch (m.kind) {
    case 'bm25': return runBm25(ctx, m);
    case 'zero-shot': return runZeroShot(ctx);
    case 'translate-test': return runTranslateTest(ctx, m);
    default: return evaluateTrained(ctx, await trainMethod(ctx, m, seed));
  }
}

/** Scratch folder of a unit. */
export function unitWorkDir(runDir: string, method: string, seed: number, fold: number): string {
  return join(runDir, 'work', method, `seed-${seed}`, `fold-${fold}`);
}
