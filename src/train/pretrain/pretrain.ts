/**
 * `optical pretrain`: BERT masked-language-model pre-training of a multilingual encoder on the
 * native engine, from the offline corpus of corpus.ts, on the one training loop (objective
 * src/train/objectives/mlm.ts).
 *
 * Output folder runs/pretrain/<name>/ (resumable at any point: rerun the same command):
 *   config.json       the validated config (a different config under the same name is refused)
 *   corpus.txt        the corpus, one text per line (what the tokenizer and the model saw)
 *   corpus.json       its hash, counts per source, measured CS frequency, held-out bookkeeping
 *   tokenizer.json    WordPiece vocabulary trained on corpus.txt only
 *   checkpoint/ train-log.jsonl   the trainer's (resume continues bit for bit)
 *   final/            BertForMaskedLM + tokenizer.json: what `model.pretrained` of a compare loads
 *   manifest.json     provenance, counts, hashes, versions, time, dev MLM loss/accuracy; `complete`
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256 } from '../../data/formats.js';
import { opticalVersion } from '../../data/provenance.js';
import { silentProgress, type Progress } from '../../data/progress.js';
import { randomEngine } from '../../models/engine/checkpoint.js';
import { resolveEngine } from '../../models/engine/choose.js';
import { toEncodeInput } from '../../models/engine/input.js';
import type { EngineChoice, EngineName } from '../../models/engine/types.js';
import { TextTokenizer } from '../../models/tokenizer.js';
import { trainWordPiece } from '../../models/wordpiece-trainer.js';
import { Rng } from '../../random/rng.js';
import { MODEL_PRESETS } from '../../compare/teacher.js';
import { MaskedLanguageModel } from '../masked-lm.js';
import { maskBatch, maskingVocabulary } from '../objectives/mlm.js';
import { Trainer, type LogRecord } from '../trainer.js';
import { buildPretrainCorpus, type PretrainCorpus } from './corpus.js';
import type { PretrainConfig } from './config.js';

export interface PretrainOptions {
  /** Parent of runs/pretrain (default 'runs'). */
  outRoot?: string;
  engine?: EngineChoice;
  /** Native worker-thread cap (0 = all cores). */
  threads?: number;
  progress?: Progress;
  signal?: AbortSignal;
  /** Stop (with a checkpoint) after this many steps in this process (tests, time slices). */
  maxStepsThisRun?: number;
  onLog?: (record: LogRecord) => void;
}

export interface PretrainManifest {
  tool: 'optical pretrain';
  name: string;
  complete: boolean;
  createdAt: string;
  config: PretrainConfig;
  configHash: string;
  versions: { optical: ReturnType<typeof opticalVersion>; node: string; engine: EngineName };
  corpus: Omit<PretrainCorpus, 'lines'> & { file: 'corpus.txt' };
  tokenizer: { vocabSize: number; sha256: string; trainedOn: string };
  model: { preset: string; parameters: number; sha256: string; dir: 'final' };
  training: { steps: number; finished: boolean; seconds: number; secondsPerStep: number; lastLoss: number | null; dev: { lines: number; loss: number; accuracy: number; predicted: number } | null };
}

export interface PretrainResult {
  dir: string;
  /** The pre-trained encoder (HF BertForMaskedLM + tokenizer.json), when finished. */
  finalDir: string;
  finished: boolean;
  manifest: PretrainManifest | null;
}

export function pretrainDir(outRoot: string, name: string): string {
  return join(outRoot, 'pretrain', name);
}

function configHashOf(config: PretrainConfig): string {
  return sha256(JSON.stringify(config)).slice(0, 16);
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Reads a finished pre-training's manifest (null when the folder holds no complete run). */
export function readPretrainManifest(dir: string): PretrainManifest | null {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return null;
  let m: PretrainManifest;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as PretrainManifest;
  } catch (err) {
    throw new RangeError(`${path}: not valid JSON (${(err as Error).message})`);
  }
  return m.tool === 'optical pretrain' && m.complete ? m : null;
}

