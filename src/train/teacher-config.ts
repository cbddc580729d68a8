/**
 * Configuration of `optical train-teacher`, validated field by field so a typo fails before any
 * training starts with a message that names the field (e.g. `config.model.hiddenSize must be ...`).
 * Relative paths are resolved against the config file's folder.
 */
import { isAbsolute, resolve } from 'node:path';
import { BASE_BERT, TINY_BERT, type BertConfig } from '../models/bert-config.js';

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
  backend: 'tensorflow' | 'wasm' | 'cpu' | null;
}

const KEYS = new Set(['kind', 'train', 'dev', 'output', 'init', 'tokenizer', 'vocab', 'model', 'steps', 'batchSize', 'lr', 'warmupSteps', 'weightDecay', 'clipNorm', 'seed', 'maxLength', 'temperature', 'evalEvery', 'patience', 'checkpointEvery', 'logEvery', 'backend', '$comment']);
const MODEL_KEYS = new Set(['size', 'hiddenSize', 'numHiddenLayers', 'numAttentionHeads', 'intermediateSize', 'maxPositionEmbeddings', 'typeVocabSize', 'hiddenDropoutProb', 'attentionProbsDropoutProb', 'initializerRange']);
const VOCAB_KEYS = new Set(['size', 'lowercase', 'minFrequency', 'texts']);

function fail(field: string, problem: string): never {
  throw new RangeError(`config.${field} ${problem}`);
}

function num(obj: Record<string, unknown>, key: string, field: string, fallback: number, check: (v: number) => boolean, what: string): number {
  const v = obj[key];
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) fail(field, `must be ${what}, got ${JSON.stringify(v)}`);
  return v;
}

const posInt = (v: number) => Number.isInteger(v) && v > 0;

function path(base: string, v: unknown, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') fail(field, `must be a non-empty path string, got ${JSON.stringify(v)}`);
  return isAbsolute(v) ? v : resolve(base, v);
}

function unknownKeys(obj: Record<string, unknown>, allowed: Set<string>, where: string): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.has(k)) throw new RangeError(`${where} has unknown field '${k}' (allowed: ${[...allowed].filter((a) => a !== '$comment').join(', ')})`);
  }
}

