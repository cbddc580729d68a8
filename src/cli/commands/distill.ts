/**
 * `optical distill --teacher DIR --bitext F --out DIR`: OPTICAL distillation of a ranking teacher
 * into a student for a new language. The student starts as a copy of the teacher (encoder and
 * ranking head); only its encoder learns, from the OT loss between teacher tokens of the English
 * side and student tokens of the other side. The output folder is a ranking model in the same HF
 * layout as the teacher (the teacher's head ranks target-language documents), plus
 * distill-log.jsonl, distill-summary.json and checkpoint/: Ctrl-C writes a checkpoint, and running
 * the same command again resumes from it.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberOption, parseCommandArgs } from '../args.js';
import { initTf } from '../../models/tf.js';
import { readBitext } from '../../data/readers.js';
import { distill, measureTruncation, DISTILL_CONFIG, DISTILL_DEFAULTS as D, DISTILL_LOG, type DistillSettings, type DistillStepRecord } from '../../train/distill.js';
import { loadRankingModel } from '../../train/load-ranking-model.js';
import { backendInfo } from '../../ot/backend.js';
import { parseConfig } from '../../config/schema.js';
import { engineOption, engineUsage } from '../engine-option.js';

const usage = `usage: optical distill --teacher DIR --bitext FILE --out DIR [options]

OPTICAL distillation: the student (initialised from the teacher) learns to represent the target side
of each bitext pair the way the frozen teacher represents the English side, by an optimal-transport
loss <P, C> between their token representations (C = 1 − cosine, P = Sinkhorn plan).

  --teacher DIR       ranking model folder (from optical train-teacher, or an HF BERT folder)
  --bitext FILE       .jsonl {src, tgt} or .tsv src<TAB>tgt; src = English (teacher side)
  --out DIR           student model folder (HF layout) + distill-log.jsonl
  --config FILE       settings as JSON (the keys of 'optical config schema --kind distill');
                      the options below override it
${engineUsage('  --engine E          ', '                      ')}
  --steps N           optimisation steps (default ${D.steps})
  --batch-size N      pairs per step (default ${D.batchSize})
  --lr X              peak learning rate, linear warm-up ${D.warmupFraction * 100}% then decay (default ${D.lr})
  --layer N           hidden state to align: 0 = embeddings … L = last; negative counts from
                      the end (-1 = last, as in compare configs; default last)
  --cost K            cosine | sqeuclidean | dot (default ${D.kind})
  --eps X             Sinkhorn entropic regularisation (default ${D.eps})
  --max-iter N        Sinkhorn iteration limit per step (default ${D.maxIter}; the OT library's is 1000)
  --tol X             Sinkhorn marginal tolerance (default ${D.tol}; the OT library's is 1e-6)
  --rho X             unbalanced OT with KL marginal weight X (default balanced)
  --keep-punctuation  give punctuation tokens transport mass (default: weight 0)
  --max-length N      tokens per sentence (default ${D.maxLength}; the share of sides cut is reported)
  --ot-weight X       weight of the token OT term (default ${D.otWeight}; 0 = sentence term only)
  --sentence-loss L   infonce | mse | none: teacher's pooled English side vs the student's pooled
                      target side, 'infonce' with the batch's other pairs as negatives (default ${D.sentenceLoss})
  --sentence-weight X weight of the sentence term (default ${D.sentenceWeight})
  --sentence-temperature X  temperature of the 'infonce' sentence term (default ${D.sentenceTemperature})
  --sentence-english  also pull the student's English side onto the teacher's (Reimers & Gurevych;
                      with --ot-weight 0 --sentence-loss mse this is their method)
  --query-encoder M   teacher | student: which model encodes English queries afterwards (default
                      ${D.queryEncoder}); 'teacher' also writes the frozen teacher to OUT/query-encoder
                      (bi-encoder teachers; a cross-encoder student scores query and document together)
  --term-grad-norm-every N  log each term's own gradient norm at step 1 and every N steps
                      (default ${D.termGradNormEvery}; 0 = never)
  --seed N            (default ${D.seed})
  --checkpoint-every N  steps between checkpoints (default ${D.checkpointEvery}; one is always written at the end)
  --ot-backend B      OT backend of the tfjs engine: auto | cuda | cpu | js (default: $OPTICAL_BACKEND,
                      else auto; the native engine runs the OT step itself)

Ctrl-C writes a checkpoint into --out; the same command again resumes from it (the log then has one
record per step, as if never interrupted).`;

/** Command-line flag of each setting (for error messages). */
const FLAGS: Partial<Record<keyof DistillSettings, string>> = {
  steps: '--steps', batchSize: '--batch-size', lr: '--lr', layer: '--layer', kind: '--cost', eps: '--eps', maxIter: '--max-iter',
  tol: '--tol', rho: '--rho', maskPunctuation: '--keep-punctuation', maxLength: '--max-length', seed: '--seed', backend: '--ot-backend',
  checkpointEvery: '--checkpoint-every', otWeight: '--ot-weight', sentenceLoss: '--sentence-loss', sentenceWeight: '--sentence-weight',
  sentenceTemperature: '--sentence-temperature', sentenceEnglish: '--sentence-english', queryEncoder: '--query-encoder', termGradNormEvery: '--term-grad-norm-every',
};

