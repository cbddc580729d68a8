/**
 * End-to-end teacher training behind `optical train-teacher`: load data, get a tokenizer (from the
 * initial checkpoint, a given tokenizer.json, or a WordPiece vocabulary trained on the training text
 * only), build or load the model on the chosen engine, train with the Trainer, and leave an
 * HF-layout model.
 */
import { access } from 'node:fs/promises';
import { readTextFile, textLines } from '../ir/formats/lines.js';
import { join } from 'node:path';
import { initTf, type BackendName } from '../models/tf.js';
import { randomEngine } from '../models/engine/checkpoint.js';
import { resolveEngine } from '../models/engine/choose.js';
import type { EngineName } from '../models/engine/types.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { saveTokenizerJson, trainWordPiece } from '../models/wordpiece-trainer.js';
import { writeJsonAtomic } from '../models/bert.js';
import { BiEncoder } from './bi-encoder.js';
import { CrossEncoder } from './cross-encoder.js';
import { rerankMrr } from './dev-eval.js';
import { readTrainingExamples } from './examples.js';
import type { RankingModel, TrainingExample } from './ranking-model.js';
import type { TeacherConfig } from './teacher-config.js';
import type { BertConfig } from '../models/bert-config.js';
import { Trainer, type LogRecord, type TrainResult } from './trainer.js';

export interface TrainTeacherHooks {
  onLog?: (record: LogRecord) => void;
  onInfo?: (message: string) => void;
  signal?: AbortSignal;
}

export interface TrainTeacherResult extends TrainResult {
  engine: EngineName;
  /** The tfjs backend when the tfjs engine ran, else null. */
  backend: BackendName | null;
  outputDir: string;
  trainExamples: number;
  devExamples: number;
  vocabSize: number;
}

async function exists(path: string): Promise<boolean> {
  try { await access(path); return true; } catch { return false; }
}

/** Texts of a vocabulary file: .txt (one text per line) or .jsonl ({text} or {query, positive, negatives}). */
async function* vocabTexts(path: string): AsyncGenerator<string> {
  let content: string;
  try {
    content = readTextFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code) throw new Error(`config.vocab.texts: cannot read ${path} (${(err as NodeJS.ErrnoException).code})`);
    throw err;
  }
  const jsonl = /\.jsonl?$/i.test(path);
  let n = 0;
  for (const line of textLines(content)) {
    n++;
    if (line.trim() === '') continue;
    if (!jsonl) { yield line; continue; }
    let obj: any;
    try { obj = JSON.parse(line); } catch { throw new RangeError(`${path}:${n}: invalid JSON`); }
    for (const v of [obj.text, obj.query, obj.positive, ...(Array.isArray(obj.negatives) ? obj.negatives : [])]) if (typeof v === 'string') yield v;
  }
}

function exampleTexts(examples: TrainingExample[]): string[] {
  return examples.flatMap((e) => [e.query, e.positive, ...e.negatives]);
}

async function loadExamples(paths: string[]): Promise<TrainingExample[]> {
  const out: TrainingExample[] = [];
  for (const p of paths) out.push(...(await readTrainingExamples(p)));
  return out;
}

async function getTokenizer(config: TeacherConfig, train: TrainingExample[], info: (m: string) => void): Promise<TextTokenizer> {
  if (config.init) return TextTokenizer.fromFile(join(config.init, 'tokenizer.json'));
  if (config.tokenizer) return TextTokenizer.fromFile(config.tokenizer);
  const own = join(config.output, 'tokenizer.json');
  // A resumed run must reuse the vocabulary its checkpoint was trained with.
  if (await exists(own)) {
    info(`using the vocabulary of the previous run: ${own}`);
    return TextTokenizer.fromFile(own);
  }
  const texts = exampleTexts(train);
  for (const p of config.vocab.texts) for await (const t of vocabTexts(p)) texts.push(t);
  info(`training a WordPiece vocabulary (${config.vocab.size} tokens, lowercase ${config.vocab.lowercase}) on ${texts.length} training texts`);
  const json = trainWordPiece(texts, { vocabSize: config.vocab.size, lowercase: config.vocab.lowercase, minFrequency: config.vocab.minFrequency });
  await saveTokenizerJson(own, json);
  return new TextTokenizer(json);
}

