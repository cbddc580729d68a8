/**
 * OPTICAL distillation: a frozen English teacher, a trainable student initialised from it, and for
 * each bitext pair (English → teacher, target language → student) an optimal-transport loss between
 * their token representations at one layer (objectives/optical.ts), trained by the one training loop
 * (trainer.ts) — so distillation checkpoints and resumes, stops on abort with a checkpoint, and
 * stops on divergence keeping the last good checkpoint, like every other objective. The alignment
 * needs no word alignment or parallel tokenisation: OT finds which student tokens carry the meaning
 * of which teacher tokens. Bitext can be real parallel text or code-switched English.
 *
 * Terms beside the token OT term (objectives/optical.ts): a sentence term between the frozen
 * teacher's pooled English side and the student's pooled target side (`sentenceLoss` 'infonce' with
 * in-batch negatives, or 'mse'), optionally on the student's English side too (`sentenceEnglish`:
 * with `otWeight` 0 and 'mse' this is Reimers & Gurevych 2020), and an English term that keeps the
 * student's English behaviour (`englishWeight` × InfoNCE on English retrieval pairs). The step log
 * holds each term's value and, every `termGradNormEvery` steps, each term's own gradient norm —
 * under the one global-norm clip a term with a large gradient decides the update.
 *
 * How the defaults were chosen (sentence term on, English term off, queries by the student) is in
 * README.md, "OPTICAL objective: ablation and defaults": on a development split of the training
 * folds' articles, never on test queries.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../models/engine/choose.js';
import { saveEngine } from '../models/engine/checkpoint.js';
import type { Engine } from '../models/engine/types.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import { num, obj, oneOf, parseConfig, z, type ConfigKind } from '../config/schema.js';
import type { Trainable } from './objective.js';
import { OpticalObjective, type DistillPair } from './objectives/optical.js';
import type { TrainingExample } from './ranking-model.js';
import { Trainer, type LogRecord, type TrainResult } from './trainer.js';

export type { DistillPair } from './objectives/optical.js';

/**
 * Defaults of OPTICAL distillation — the one copy used by `distill()`, by `optical distill` and by
 * its usage text. The Sinkhorn settings intentionally differ from the OT library's own defaults
 * (src/ot/options.ts: maxIter 1000, tol 1e-6): inside training every step solves a fresh problem
 * for one gradient step, the plan of the next step changes anyway, and the student's cost matrix is
 * float32, so a looser tolerance (1e-4) and a lower iteration cap (200) buy speed at no visible
 * cost in the loss; `--tol 1e-6 --max-iter 1000` restores the library's settings.
 */
export const DISTILL_DEFAULTS = {
  steps: 300,
  batchSize: 16,
  lr: 1e-4,
  /** Linear warm-up over this share of the steps, then linear decay to 0. */
  warmupFraction: 0.1,
  weightDecay: 0.01,
  clipNorm: 1,
  kind: 'cosine',
  eps: 0.05,
  maxIter: 200,
  tol: 1e-4,
  method: 'auto',
  maskPunctuation: true,
  maxLength: 64,
  seed: 0,
  englishWeight: 0,
  englishTemperature: 0.05,
  otWeight: 1,
  sentenceLoss: 'infonce',
  sentenceWeight: 1,
  sentenceTemperature: 0.05,
  sentenceEnglish: false,
  queryEncoder: 'student',
  termGradNormEvery: 10,
  checkpointEvery: 100,
} as const;

const D = DISTILL_DEFAULTS;

