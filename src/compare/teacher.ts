/**
 * The English teacher every method shares: a bi-encoder trained on English inverse-cloze pairs only
 * (it never sees target-language or test text). With `model.size` a WordPiece vocabulary is trained
 * on the experiment's vocabulary texts (English training text + fold-independent target text such
 * as CLDR phrases and lexicon entries) and a BERT of that size is trained from scratch; with
 * `model.path` a local Hugging Face folder is loaded and, when teacher.steps > 0, fine-tuned; with
 * `model.pretrained` the encoder of an `optical pretrain` run is fine-tuned the same way (after
 * src/compare/pretrained.ts has checked that its corpus holds none of the compare's test text).
 * The trainer checkpoints into the teacher folder, so an interrupted compare resumes mid-teacher.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TINY_BERT, type BertConfig } from '../models/bert-config.js';
import { randomEngine } from '../models/engine/checkpoint.js';
import type { EngineName } from '../models/engine/types.js';
import { trainWordPiece } from '../models/wordpiece-trainer.js';
import { TextTokenizer } from '../models/tokenizer.js';
import { BiEncoder } from '../train/bi-encoder.js';
import { Trainer, type LogRecord } from '../train/trainer.js';
import type { Progress } from '../data/progress.js';
import type { CompareConfig } from './config.js';
import type { ExperimentData } from './experiment-data.js';
import type { CurvePoint } from './result-store.js';
import { sha256 } from '../data/formats.js';
import { pretrainedManifest } from './pretrained.js';

export const MODEL_PRESETS: Record<'tiny' | 'small', Omit<BertConfig, 'vocabSize'>> = {
  // Sized so the demo trains on two CPU cores in minutes.
  tiny: { ...TINY_BERT, hiddenSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 256, maxPositionEmbeddings: 256 },
  small: { ...TINY_BERT, hiddenSize: 128, numHiddenLayers: 4, numAttentionHeads: 4, intermediateSize: 512, maxPositionEmbeddings: 512 },
};

/**
 * Identity of a teacher: everything its weights depend on (model and teacher settings, the maximum
 * length, the vocabulary texts and the English pairs). Compares with the same key — e.g. a base
 * config and its cs/mix sweeps — share one teacher folder, so they really use the same teacher.
 */
export function teacherKey(config: CompareConfig, data: ExperimentData): string {
  const english = data.englishPairs.slice(0, config.teacher.pairs);
  return sha256(JSON.stringify({
    // The generator behind weight initialisation and batch order: a teacher trained with another
    // one (optical < 0.2 used sfc32) must not be reused.
    rng: 'xoshiro128**',
    // The training procedure: the engine loop with Philox dropout masks (optical < 0.2 trained with
    // tfjs dropout and its own loop); the engine itself (native or tfjs) changes only float rounding.
    trainer: 'engine-loop-1',
    model: config.model, teacher: config.teacher, maxLength: config.budget.maxLength,
    // A pre-trained encoder is identified by its weights, not by its folder name.
    ...(config.model.pretrained ? { pretrained: pretrainedManifest(config.model.pretrained).model.sha256 } : {}),
    vocabulary: sha256(data.vocabularyTexts.join('\u0000')),
    english: sha256(english.map((p) => `${p.query}\t${p.doc}`).join('\n')),
  })).slice(0, 16);
}

export interface TeacherResult {
  dir: string;
  key: string;
  curve: CurvePoint[];
  seconds: number;
}

/**
 * The loss curve in a trainer folder's train-log.jsonl. A run resumed from a checkpoint logs the
 * steps after the checkpoint again, and a process killed mid-write leaves a torn last line: the
 * torn line is skipped and, per step, the last record wins (a resumed step reproduces the same
 * loss), so the curve is the one an uninterrupted run logs.
 */
