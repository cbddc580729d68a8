/**
 * Configuration of `optical train-teacher`, declared as a zod schema (src/config/schema.ts) so a
 * typo fails before any training starts with a message that names the field (e.g.
 * `config.model.hiddenSize must be ...`), and editors get its JSON Schema (`optical config schema
 * --kind teacher`). Defaults that depend on other fields (warm-up, evaluation interval, maximum
 * length) are filled in after the schema. Relative paths are resolved against the config file's folder.
 */
import { isAbsolute, resolve } from 'node:path';
import { BASE_BERT, TINY_BERT, type BertConfig } from '../models/bert-config.js';
import { EDITOR_KEYS, num, obj, oneOf, parseConfig, str, z, type ConfigKind } from '../config/schema.js';

export interface TeacherConfig {
  kind: 'cross-encoder' | 'bi-encoder';
  /** Training files (.tsv triples or .jsonl examples/pairs). */
  train: string[];
  /** Optional dev file (.tsv/.jsonl); each query's candidates are its positive + negatives. */
  dev: string | null;
  output: string;
  /** HF model folder to start from (config.json, model.safetensors, tokenizer.json); null = from scratch. */
  init: string | null;
  /** tokenizer.json for from-scratch models; null = train a WordPiece vocabulary. */
  tokenizer: string | null;
  vocab: { size: number; lowercase: boolean; minFrequency: number; texts: string[] };
  /** Encoder geometry for from-scratch models. */
  model: Omit<BertConfig, 'vocabSize'>;
  steps: number;
  batchSize: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  seed: number;
  maxLength: number;
  temperature: number;
  evalEvery: number;
  patience: number | null;
  checkpointEvery: number;
  logEvery: number;
  /** Engine that runs the model: 'native' (the CPU addon), 'tfjs' (reference), 'auto' (native when the addon loads; OPTICAL_ENGINE when absent). */
  engine: 'auto' | 'native' | 'tfjs' | null;
  /** tfjs backend when the tfjs engine runs (null = the automatic order). */
  backend: 'tensorflow' | 'wasm' | 'cpu' | null;
}

/** Largest encoder the float32 tensors of one process can hold (a weight matrix must fit a typed array). */
const MAX = { hiddenSize: 8192, numHiddenLayers: 128, numAttentionHeads: 256, intermediateSize: 32768, maxPositionEmbeddings: 65536, typeVocabSize: 64, vocab: 1_000_000 } as const;
const geometry = (max: number, what: string) => num({ min: 1, max, int: true }).optional().describe(`${what} (default: the preset's)`);
const prob = () => num({ min: 0, lt: 1 }).optional();
const pathField = (what: string) => str().describe(`${what} (relative paths are relative to the config file)`);

const teacherFields = obj({
  ...EDITOR_KEYS,
  kind: oneOf(['cross-encoder', 'bi-encoder']).default('cross-encoder')
    .describe("'cross-encoder' ([CLS] q [SEP] d [SEP] → linear head, BCE) or 'bi-encoder' (mean pooling, cosine, InfoNCE)"),
  train: z.union([pathField('training file'), z.array(pathField('training file')).min(1, { error: () => 'must name at least one file' })], {
    error: (iss) => (iss.input === undefined ? 'is required (a .tsv/.jsonl path or a list of them)' : `must be a path or a list of paths, got ${JSON.stringify(iss.input)}`),
  }).describe('.tsv triples (query<TAB>positive<TAB>negative) or .jsonl {query, positive, negatives?}; a list mixes files'),
  dev: pathField("dev file (.tsv/.jsonl; each query's candidates are its positive + negatives)").nullable().optional(),
  output: z.string({ error: (iss) => (iss.input === undefined ? 'is required (the run folder)' : `must be a non-empty path string, got ${JSON.stringify(iss.input)}`) })
    .min(1, { error: () => 'must be a non-empty path string' }).describe('run folder: final/ and best/ (HF layout), checkpoint/, train-log.jsonl, tokenizer.json'),
  init: pathField('HF model folder to start from (config.json, model.safetensors, tokenizer.json); null = from scratch').nullable().optional(),
  tokenizer: pathField('tokenizer.json for from-scratch models; null = train a WordPiece vocabulary').nullable().optional(),
  vocab: obj({
    size: num({ min: 16, max: MAX.vocab, int: true }).default(8000),
    lowercase: z.boolean({ error: (iss) => `must be true or false, got ${JSON.stringify(iss.input)}` }).default(true),
    minFrequency: num({ min: 1, int: true }).default(2),
    texts: z.array(pathField('text file'), { error: () => 'must be a list of text files (training text of every language involved)' }).default([])
      .describe('more training text for the vocabulary (never test text)'),
  }).default({ size: 8000, lowercase: true, minFrequency: 2, texts: [] }),
  model: obj({
    size: oneOf(['tiny', 'base']).default('tiny').describe('geometry preset; the fields below override it'),
    hiddenSize: geometry(MAX.hiddenSize, 'hidden size'),
    numHiddenLayers: geometry(MAX.numHiddenLayers, 'transformer layers'),
    numAttentionHeads: geometry(MAX.numAttentionHeads, 'attention heads'),
    intermediateSize: geometry(MAX.intermediateSize, 'feed-forward size'),
    maxPositionEmbeddings: geometry(MAX.maxPositionEmbeddings, 'longest input in tokens'),
    typeVocabSize: geometry(MAX.typeVocabSize, 'segment types'),
    hiddenDropoutProb: prob(),
    attentionProbsDropoutProb: prob(),
    initializerRange: num({ gt: 0, max: 10 }).optional(),
  }).default({ size: 'tiny' }),
  steps: num({ min: 1, max: 1e9, int: true }).default(1000),
  batchSize: num({ min: 1, max: 65536, int: true }).default(16),
  lr: num({ gt: 0, lt: 1 }).default(5e-5).describe('peak learning rate'),
  warmupSteps: num({ min: 0, int: true }).optional().describe('linear warm-up steps (default steps/10)'),
  weightDecay: num({ min: 0 }).default(0.01),
  clipNorm: num({ gt: 0 }).default(1),
  seed: num({ int: true, what: 'an integer' }).default(0),
  maxLength: num({ min: 4, max: MAX.maxPositionEmbeddings, int: true }).optional().describe('tokens per input (default 256 cross-encoder / 128 bi-encoder)'),
  temperature: num({ gt: 0 }).default(0.05),
  evalEvery: num({ min: 1, int: true }).optional().describe('steps between dev evaluations (default steps/10)'),
  patience: num({ min: 1, int: true }).nullable().optional().describe('stop after this many evaluations without improvement (needs dev)'),
  checkpointEvery: num({ min: 1, int: true }).optional().describe('steps between checkpoints (default evalEvery)'),
  logEvery: num({ min: 1, int: true }).default(10),
  engine: oneOf(['auto', 'native', 'tfjs']).nullable().default(null)
    .describe("engine that runs the model: 'native' (C++ addon), 'tfjs' (reference), 'auto' (native when the addon loads); null = $OPTICAL_ENGINE, else auto"),
  backend: oneOf(['tensorflow', 'wasm', 'cpu']).nullable().default(null).describe('tfjs backend, when the tfjs engine runs (null = the automatic order)'),
});