/** Validates a parsed config object; `baseDir` resolves relative paths. */
export function parseTeacherConfig(raw: unknown, baseDir: string): TeacherConfig {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new TypeError('config must be a JSON object');
  const o = raw as Record<string, unknown>;
  unknownKeys(o, KEYS, 'config');
  const kind = o.kind ?? 'cross-encoder';
  if (kind !== 'cross-encoder' && kind !== 'bi-encoder') fail('kind', `must be 'cross-encoder' or 'bi-encoder', got ${JSON.stringify(kind)}`);
  if (o.train === undefined) fail('train', 'is required (a .tsv/.jsonl path or a list of them)');
  const trainList = Array.isArray(o.train) ? o.train : [o.train];
  if (trainList.length === 0) fail('train', 'must name at least one file');
  const train = trainList.map((p, i) => path(baseDir, p, `train[${i}]`));
  if (o.output === undefined) fail('output', 'is required (the run folder)');

  const vocabRaw = (o.vocab ?? {}) as Record<string, unknown>;
  if (typeof vocabRaw !== 'object' || Array.isArray(vocabRaw)) fail('vocab', 'must be an object');
  unknownKeys(vocabRaw, VOCAB_KEYS, 'config.vocab');
  const texts = vocabRaw.texts === undefined ? [] : vocabRaw.texts;
  if (!Array.isArray(texts)) fail('vocab.texts', 'must be a list of text files (training text of every language involved)');
  if (vocabRaw.lowercase !== undefined && typeof vocabRaw.lowercase !== 'boolean') fail('vocab.lowercase', `must be true or false, got ${JSON.stringify(vocabRaw.lowercase)}`);

  const modelRaw = (o.model ?? {}) as Record<string, unknown>;
  if (typeof modelRaw !== 'object' || Array.isArray(modelRaw)) fail('model', 'must be an object');
  unknownKeys(modelRaw, MODEL_KEYS, 'config.model');
  const size = modelRaw.size ?? 'tiny';
  if (size !== 'tiny' && size !== 'base') fail('model.size', `must be 'tiny' or 'base', got ${JSON.stringify(size)}`);
  const preset = size === 'base' ? BASE_BERT : TINY_BERT;
  const m = (key: keyof typeof preset & string, check: (v: number) => boolean, what: string) => num(modelRaw, key, `model.${key}`, preset[key] as number, check, what);
  const prob = (v: number) => v >= 0 && v < 1;
  const model = {
    ...preset,
    hiddenSize: m('hiddenSize', posInt, 'a positive integer'),
    numHiddenLayers: m('numHiddenLayers', posInt, 'a positive integer'),
    numAttentionHeads: m('numAttentionHeads', posInt, 'a positive integer'),
    intermediateSize: m('intermediateSize', posInt, 'a positive integer'),
    maxPositionEmbeddings: m('maxPositionEmbeddings', posInt, 'a positive integer'),
    typeVocabSize: m('typeVocabSize', posInt, 'a positive integer'),
    hiddenDropoutProb: m('hiddenDropoutProb', prob, 'in [0, 1)'),
    attentionProbsDropoutProb: m('attentionProbsDropoutProb', prob, 'in [0, 1)'),
    initializerRange: m('initializerRange', (v) => v > 0, '> 0'),
  };
  if (model.hiddenSize % model.numAttentionHeads !== 0) fail('model.hiddenSize', `(${model.hiddenSize}) must be divisible by model.numAttentionHeads (${model.numAttentionHeads})`);

  const steps = num(o, 'steps', 'steps', 1000, posInt, 'a positive integer');
  const evalEvery = num(o, 'evalEvery', 'evalEvery', Math.max(1, Math.floor(steps / 10)), posInt, 'a positive integer');
  const maxLength = num(o, 'maxLength', 'maxLength', kind === 'cross-encoder' ? 256 : 128, (v) => Number.isInteger(v) && v >= 4, 'an integer ≥ 4');
  if (o.init === undefined || o.init === null) {
    if (maxLength > model.maxPositionEmbeddings) fail('maxLength', `(${maxLength}) exceeds model.maxPositionEmbeddings (${model.maxPositionEmbeddings})`);
  }
  const backend = o.backend ?? null;
  if (backend !== null && !['tensorflow', 'wasm', 'cpu'].includes(backend as string)) fail('backend', `must be 'tensorflow', 'wasm' or 'cpu', got ${JSON.stringify(backend)}`);
  const patience = o.patience === undefined || o.patience === null ? null : num(o, 'patience', 'patience', 0, posInt, 'a positive integer');
  if (patience !== null && o.dev === undefined) fail('patience', 'needs a dev set (config.dev) to measure improvement');

  return {
    kind,
    train,
    dev: o.dev === undefined || o.dev === null ? null : path(baseDir, o.dev, 'dev'),
    output: path(baseDir, o.output, 'output'),
    init: o.init === undefined || o.init === null ? null : path(baseDir, o.init, 'init'),
    tokenizer: o.tokenizer === undefined || o.tokenizer === null ? null : path(baseDir, o.tokenizer, 'tokenizer'),
    vocab: {
      size: num(vocabRaw, 'size', 'vocab.size', 8000, (v) => Number.isInteger(v) && v >= 16, 'an integer ≥ 16'),
      lowercase: (vocabRaw.lowercase as boolean | undefined) ?? true,
      minFrequency: num(vocabRaw, 'minFrequency', 'vocab.minFrequency', 2, posInt, 'a positive integer'),
      texts: texts.map((p, i) => path(baseDir, p, `vocab.texts[${i}]`)),
    },
    model,
    steps,
    batchSize: num(o, 'batchSize', 'batchSize', 16, posInt, 'a positive integer'),
    lr: num(o, 'lr', 'lr', 5e-5, (v) => v > 0 && v < 1, 'in (0, 1)'),
    warmupSteps: num(o, 'warmupSteps', 'warmupSteps', Math.floor(steps / 10), (v) => Number.isInteger(v) && v >= 0 && v <= steps, `an integer in [0, steps=${steps}]`),
    weightDecay: num(o, 'weightDecay', 'weightDecay', 0.01, (v) => v >= 0, '≥ 0'),
    clipNorm: num(o, 'clipNorm', 'clipNorm', 1, (v) => v > 0, '> 0'),
    seed: num(o, 'seed', 'seed', 0, Number.isInteger, 'an integer'),
    maxLength,
    temperature: num(o, 'temperature', 'temperature', 0.05, (v) => v > 0, '> 0'),
    evalEvery,
    patience,
    checkpointEvery: num(o, 'checkpointEvery', 'checkpointEvery', evalEvery, posInt, 'a positive integer'),
    logEvery: num(o, 'logEvery', 'logEvery', 10, posInt, 'a positive integer'),
    backend: backend as TeacherConfig['backend'],
  };
}