/** The JSON-able settings of a distillation (everything but the models, data and callbacks), with their checks. */
export const distillSettingsSchema = obj({
  steps: num({ min: 1, max: 1e9, int: true }).default(D.steps).describe('optimisation steps'),
  batchSize: num({ min: 1, max: 65536, int: true }).default(D.batchSize).describe('bitext pairs per step'),
  lr: num({ gt: 0 }).default(D.lr).describe('peak learning rate (linear warm-up, then linear decay)'),
  warmupSteps: num({ min: 0, int: true }).optional().describe(`warm-up steps (default ${D.warmupFraction * 100}% of steps)`),
  weightDecay: num({ min: 0 }).default(D.weightDecay),
  clipNorm: num({ gt: 0 }).default(D.clipNorm).describe('global gradient-norm clip'),
  layer: num({ min: -4097, max: 4096, int: true }).optional().describe('hidden state to align: 0 = embeddings … L = last; negative counts from the end (-1 = last; default last)'),
  kind: oneOf(['cosine', 'sqeuclidean', 'dot']).default(D.kind).describe('token cost'),
  eps: num({ gt: 0 }).default(D.eps).describe('Sinkhorn entropic regularisation'),
  maxIter: num({ min: 1, max: 1e7, int: true }).default(D.maxIter).describe('Sinkhorn iteration limit per step'),
  tol: num({ min: 0 }).default(D.tol).describe('Sinkhorn marginal tolerance'),
  method: oneOf(['auto', 'log', 'scaling']).default(D.method).describe('Sinkhorn variant'),
  rho: num({ gt: 0 }).optional().describe('unbalanced OT: KL marginal weight (default balanced)'),
  maskPunctuation: z.boolean({ error: (iss) => `must be true or false, got ${JSON.stringify(iss.input)}` }).default(D.maskPunctuation)
    .describe('weight 0 on punctuation tokens (special tokens always get 0)'),
  maxLength: num({ min: 2, max: 65536, int: true }).default(D.maxLength).describe('tokens per sentence'),
  seed: num({ int: true, what: 'an integer' }).default(D.seed),
  englishWeight: num({ min: 0 }).default(D.englishWeight).describe('weight of the English InfoNCE term (0 = off; needs English pairs)'),
  englishTemperature: num({ gt: 0 }).default(D.englishTemperature).describe('InfoNCE temperature of the English term'),
  otWeight: num({ min: 0, max: 1e6 }).default(D.otWeight).describe('weight of the token-level OT term (0 = off: sentence-level distillation only)'),
  sentenceLoss: oneOf(['none', 'infonce', 'mse']).default(D.sentenceLoss)
    .describe("sentence term between the teacher's pooled English side and the student's pooled target side: 'infonce' (in-batch negatives; 0 for a batch of one pair), 'mse', or 'none'"),
  sentenceWeight: num({ gt: 0, max: 1e6 }).default(D.sentenceWeight).describe('weight of the sentence term'),
  sentenceTemperature: num({ gt: 0, max: 100 }).default(D.sentenceTemperature).describe("temperature of the 'infonce' sentence term"),
  sentenceEnglish: z.boolean({ error: (iss) => `must be true or false, got ${JSON.stringify(iss.input)}` }).default(D.sentenceEnglish)
    .describe("also pull the student's pooled English side onto the teacher's (the second term of Reimers & Gurevych 2020)"),
  queryEncoder: oneOf(['teacher', 'student']).default(D.queryEncoder)
    .describe('which model encodes English queries at retrieval time (documents: the student); recorded with the student'),
  termGradNormEvery: num({ min: 0, max: 1e9, int: true }).default(D.termGradNormEvery)
    .describe('log every term\'s own gradient norm at step 1 and every N steps (0 = never; one extra forward + backward per term)'),
  checkpointEvery: num({ min: 1, max: 1e9, int: true }).default(D.checkpointEvery).describe('steps between checkpoints (and at the end); a rerun resumes from the last one'),
  backend: oneOf(['auto', 'cuda', 'cpu', 'js']).optional().describe('OT backend of the tfjs engine (default: $OPTICAL_BACKEND, else auto; the native engine runs the OT step itself)'),
});

export type DistillSettings = z.output<typeof distillSettingsSchema>;

export const DISTILL_CONFIG: ConfigKind<typeof distillSettingsSchema> = {
  kind: 'distill',
  title: 'optical distill settings (OPTICAL distillation)',
  schema: distillSettingsSchema,
  pathPrefix: 'options.',
  rootName: 'options',
};