async function buildModel(config: TeacherConfig, tokenizer: TextTokenizer, engine: EngineName): Promise<RankingModel> {
  if (config.init) {
    return config.kind === 'cross-encoder'
      ? CrossEncoder.fromPretrained(config.init, { maxLength: config.maxLength, engine }, config.seed)
      : BiEncoder.fromPretrained(config.init, { maxLength: config.maxLength, temperature: config.temperature, engine });
  }
  const bert = { ...config.model, vocabSize: tokenizer.vocabSize, padTokenId: tokenizer.padId };
  const cross = config.kind === 'cross-encoder';
  const model = await randomEngine(bert, { engine, seed: config.seed, heads: { classifier: cross } });
  return cross
    ? new CrossEncoder(model, tokenizer, { maxLength: config.maxLength })
    : new BiEncoder(model, tokenizer, { maxLength: config.maxLength, temperature: config.temperature });
}

/**
 * Rough bytes of tensor memory per training step: weights, gradients and two AdamW moments (plus the
 * transposed weight copies kept for the backward pass), and the activations kept for backprop
 * (≈ 20·H + 2·I floats per token per layer, and 3 attention maps per head). Only for a warning: the
 * wasm heap is capped at 4 GB and overflowing it aborts the process without a JS error.
 */
export function wasmMemoryEstimate(c: BertConfig, parameters: number, batchSize: number, maxLength: number): number {
  const tokens = batchSize * 2 * maxLength;
  const perToken = 20 * c.hiddenSize + 2 * c.intermediateSize + 3 * c.numAttentionHeads * maxLength;
  return 4 * (5 * parameters + c.numHiddenLayers * tokens * perToken);
}

export async function trainTeacher(config: TeacherConfig, hooks: TrainTeacherHooks = {}): Promise<TrainTeacherResult> {
  const info = hooks.onInfo ?? (() => {});
  const engine = resolveEngine(config.engine ?? undefined);
  const backend = engine === 'tfjs' ? await initTf(config.backend ? { backend: config.backend } : {}) : null;
  info(`engine: ${engine}${backend ? `, tfjs backend: ${backend}` : ''}`);
  const train = await loadExamples(config.train);
  if (train.length === 0) throw new RangeError(`config.train: no examples in ${config.train.join(', ')}`);
  const dev = config.dev ? await readTrainingExamples(config.dev) : [];
  if (config.dev && dev.length === 0) throw new RangeError(`config.dev: no examples in ${config.dev}`);
  info(`${train.length} training examples${dev.length ? `, ${dev.length} dev queries` : ''}`);
  const tokenizer = await getTokenizer(config, train, info);
  const model = await buildModel(config, tokenizer, engine);
  try {
    return await trainModel(config, model, train, dev, hooks, engine, backend);
  } finally {
    model.dispose();
  }
}

async function trainModel(config: TeacherConfig, model: RankingModel, train: TrainingExample[], dev: TrainingExample[], hooks: TrainTeacherHooks, engine: EngineName, backend: BackendName | null): Promise<TrainTeacherResult> {
  const info = hooks.onInfo ?? (() => {});
  if (backend === 'wasm') {
    const parameters = [...(await model.engine.getParameters()).values()].reduce((n, t) => n + t.data.length, 0);
    const bytes = wasmMemoryEstimate(model.engine.config, parameters, config.batchSize, config.maxLength);
    if (bytes > 3.5e9) {
      info(`warning: this configuration needs roughly ${(bytes / 1e9).toFixed(1)} GB of tensor memory, more than the wasm heap (4 GB) holds; `
        + `if the process stops with 'Aborted()', lower batchSize or maxLength, or use the native engine`);
    }
  }
  await writeJsonAtomic(join(config.output, 'run-config.json'), { ...config, engine, backend, encoder: model.engine.config });
  const trainer = new Trainer({
    model,
    examples: train,
    outputDir: config.output,
    steps: config.steps,
    batchSize: config.batchSize,
    lr: config.lr,
    warmupSteps: config.warmupSteps,
    weightDecay: config.weightDecay,
    clipNorm: config.clipNorm,
    seed: config.seed,
    evalEvery: config.evalEvery,
    evaluate: dev.length ? (m) => rerankMrr(m, dev) : undefined,
    patience: config.patience ?? undefined,
    checkpointEvery: config.checkpointEvery,
    logEvery: config.logEvery,
    signal: hooks.signal,
    onLog: hooks.onLog,
  });
  const result = await trainer.run();
  return { ...result, engine, backend, outputDir: config.output, trainExamples: train.length, devExamples: dev.length, vocabSize: model.tokenizer.vocabSize };
}