export function readTrainingCurve(dir: string): CurvePoint[] {
  const path = join(dir, 'train-log.jsonl');
  if (!existsSync(path)) return [];
  const byStep = new Map<number, number>();
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    let r: LogRecord;
    try {
      r = JSON.parse(line) as LogRecord;
    } catch {
      continue;
    }
    if (r.type === 'step' && typeof r.loss === 'number') {
      byStep.delete(r.step);
      byStep.set(r.step, r.loss);
    }
  }
  return [...byStep].sort((a, b) => a[0] - b[0]).map(([step, loss]) => ({ step, loss }));
}

/** The finished teacher in `dir`, or null when it is not finished. */
export function finishedTeacher(config: CompareConfig, data: ExperimentData, dir: string): TeacherResult | null {
  const finalDir = join(dir, 'final');
  if (!existsSync(join(finalDir, 'config.json')) || !existsSync(join(dir, 'teacher.done'))) return null;
  return { dir: finalDir, key: teacherKey(config, data), curve: readTrainingCurve(dir), seconds: Number(readFileSync(join(dir, 'teacher.done'), 'utf8')) || 0 };
}

/** Trains (or resumes, or reuses) the teacher; returns the folder of the final bi-encoder. */
export async function ensureTeacher(config: CompareConfig, data: ExperimentData, dir: string, progress: Progress, engine: EngineName): Promise<TeacherResult> {
  const finalDir = join(dir, 'final');
  const finished = finishedTeacher(config, data, dir);
  if (finished) {
    progress.log('teacher: reusing the finished teacher');
    return finished;
  }
  const t0 = performance.now();
  let model: BiEncoder;
  const loadFrom = config.model.pretrained ? join(config.model.pretrained, 'final') : config.model.path;
  if (loadFrom) {
    // A local HF folder, or the MLM-pre-trained encoder of model.pretrained (its vocabulary included; its MLM head is not loaded).
    if (config.model.pretrained) progress.log(`teacher: fine-tuning the pre-trained encoder ${config.model.pretrained}`);
    model = await BiEncoder.fromPretrained(loadFrom, { maxLength: config.budget.maxLength, engine });
    if (config.teacher.steps === 0) {
      await model.save(finalDir);
      model.dispose();
      writeFileSync(join(dir, 'teacher.done'), '0');
      return { dir: finalDir, key: teacherKey(config, data), curve: [], seconds: 0 };
    }
  } else {
    const preset = MODEL_PRESETS[config.model.size ?? 'tiny'];
    progress.log(`tokenizer: WordPiece ${config.model.vocabSize} on ${data.vocabularyTexts.length} training texts`);
    const json = trainWordPiece(data.vocabularyTexts, { vocabSize: config.model.vocabSize, onProgress: (n, target) => progress.update(n, target, 'vocabulary') });
    const tokenizer = new TextTokenizer(json);
    const encoder = await randomEngine({ ...preset, vocabSize: tokenizer.vocabSize, padTokenId: tokenizer.padId }, { engine, seed: config.teacher.seed });
    model = new BiEncoder(encoder, tokenizer, { maxLength: config.budget.maxLength });
  }
  const examples = data.englishPairs.slice(0, config.teacher.pairs).map((p) => ({ query: p.query, positive: p.doc, negatives: [] }));
  progress.log(`teacher: ${config.teacher.steps} steps on ${examples.length} English inverse-cloze pairs`);
  const trainer = new Trainer({
    model, examples, outputDir: dir, steps: Math.max(1, config.teacher.steps), batchSize: config.teacher.batchSize, lr: config.teacher.lr,
    seed: config.teacher.seed, logEvery: Math.max(1, Math.floor(config.teacher.steps / 50)), checkpointEvery: Math.max(10, Math.floor(config.teacher.steps / 5)),
    onLog: (r) => { if (r.type === 'step') progress.update(r.step, r.totalSteps, `teacher loss ${r.loss?.toFixed(3)}`); },
  });
  try {
    await trainer.run();
  } finally {
    model.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  writeFileSync(join(dir, 'teacher.done'), String(seconds));
  return { dir: finalDir, key: teacherKey(config, data), curve: readTrainingCurve(dir), seconds };
}
