/**
 * Configuration of `optical pretrain` (zod schema, src/config/schema.ts): which offline text goes
 * into the pre-training corpus, which test recipes it must stay out of (`heldOut`, the same fields
 * as a compare's `data` block, split with the same folds and seed), how much code-switched English
 * is mixed in, the vocabulary, the encoder preset, the MLM masking and the training budget.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../ot/backend.js';
import { EDITOR_KEYS, num, obj, oneOf, parseConfig, str, uniqueList, z, type ConfigKind } from '../../config/schema.js';
import { languageCode } from '../../compare/config.js';

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

export const CORPUS_SOURCES = ['sotu', 'cldr', 'lexicon', 'libreoffice', 'udhr', 'udhr-other'] as const;
export type CorpusSource = (typeof CORPUS_SOURCES)[number];

const heldOutSchema = obj({
  test: oneOf(['udhr', 'libreoffice']).default('udhr').describe('the CLIR test recipe of the compares that will use this encoder'),
  folds: num({ min: 1, max: 100, int: true }).default(3).describe('its folds (as compare data.folds); training units of never-evaluated folds may enter the corpus'),
  evalFolds: z.union([z.literal('all'), uniqueList(num({ min: 0, max: 99, int: true }), 'fold')], {
    error: (iss) => `must be 'all' or a non-empty array of fold numbers, got ${JSON.stringify(iss.input)}`,
  }).default('all').describe("folds the compares evaluate ('all' = no unit of the test recipe enters the corpus)"),
  shiftTest: oneOf(['udhr', 'libreoffice']).optional().describe('out-of-domain test recipe: none of its text enters the corpus'),
});

const corpusSchema = obj({
  sources: uniqueList(oneOf(CORPUS_SOURCES), 'source').default([...CORPUS_SOURCES])
    .describe("'sotu' English State of the Union passages, 'cldr' CLDR phrases (both sides), 'lexicon' target-language lexicon entries, 'libreoffice' help paragraphs of non-test pages (both sides), 'udhr' target-language UDHR paragraphs of non-test articles (both sides), 'udhr-other' UDHR declarations of languages that are not test languages"),
  lexicon: uniqueList(oneOf(['cldr', 'freedict']), 'source').default(['cldr', 'freedict']).describe('lexicon sources (entries and code-switching); FreeDict is skipped with a note when absent'),
  sotuPassages: num({ min: 0, max: 1e7, int: true }).default(20000).describe('English SOTU passages (5 sentences each) to draw'),
  udhrLanguages: num({ min: 0, max: 600, int: true }).default(30).describe("other languages' UDHR declarations (a seeded choice among the complete ones)"),
  lexiconLine: num({ min: 1, max: 1000, int: true }).default(24).describe('target-language lexicon entries per corpus line'),
});

const codeSwitchSchema = obj({
  p: num({ min: 0, max: 1 }).default(0).describe('probability that an English word with a lexicon entry is switched (the measured token-level CS frequency is reported)'),
  scheme: oneOf(['bl', 'ml']).default('bl').describe("'bl' one target language, 'ml' a language per switched word"),
  lexicons: uniqueList(languageCode, 'language').optional().describe('target languages whose lexicons switch English words (default: languages, or the first one for bl)'),
});

const vocabSchema = obj({
  size: num({ min: 200, max: 200000, int: true }).default(8000).describe('WordPiece vocabulary trained on the corpus'),
  lowercase: z.boolean().default(true),
  minFrequency: num({ min: 1, max: 1e6, int: true }).default(2),
});

const mlmSchema = obj({
  probability: num({ min: 0.001, max: 0.9 }).default(0.15).describe('share of tokens predicted'),
  wholeWord: z.boolean().default(false).describe('choose whole words (all their WordPieces)'),
});

const trainSchema = obj({
  steps: num({ min: 1, max: 1e8, int: true }).default(2000),
  batchSize: num({ min: 1, max: 4096, int: true }).default(32),
  lr: num({ min: 1e-8, max: 1 }).default(5e-4),
  warmupSteps: num({ min: 0, max: 1e8, int: true }).optional().describe('default 10 % of steps'),
  maxLength: num({ min: 8, max: 4096, int: true }).default(128).describe('tokens per text (specials included)'),
  seed: num({ min: 0, max: 2 ** 31, int: true }).default(1),
  checkpointEvery: num({ min: 1, max: 1e8, int: true }).default(200),
  logEvery: num({ min: 1, max: 1e8, int: true }).default(20),
});

const pretrainFields = obj({
  ...EDITOR_KEYS,
  name: str().regex(NAME_RE, { error: (iss) => `'${String(iss.input)}' may only contain letters, digits, '.', '_' and '-' (it names runs/pretrain/<name>/)` }),
  languages: uniqueList(languageCode, 'language').describe('target languages of the encoder (their non-test text enters the corpus)'),
  heldOut: heldOutSchema.default(() => heldOutSchema.parse({})),
  corpus: corpusSchema.default(() => corpusSchema.parse({})),
  codeSwitch: codeSwitchSchema.default(() => codeSwitchSchema.parse({})),
  vocab: vocabSchema.default(() => vocabSchema.parse({})),
  model: obj({ size: oneOf(['tiny', 'small']).default('small') }).default({ size: 'small' }).describe('encoder preset (as compare model.size)'),
  mlm: mlmSchema.default(() => mlmSchema.parse({})),
  train: trainSchema.default(() => trainSchema.parse({})),
});

export const pretrainConfigSchema = pretrainFields.superRefine((c, ctx) => {
  const issue = (path: PropertyKey[], message: string) => ctx.addIssue({ code: 'custom', path, message });
  const h = c.heldOut;
  if (h.evalFolds !== 'all') h.evalFolds.forEach((f, i) => { if (f > h.folds - 1) issue(['heldOut', 'evalFolds', i], `must be in [0, ${h.folds - 1}], got ${f}`); });
  if (h.shiftTest !== undefined && h.shiftTest === h.test) issue(['heldOut', 'shiftTest'], `must be a different recipe from heldOut.test ('${h.test}')`);
  if ((h.test === 'libreoffice' || h.shiftTest === 'libreoffice' || c.corpus.sources.includes('libreoffice')) && c.languages.length > 1) {
    issue(['languages'], ': LibreOffice help is built for one target language: list a single language (or drop it from heldOut and corpus.sources)');
  }
  for (const [i, l] of (c.codeSwitch.lexicons ?? []).entries()) if (!c.languages.includes(l)) issue(['codeSwitch', 'lexicons', i], `'${l}' is not one of languages (${c.languages.join(', ')})`);
  if (c.codeSwitch.p > 0 && !c.corpus.sources.includes('sotu')) issue(['codeSwitch', 'p'], "> 0 switches English corpus text, but corpus.sources has no 'sotu'");
  if (c.codeSwitch.scheme === 'ml' && (c.codeSwitch.lexicons ?? c.languages).length < 2) issue(['codeSwitch', 'scheme'], ": 'ml' needs at least two languages to switch into");
}).transform(({ $schema: _s, $comment: _c, ...c }) => c);

export type PretrainConfig = z.output<typeof pretrainConfigSchema>;

export const PRETRAIN_CONFIG: ConfigKind<typeof pretrainConfigSchema> = {
  kind: 'pretrain',
  title: 'optical pretrain configuration (MLM pre-training of a multilingual encoder)',
  schema: pretrainConfigSchema,
  pathPrefix: '',
  rootName: 'config',
};

export function validatePretrainConfig(raw: unknown, source = 'config'): PretrainConfig {
  return parseConfig(PRETRAIN_CONFIG, raw, source);
}

/** Folder of the pre-training configs shipped with optical (found from the package root, so it works from src/ and dist/). */
export function shippedPretrainConfigDir(): string {
  return join(packageRoot(), 'src', 'train', 'pretrain', 'configs');
}

export function shippedPretrainConfigNames(): string[] {
  const dir = shippedPretrainConfigDir();
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort() : [];
}

/** Loads and validates a pre-training config from a path or a shipped name (e.g. `pretrain-om-small`). */
export function loadPretrainConfig(pathOrName: string): PretrainConfig {
  let path = pathOrName;
  if (!existsSync(path)) {
    const shipped = join(shippedPretrainConfigDir(), `${pathOrName}.json`);
    if (!/[/\\]|\.json$/.test(pathOrName) && existsSync(shipped)) path = shipped;
    else throw new RangeError(`pretrain config '${pathOrName}' not found (a JSON file, or one of the shipped configs: ${shippedPretrainConfigNames().join(', ')})`);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TypeError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return validatePretrainConfig(raw, path);
}