/** Lines held out of training to measure the MLM loss and accuracy at the end (≤ 2 %, at most 256). */
function devSplit(lines: readonly string[], seed: number): { train: string[]; dev: string[] } {
  const n = lines.length >= 100 ? Math.min(256, Math.floor(lines.length * 0.02)) : 0;
  const order = new Rng(`pretrain-dev:${seed}`).shuffle([...lines.keys()]);
  const devSet = new Set(order.slice(0, n));
  return { train: lines.filter((_, i) => !devSet.has(i)), dev: lines.filter((_, i) => devSet.has(i)) };
}

async function devLoss(model: MaskedLanguageModel, dev: readonly string[], maxLength: number, probability: number, wholeWord: boolean): Promise<{ loss: number; accuracy: number; predicted: number }> {
  const vocab = maskingVocabulary(model.tokenizer);
  let loss = 0;
  let hits = 0;
  let count = 0;
  for (let s = 0; s < dev.length; s += 32) {
    const enc = model.tokenizer.encodeBatch(dev.slice(s, s + 32), null, { maxLength });
    const m = maskBatch(toEncodeInput(enc), enc.wordIds, vocab, { probability, wholeWord }, new Rng(`pretrain-dev-mask:${s}`));
    const r = await model.engine.step({ inputs: [m.input], terms: [{ kind: 'mlm', input: 0, labels: m.labels }], training: false, seed: 0, backward: false });
    const n = r.terms[0].extras.count;
    loss += r.terms[0].value * n;
    hits += r.terms[0].extras.accuracy * n;
    count += n;
  }
  return { loss: loss / count, accuracy: hits / count, predicted: count };
}