/** The settings from --config and the flags, checked before any work; errors name the flag (usage errors, exit 2). */
async function readSettings(values: Record<string, string | boolean | undefined>): Promise<DistillSettings> {
  let fromFile: Record<string, unknown> = {};
  if (typeof values.config === 'string') {
    try {
      fromFile = JSON.parse(await readFile(values.config, 'utf8'));
    } catch (err) {
      throw new UsageError(`--config: cannot read '${values.config}' (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    try {
      parseConfig(DISTILL_CONFIG, fromFile, values.config);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const flag = (name: string) => (typeof values[name] === 'string' ? numberOption(name, values[name] as string, NaN) : undefined);
  const fromFlags: Record<string, unknown> = {
    steps: flag('steps'), batchSize: flag('batch-size'), lr: flag('lr'), layer: flag('layer'), kind: values.cost,
    eps: flag('eps'), maxIter: flag('max-iter'), tol: flag('tol'), rho: flag('rho'),
    maskPunctuation: values['keep-punctuation'] ? false : undefined, maxLength: flag('max-length'), seed: flag('seed'), backend: values['ot-backend'],
    checkpointEvery: flag('checkpoint-every'), otWeight: flag('ot-weight'), sentenceLoss: values['sentence-loss'], sentenceWeight: flag('sentence-weight'),
    sentenceTemperature: flag('sentence-temperature'), sentenceEnglish: values['sentence-english'] ? true : undefined, queryEncoder: values['query-encoder'],
    termGradNormEvery: flag('term-grad-norm-every'),
  };
  const merged = { ...fromFile };
  for (const [k, v] of Object.entries(fromFlags)) if (v !== undefined) merged[k] = v;
  const flagKind = { ...DISTILL_CONFIG, pathPrefix: '' };
  try {
    return parseConfig(flagKind, merged);
  } catch (err) {
    // 'batchSize must be …' → '--batch-size must be …' when the value came from a flag.
    const message = (err as Error).message.split('\n').map((l) => {
      const key = /^(\w+)/.exec(l)?.[1] as keyof DistillSettings | undefined;
      return key && fromFlags[key] !== undefined && FLAGS[key] ? `${FLAGS[key]}${l.slice(key.length)}` : `${values.config ?? 'options'}: ${l}`;
    }).join('\n');
    throw new UsageError(message);
  }
}

function line(r: DistillStepRecord, total: number): string {
  const parts = [
    Number.isFinite(r.otLoss) ? `OT ${r.otLoss.toFixed(4)}` : '',
    r.sentenceLoss === undefined ? '' : `sentence ${r.sentenceLoss.toFixed(4)}`,
    r.sentenceEnglishLoss === undefined ? '' : `sentence(en) ${r.sentenceEnglishLoss.toFixed(4)}`,
    r.englishLoss === undefined ? '' : `English ${r.englishLoss.toFixed(4)}`,
  ].filter(Boolean);
  const terms = parts.length > 1 ? ` (${parts.join(', ')})` : '';
  const grads = r.termGradNorms ? `  |g| ${Object.entries(r.termGradNorms).map(([k, v]) => `${k} ${v.toFixed(3)}`).join(', ')}` : '';
  const sinkhorn = Number.isFinite(r.otLoss) ? `  sinkhorn ${r.iterations.toFixed(0)} it, ${(r.converged * 100).toFixed(0)}% converged  H(P) ${r.planEntropy.toFixed(2)}` : '';
  return `step ${r.step}/${total}  loss ${r.loss.toFixed(4)}${terms}  lr ${r.lr.toExponential(2)}${grads}${sinkhorn}  ${r.tokensPerSecond.toFixed(0)} tok/s  ${r.stepMs.toFixed(0)} ms`;
}

export const command: Command = {
  name: 'distill',
  summary: 'OPTICAL distillation of a teacher into a student from bitext (OT loss on token representations)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      teacher: { type: 'string' }, bitext: { type: 'string' }, out: { type: 'string' }, config: { type: 'string' },
      steps: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, layer: { type: 'string' },
      cost: { type: 'string' }, eps: { type: 'string' }, 'max-iter': { type: 'string' }, tol: { type: 'string' },
      rho: { type: 'string' }, 'keep-punctuation': { type: 'boolean' }, 'max-length': { type: 'string' },
      seed: { type: 'string' }, 'ot-backend': { type: 'string' }, 'checkpoint-every': { type: 'string' }, engine: { type: 'string' },
      'ot-weight': { type: 'string' }, 'sentence-loss': { type: 'string' }, 'sentence-weight': { type: 'string' }, 'sentence-temperature': { type: 'string' },
      'sentence-english': { type: 'boolean' }, 'query-encoder': { type: 'string' }, 'term-grad-norm-every': { type: 'string' },
    });
    for (const req of ['teacher', 'bitext', 'out'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
    const settings = await readSettings(values);
    const engine = engineOption(values.engine);
    const steps = settings.steps;
    const out = resolve(values.out!);
    const tfBackend = engine === 'tfjs' ? await initTf() : null;
    const teacher = await loadRankingModel(resolve(values.teacher!), { engine });
    let student: Awaited<ReturnType<typeof loadRankingModel>> | undefined;
    const controller = new AbortController();
    const onSigint = () => {
      process.stderr.write('\ninterrupted: writing a checkpoint (run the same command again to resume)\n');
      controller.abort();
    };
    try {
      const layers = teacher.engine.config.numHiddenLayers;
      if (settings.layer !== undefined && (settings.layer > layers || settings.layer < -(layers + 1))) {
        throw new UsageError(`--layer must be in 0..${layers} or -${layers + 1}..-1 (the teacher has ${layers} layers), got ${settings.layer}`);
      }
      const bitext = readBitext(resolve(values.bitext!));
      if (bitext.length === 0) throw new UsageError(`${values.bitext}: no bitext pairs`);
      student = await loadRankingModel(resolve(values.teacher!), { engine });
      const ot = backendInfo(settings.backend);
      const tty = process.stderr.isTTY === true;
      console.error(`optical distill: ${bitext.length} pairs, ${teacher.kind} teacher, engine ${engine}${tfBackend ? ` (tfjs ${tfBackend}, OT backend ${ot.active})` : ''}`);
      const cut = measureTruncation(teacher.tokenizer, bitext, settings.maxLength);
      if (cut.target > 0 || cut.english > 0) console.error(`truncated at ${cut.maxLength} tokens: ${(cut.target * 100).toFixed(1)}% of target sides, ${(cut.english * 100).toFixed(1)}% of English sides`);
      await mkdir(out, { recursive: true });
      process.once('SIGINT', onSigint);
      const result = await distill({
        ...settings,
        teacher: teacher.engine,
        student: student.engine,
        tokenizer: teacher.tokenizer,
        bitext: bitext.map((p) => ({ src: p.src, tgt: p.tgt })),
        outputDir: out,
        signal: controller.signal,
        onStep: (r) => {
          if (tty) process.stderr.write(`\r\x1b[K${line(r, steps)}`);
          else if (r.step === 1 || r.step % 10 === 0 || r.step === steps) process.stderr.write(line(r, steps) + '\n');
        },
      });
      if (tty) process.stderr.write('\n');
      if (!result.finished) {
        console.error(`stopped at step ${result.step}/${steps}; checkpoint in ${join(out, 'checkpoint')}: run the same command to resume`);
        return 130;
      }
      await student.save(out);
      // The frozen teacher encodes the English queries: kept beside the student so the folder is
      // complete. A cross-encoder scores query and document together: the student does it all.
      const separateQueries = result.queryEncoder === 'teacher' && teacher.kind === 'bi-encoder';
      if (separateQueries) await teacher.save(join(out, 'query-encoder'));
      const last = result.log.slice(-10);
      const summary = {
        pairs: bitext.length, steps, engine, otBackend: tfBackend ? ot.active : 'native (in the engine)', tfBackend,
        firstLoss: result.log[0].loss, finalLoss: last.reduce((s, r) => s + r.loss, 0) / last.length,
        teacherCache: result.teacherCache, truncation: result.truncation,
        queryEncoder: separateQueries ? { model: 'teacher', dir: 'query-encoder' }
          : { model: 'student', dir: '.', ...(teacher.kind !== 'bi-encoder' ? { note: `a ${teacher.kind} scores query and document together` } : {}) },
      };
      await writeFile(join(out, 'distill-summary.json'), JSON.stringify(summary, null, 2) + '\n');
      console.log(`student written to ${out}: loss ${summary.firstLoss.toFixed(4)} → ${summary.finalLoss.toFixed(4)} (mean of the last ${last.length} steps); log ${join(out, DISTILL_LOG)}`);
      return 0;
    } finally {
      process.removeListener('SIGINT', onSigint);
      teacher.dispose();
      student?.dispose();
    }
  },
};