type TeacherFields = z.output<typeof teacherFields>;

export const TEACHER_CONFIG: ConfigKind<typeof teacherFields> = {
  kind: 'teacher',
  title: 'optical train-teacher configuration',
  schema: teacherFields,
  pathPrefix: 'config.',
  rootName: 'config',
};

function fail(field: string, problem: string): never {
  throw new RangeError(`config.${field} ${problem}`);
}

/** Validates a parsed config object; `baseDir` resolves relative paths. */
export function parseTeacherConfig(raw: unknown, baseDir: string): TeacherConfig {
  const o: TeacherFields = parseConfig(TEACHER_CONFIG, raw);
  const resolvePath = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const { size, ...geometryOverrides } = o.model;
  const preset = size === 'base' ? BASE_BERT : TINY_BERT;
  const model = { ...preset };
  for (const [k, v] of Object.entries(geometryOverrides)) if (v !== undefined) (model as Record<string, unknown>)[k] = v;
  if (model.hiddenSize % model.numAttentionHeads !== 0) fail('model.hiddenSize', `(${model.hiddenSize}) must be divisible by model.numAttentionHeads (${model.numAttentionHeads})`);
  const vocabSize = o.vocab.size;
  if (vocabSize * model.hiddenSize > 2 ** 31) fail('model.hiddenSize', `(${model.hiddenSize}) × config.vocab.size (${vocabSize}) = ${vocabSize * model.hiddenSize} embedding weights is more than one float32 tensor holds (2^31)`);

  const steps = o.steps;
  const evalEvery = o.evalEvery ?? Math.max(1, Math.floor(steps / 10));
  const maxLength = o.maxLength ?? (o.kind === 'cross-encoder' ? 256 : 128);
  const init = o.init ?? null;
  if (init === null && maxLength > model.maxPositionEmbeddings) fail('maxLength', `(${maxLength}) exceeds model.maxPositionEmbeddings (${model.maxPositionEmbeddings})`);
  const warmupSteps = o.warmupSteps ?? Math.floor(steps / 10);
  if (warmupSteps > steps) fail('warmupSteps', `must be an integer in [0, steps=${steps}], got ${warmupSteps}`);
  const patience = o.patience ?? null;
  if (patience !== null && (o.dev === undefined || o.dev === null)) fail('patience', 'needs a dev set (config.dev) to measure improvement');

  return {
    kind: o.kind,
    train: (Array.isArray(o.train) ? o.train : [o.train]).map(resolvePath),
    dev: o.dev === undefined || o.dev === null ? null : resolvePath(o.dev),
    output: resolvePath(o.output),
    init: init === null ? null : resolvePath(init),
    tokenizer: o.tokenizer === undefined || o.tokenizer === null ? null : resolvePath(o.tokenizer),
    vocab: { size: vocabSize, lowercase: o.vocab.lowercase, minFrequency: o.vocab.minFrequency, texts: o.vocab.texts.map(resolvePath) },
    model,
    steps,
    batchSize: o.batchSize,
    lr: o.lr,
    warmupSteps,
    weightDecay: o.weightDecay,
    clipNorm: o.clipNorm,
    seed: o.seed,
    maxLength,
    temperature: o.temperature,
    evalEvery,
    patience,
    checkpointEvery: o.checkpointEvery ?? evalEvery,
    logEvery: o.logEvery,
    engine: o.engine,
    backend: o.backend,
  };
}
