/**
 * `optical train-teacher --config cfg.json`: trains a cross-encoder or bi-encoder teacher (from
 * scratch or from a Hugging Face checkpoint folder) and writes an HF-layout model, checkpoints and a
 * JSONL training log. Ctrl-C writes a checkpoint first; rerunning the same command resumes.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCommandArgs } from '../args.js';
import { stderrProgress } from '../../data/progress.js';
import { parseTeacherConfig } from '../../train/teacher-config.js';
import { trainTeacher } from '../../train/train-teacher.js';
import type { LogRecord } from '../../train/trainer.js';
import { engineChoice, engineUsage } from '../engine-option.js';

const usage = `usage: optical train-teacher --config cfg.json [--steps N] [--output DIR] [--engine native|tfjs|auto]

Trains a ranking teacher. Config (JSON; relative paths are relative to the config file):
  kind          "cross-encoder" (default; [CLS] q [SEP] d [SEP] → linear head, BCE) or
                "bi-encoder" (mean pooling, cosine, InfoNCE with in-batch + hard negatives)
  train         .tsv triples (query<TAB>positive<TAB>negative) or .jsonl {query, positive, negatives?};
                a list mixes files (e.g. English inverse-cloze pairs + translated triples)
  dev           optional .tsv/.jsonl; metric = MRR@10 re-ranking each query's candidates
  output        run folder: final/ and best/ (HF layout), checkpoint/, train-log.jsonl, tokenizer.json
  init          optional HF model folder (config.json, model.safetensors, tokenizer.json), e.g. mBERT
  tokenizer     optional tokenizer.json for from-scratch models; default: train WordPiece on the
                training text plus vocab.texts (never put test text there)
  vocab         {size: 8000, lowercase: true, minFrequency: 2, texts: ["more-training-text.txt"]}
  model         {size: "tiny"|"base", hiddenSize, numHiddenLayers, numAttentionHeads, intermediateSize, ...}
  steps 1000, batchSize 16, lr 5e-5, warmupSteps steps/10, weightDecay 0.01, clipNorm 1, seed 0,
  maxLength 256 (cross) / 128 (bi), temperature 0.05, evalEvery steps/10, patience (evals),
  checkpointEvery evalEvery, logEvery 10, engine "native"|"tfjs"|"auto",
  backend "wasm"|"cpu"|"tensorflow" (the tfjs engine's backend)

Options:
  --config FILE   the config (required)
  --steps N       override config.steps
  --output DIR    override config.output
${engineUsage('  --engine E      ', '                  ')}; overrides config.engine`;

function describe(r: LogRecord): string {
  const parts = [`step ${r.step}/${r.totalSteps}`];
  if (r.loss !== undefined) parts.push(`loss ${r.loss.toFixed(4)}`);
  if (r.lr !== undefined) parts.push(`lr ${r.lr.toExponential(2)}`);
  if (r.gradNorm !== undefined) parts.push(`|g| ${r.gradNorm.toFixed(3)}`);
  if (r.examplesPerSecond !== undefined) parts.push(`${r.examplesPerSecond.toFixed(1)} ex/s`);
  if (r.metric !== undefined) parts.push(`dev MRR@10 ${r.metric.toFixed(4)} (best ${r.best?.toFixed(4)})`);
  if (r.message) parts.push(r.message);
  return parts.join('  ');
}

export const command: Command = {
  name: 'train-teacher',
  summary: 'train a cross-encoder or bi-encoder teacher (HF-layout output, checkpoint/resume)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string' },
      steps: { type: 'string' },
      output: { type: 'string' },
      engine: { type: 'string' },
    });
    if (!values.config) throw new UsageError('--config is required');
    const configPath = resolve(values.config);
    let raw: Record<string, unknown>;
    try {
      raw = JSON.parse(await readFile(configPath, 'utf8'));
    } catch (err) {
      throw new UsageError(`cannot read config ${configPath}: ${(err as Error).message}`);
    }
    if (values.steps !== undefined) {
      const n = Number(values.steps);
      if (!Number.isInteger(n) || n < 1) throw new UsageError(`--steps must be a positive integer, got '${values.steps}'`);
      raw.steps = n;
    }
    if (values.output !== undefined) raw.output = resolve(values.output);
    const engine = engineChoice(values.engine);
    if (engine !== undefined) raw.engine = engine;
    let config;
    try {
      config = parseTeacherConfig(raw, dirname(configPath));
    } catch (err) {
      throw new UsageError(`${configPath}: ${(err as Error).message}`);
    }
    const progress = stderrProgress('train-teacher');
    const controller = new AbortController();
    const onSigint = () => {
      progress.log('interrupted: writing a checkpoint (run the same command again to resume)');
      controller.abort();
    };
    process.once('SIGINT', onSigint);
    try {
      const result = await trainTeacher(config, {
        signal: controller.signal,
        onInfo: (m) => progress.log(m),
        onLog: (r) => {
          if (r.type === 'step') progress.update(r.step, r.totalSteps, describe(r).replace(/^step \S+\s*/, ''));
          else progress.log(`${r.type}: ${describe(r)}`);
        },
      });
      progress.done();
      console.log(JSON.stringify({
        output: result.outputDir, engine: result.engine, backend: result.backend, steps: result.step, finished: result.finished,
        stoppedEarly: result.stoppedEarly, bestDevMrr10: result.bestMetric, bestStep: result.bestStep,
        lastLoss: result.lastLoss, trainExamples: result.trainExamples, devExamples: result.devExamples, vocabSize: result.vocabSize,
      }, null, 2));
      return result.finished ? 0 : 130;
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  },
};