/** Keys of DistillOptions that are not settings (models, data, run control and callbacks). */
const OBJECT_KEYS = ['teacher', 'tokenizer', 'bitext', 'student', 'english', 'outputDir', 'signal', 'maxStepsThisRun', 'onStep'] as const;

/**
 * Options of `distill()`: the settings of `distillSettingsSchema` (all optional, DISTILL_DEFAULTS
 * fill them in) plus models, data and run control. Unknown keys are rejected with the list of known ones.
 */
export type DistillOptions = z.input<typeof distillSettingsSchema> & {
  /** The frozen teacher (never changed). */
  teacher: Engine;
  tokenizer: TextTokenizer;
  bitext: readonly DistillPair[];
  /** Student to train; default: a copy of the teacher (encoder and heads) on the same engine. */
  student?: Engine;
  /** English retrieval pairs of the English term (used when englishWeight > 0). */
  english?: readonly TrainingExample[];
  /**
   * Run folder: checkpoint/ and distill-log.jsonl; a call with the same folder and settings resumes
   * from its checkpoint. Default: a temporary folder, removed at the end (nothing to resume).
   */
  outputDir?: string;
  /** Abort at the next step boundary, with a checkpoint (result.finished false). */
  signal?: AbortSignal;
  /** Stop (with a checkpoint) after this many steps in this call. */
  maxStepsThisRun?: number;
  /** Called after every step. */
  onStep?: (record: DistillStepRecord) => void;
};

export interface DistillStepRecord {
  step: number;
  /** The loss optimised: otWeight × OT + sentenceWeight × sentence (+ its English side) + englishWeight × English. */
  loss: number;
  /** Mean <P, C> over the batch's pairs (NaN when otWeight is 0: no OT term). */
  otLoss: number;
  englishLoss?: number;
  /** The sentence term's value (and its InfoNCE accuracy: share of rows whose own teacher vector ranks first). */
  sentenceLoss?: number;
  sentenceAccuracy?: number;
  sentenceEnglishLoss?: number;
  /** Each term's own gradient norm (weight included) at the steps termGradNormEvery picks: ot, sentence, sentenceEnglish, english. */
  termGradNorms?: Record<string, number>;
  lr: number;
  /** Global gradient norm before clipping. */
  gradNorm: number;
  /** Mean Sinkhorn iterations per pair. */
  iterations: number;
  /** Share of pairs whose Sinkhorn converged. */
  converged: number;
  /** Mean plan entropy −Σ P log P per pair (nats). */
  planEntropy: number;
  /** Student tokens per second (this step). */
  tokensPerSecond: number;
  /** Milliseconds spent getting teacher tokens (0-ish once the cache holds the batch). */
  teacherMs: number;
  stepMs: number;
}

/** Share of sentences cut at maxLength (whose tokens, specials included, did not fit). */
export interface Truncation {
  maxLength: number;
  /** Target sides (student input). */
  target: number;
  /** English sides (teacher input). */
  english: number;
}

export interface DistillResult extends TrainResult {
  student: Engine;
  /** The model that should encode English queries at retrieval time (settings.queryEncoder). */
  queryEncoder: 'teacher' | 'student';
  truncation: Truncation;
  /** Every step of the run (resumed runs included), from its log. */
  log: DistillStepRecord[];
  teacherCache: { entries: number; hits: number; misses: number };
}

/** The log file of a distillation run folder. */
export const DISTILL_LOG = 'distill-log.jsonl';

function isEngine(e: unknown): e is Engine {
  return !!e && typeof e === 'object' && typeof (e as Engine).step === 'function' && typeof (e as Engine).encode === 'function' && !!(e as Engine).config;
}