/** Builds the corpus and vocabulary (or reuses them) and trains (or resumes, or reuses) the encoder. */
export async function pretrain(config: PretrainConfig, options: PretrainOptions = {}): Promise<PretrainResult> {
  const progress = options.progress ?? silentProgress;
  const dir = pretrainDir(options.outRoot ?? 'runs', config.name);
  const finalDir = join(dir, 'final');
  mkdirSync(dir, { recursive: true });
  const hash = configHashOf(config);
  const configPath = join(dir, 'config.json');
  if (existsSync(configPath)) {
    const old = JSON.parse(readFileSync(configPath, 'utf8')) as PretrainConfig;
    if (configHashOf(old) !== hash) {
      throw new RangeError(`${dir} holds a pre-training with another config (${configPath}); use another name or delete the folder`);
    }
  } else writeAtomic(configPath, JSON.stringify(config, null, 2) + '\n');
  const done = readPretrainManifest(dir);
  if (done) {
    progress.log(`pretrain ${config.name}: finished earlier, reusing ${finalDir}`);
    return { dir, finalDir, finished: true, manifest: done };
  }
  const engine = resolveEngine(options.engine);
  const preset = MODEL_PRESETS[config.model.size];
  if (config.train.maxLength > preset.maxPositionEmbeddings) {
    throw new RangeError(`${config.name}: train.maxLength ${config.train.maxLength} exceeds the '${config.model.size}' preset's ${preset.maxPositionEmbeddings} positions`);
  }

  const corpus = await buildPretrainCorpus(config, { progress });
  const { lines, ...corpusInfo } = corpus;
  const corpusJson = join(dir, 'corpus.json');
  if (existsSync(corpusJson)) {
    const saved = JSON.parse(readFileSync(corpusJson, 'utf8')) as { sha256: string };
    if (saved.sha256 !== corpus.sha256) {
      throw new RangeError(`${dir}: the corpus built now (sha256 ${corpus.sha256.slice(0, 12)}) differs from the one this run started with (${saved.sha256.slice(0, 12)}): a data package changed; delete the folder to start over`);
    }
  } else {
    writeAtomic(join(dir, 'corpus.txt'), lines.join('\n') + '\n');
    writeAtomic(corpusJson, JSON.stringify({ ...corpusInfo, file: 'corpus.txt' }, null, 2) + '\n');
  }
  const { train, dev } = devSplit(lines, config.train.seed);

  const tokPath = join(dir, 'tokenizer.json');
  let tokenizer: TextTokenizer;
  if (existsSync(tokPath)) tokenizer = await TextTokenizer.fromFile(tokPath);
  else {
    progress.log(`tokenizer: WordPiece ${config.vocab.size} on the ${lines.length} corpus lines`);
    // The vocabulary sees the training lines only (dev lines are kept out like any evaluation text).
    const json = trainWordPiece(train, { vocabSize: config.vocab.size, lowercase: config.vocab.lowercase, minFrequency: config.vocab.minFrequency, onProgress: (n, t) => progress.update(n, t, 'vocabulary') });
    writeAtomic(tokPath, JSON.stringify(json));
    tokenizer = new TextTokenizer(json);
  }

  const encoder = await randomEngine({ ...preset, vocabSize: tokenizer.vocabSize, padTokenId: tokenizer.padId }, { engine, seed: config.train.seed, heads: { mlm: true }, threads: options.threads });
  const model = new MaskedLanguageModel(encoder, tokenizer, config.train.maxLength, config.mlm);
  const t0 = performance.now();
  const timePath = join(dir, 'time.json');
  const before = existsSync(timePath) ? (JSON.parse(readFileSync(timePath, 'utf8')) as { seconds: number; steps: number }) : { seconds: 0, steps: 0 };
  try {
    const t = config.train;
    progress.log(`pretrain ${config.name}: ${t.steps} steps × ${t.batchSize} texts of ≤ ${t.maxLength} tokens on ${engine}`);
    let startStep = 0;
    const trainer = new Trainer({
      model, examples: train, outputDir: dir, steps: t.steps, batchSize: t.batchSize, lr: t.lr, ...(t.warmupSteps !== undefined ? { warmupSteps: t.warmupSteps } : {}), seed: t.seed,
      checkpointEvery: t.checkpointEvery, logEvery: t.logEvery, signal: options.signal, maxStepsThisRun: options.maxStepsThisRun,
      onLog: (r) => {
        if (r.type === 'resume') startStep = r.step;
        if (r.type === 'step') progress.update(r.step, r.totalSteps, `MLM loss ${r.loss?.toFixed(3)} acc ${Number(r.accuracy).toFixed(3)}`);
        options.onLog?.(r);
      },
    });
    const result = await trainer.run();
    const seconds = before.seconds + (performance.now() - t0) / 1000;
    const stepsRun = before.steps + (result.step - startStep);
    writeAtomic(timePath, JSON.stringify({ seconds, steps: stepsRun }));
    if (!result.finished) return { dir, finalDir, finished: false, manifest: null };
    const devResult = dev.length > 0 ? await devLoss(model, dev, t.maxLength, config.mlm.probability, config.mlm.wholeWord) : null;
    const params = await encoder.getParameters();
    const manifest: PretrainManifest = {
      tool: 'optical pretrain', name: config.name, complete: true, createdAt: new Date().toISOString(), config, configHash: hash,
      versions: { optical: opticalVersion(), node: process.version, engine },
      corpus: { ...corpusInfo, file: 'corpus.txt' },
      tokenizer: { vocabSize: tokenizer.vocabSize, sha256: sha256(readFileSync(tokPath)), trainedOn: `corpus.txt without the ${dev.length} dev lines` },
      model: { preset: config.model.size, parameters: [...params.values()].reduce((n, p) => n + p.data.length, 0), sha256: sha256(readFileSync(join(finalDir, 'model.safetensors'))), dir: 'final' },
      training: { steps: t.steps, finished: true, seconds, secondsPerStep: stepsRun > 0 ? seconds / stepsRun : 0, lastLoss: result.lastLoss, dev: devResult ? { lines: dev.length, ...devResult } : null },
    };
    writeAtomic(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
    return { dir, finalDir, finished: true, manifest };
  } finally {
    model.dispose();
  }
}