/** Checks the options before any work; returns the settings with every default filled in. */
export function checkDistillOptions(o: DistillOptions): DistillSettings & { layer: number; warmupSteps: number } {
  if (o === null || typeof o !== 'object') throw new TypeError('distill: options must be an object');
  const settingKeys = Object.keys(distillSettingsSchema.shape);
  for (const k of Object.keys(o)) {
    if (!(OBJECT_KEYS as readonly string[]).includes(k) && !settingKeys.includes(k)) {
      throw new RangeError(`distill: unknown option '${k}' (known: ${[...OBJECT_KEYS, ...settingKeys].join(', ')})`);
    }
  }
  if (!isEngine(o.teacher)) throw new TypeError('distill: teacher must be an engine (models.engine: loadEngine, randomEngine, or a ranking model\'s .engine)');
  if (typeof o.tokenizer?.encodeBatch !== 'function') throw new TypeError('distill: tokenizer must be a TextTokenizer');
  if (o.student !== undefined && !isEngine(o.student)) throw new TypeError('distill: student must be an engine');
  if (!Array.isArray(o.bitext) || o.bitext.length === 0) throw new RangeError('distill: bitext must be a non-empty array of {src, tgt} pairs');
  o.bitext.forEach((p, i) => {
    if (typeof p?.src !== 'string' || typeof p?.tgt !== 'string' || !p.src.trim() || !p.tgt.trim()) {
      throw new TypeError(`distill: bitext[${i}] must have non-empty string src and tgt`);
    }
  });
  const settings: Record<string, unknown> = {};
  for (const k of settingKeys) if ((o as unknown as Record<string, unknown>)[k] !== undefined) settings[k] = (o as unknown as Record<string, unknown>)[k];
  const s = parseConfig(DISTILL_CONFIG, settings, 'distill');
  const layers = o.teacher.config.numHiddenLayers;
  if (s.layer !== undefined && (s.layer < -(layers + 1) || s.layer > layers)) {
    throw new RangeError(`distill: options.layer must be an integer in 0..${layers} (or -${layers + 1}..-1 counting from the end, -1 = last; the teacher has ${layers} layers), got ${s.layer}`);
  }
  if (s.warmupSteps !== undefined && s.warmupSteps > s.steps) throw new RangeError(`distill: options.warmupSteps must be in [0, steps=${s.steps}], got ${s.warmupSteps}`);
  if (s.otWeight === 0 && s.sentenceLoss === 'none' && s.englishWeight === 0) throw new RangeError("distill: every term is off (otWeight 0, sentenceLoss 'none', englishWeight 0): nothing to train");
  if (s.sentenceEnglish && s.sentenceLoss === 'none') throw new RangeError("distill: options.sentenceEnglish needs a sentence term (sentenceLoss 'infonce' or 'mse'), got sentenceLoss 'none'");
  if (s.englishWeight > 0 && !(Array.isArray(o.english) && o.english.length >= 2)) throw new TypeError('distill: englishWeight > 0 needs english: at least 2 English {query, positive, negatives} pairs');
  if (o.tokenizer.vocabSize > o.teacher.config.vocabSize) throw new RangeError(`distill: the tokenizer has ${o.tokenizer.vocabSize} tokens but the teacher's vocab_size is ${o.teacher.config.vocabSize}`);
  return { ...s, layer: s.layer === undefined ? layers : s.layer < 0 ? layers + 1 + s.layer : s.layer, warmupSteps: s.warmupSteps ?? Math.floor(s.steps * D.warmupFraction) };
}

function stepRecord(r: LogRecord): DistillStepRecord {
  const n = (k: string) => r[k] as number;
  const ot = typeof r.otLoss === 'number';
  const record: DistillStepRecord = {
    step: r.step, loss: r.loss!, otLoss: ot ? n('otLoss') : NaN, lr: r.lr!, gradNorm: r.gradNorm!, iterations: ot ? n('iterations') : 0, converged: ot ? n('converged') : 1,
    planEntropy: ot ? n('planEntropy') : NaN, tokensPerSecond: (n('studentTokens') / r.stepMs!) * 1000, teacherMs: n('teacherMs'), stepMs: r.stepMs!,
  };
  for (const k of ['englishLoss', 'sentenceLoss', 'sentenceAccuracy', 'sentenceEnglishLoss'] as const) if (typeof r[k] === 'number') record[k] = r[k] as number;
  if (r.termGradNorms && typeof r.termGradNorms === 'object') record.termGradNorms = r.termGradNorms as Record<string, number>;
  return record;
}

/** The step records of a distillation log (one per step: a resume cuts the records it redoes). */
export async function readDistillLog(dir: string): Promise<DistillStepRecord[]> {
  const text = await readFile(join(dir, DISTILL_LOG), 'utf8');
  return text.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as LogRecord).filter((r) => r.type === 'step').map(stepRecord);
}

/** Runs OPTICAL distillation and returns the trained student (unless aborted: then `finished` is false and a checkpoint holds the state). */
export async function distill(o: DistillOptions): Promise<DistillResult> {
  const s = checkDistillOptions(o);
  const teacher = o.teacher;
  const student = o.student ?? await createEngine(teacher.config, await teacher.getParameters(), { engine: teacher.name, threads: teacher.threads });
  const objective = new OpticalObjective({
    teacher, tokenizer: o.tokenizer, bitext: o.bitext, layer: s.layer, maxLength: s.maxLength, cost: s.kind,
    sinkhorn: { eps: s.eps, maxIter: s.maxIter, tol: s.tol, method: s.method, rho: s.rho, backend: s.backend },
    maskPunctuation: s.maskPunctuation,
    english: s.englishWeight > 0 ? { pairs: o.english!, weight: s.englishWeight, temperature: s.englishTemperature, batchSize: s.batchSize, seed: s.seed + 1 } : undefined,
    otWeight: s.otWeight,
    sentence: s.sentenceLoss === 'none' ? undefined : { loss: s.sentenceLoss, weight: s.sentenceWeight, temperature: s.sentenceTemperature, english: s.sentenceEnglish },
  });
  const truncation = measureTruncation(o.tokenizer, o.bitext, s.maxLength);
  const model: Trainable<DistillPair> = { engine: student, objective, save: (dir) => saveEngine(student, dir) };
  const outputDir = o.outputDir ?? await mkdtemp(join(tmpdir(), 'optical-distill-'));
  try {
    const trainer = new Trainer({
      model, examples: o.bitext, outputDir, steps: s.steps, batchSize: s.batchSize, lr: s.lr, warmupSteps: s.warmupSteps, weightDecay: s.weightDecay,
      clipNorm: s.clipNorm, seed: s.seed, checkpointEvery: s.checkpointEvery, logEvery: 1, logFile: DISTILL_LOG, saveModels: false, termGradNormEvery: s.termGradNormEvery,
      signal: o.signal, maxStepsThisRun: o.maxStepsThisRun,
      onLog: o.onStep ? (r) => { if (r.type === 'step') o.onStep!(stepRecord(r)); } : undefined,
    });
    const result = await trainer.run();
    const log = await readDistillLog(outputDir);
    const c = objective.cache;
    return { ...result, student, queryEncoder: s.queryEncoder, truncation, log, teacherCache: { entries: c.size, hits: c.hits, misses: c.misses } };
  } catch (err) {
    if (!o.student) student.dispose();
    throw err;
  } finally {
    if (o.outputDir === undefined) await rm(outputDir, { recursive: true, force: true });
  }
}

/**
 * Share of bitext sides longer than maxLength tokens (specials included): the cut part of a target
 * side carries none of the meaning its English side still has (balanced OT then forces the whole
 * English mass onto the part that is left).
 */
export function measureTruncation(tokenizer: TextTokenizer, bitext: readonly DistillPair[], maxLength: number): Truncation {
  const cut = (texts: string[]) => {
    let n = 0;
    for (let i = 0; i < texts.length; i += 256) {
      for (const e of tokenizer.encodeBatch(texts.slice(i, i + 256), null, { maxLength: maxLength + 1 }).encodings) if (e.attentionMask.reduce((a, v) => a + v, 0) > maxLength) n++;
    }
    return texts.length === 0 ? 0 : n / texts.length;
  };
  return { maxLength, target: cut(bitext.map((p) => p.tgt)), english: cut(bitext.map((p) => p.src)) };
}
