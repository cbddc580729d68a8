/**
 * `optical distill --teacher DIR --bitext F --out DIR`: OPTICAL distillation of a ranking teacher
 * into a student for a new language. The student starts as a copy of the teacher (encoder and
 * ranking head); only its encoder learns, from the OT loss between teacher tokens of the English
 * side and student tokens of the other side. The output folder is a ranking model in the same HF
 * layout as the teacher (the teacher's head ranks target-language documents), plus distill-log.jsonl.
 */
import { mkdir, appendFile, writeFile, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberOption, parseCommandArgs } from '../args.js';
import { initTf } from '../../models/tf.js';
import { readBitext } from '../../data/readers.js';
import { distill, type DistillStepRecord } from '../../train/distill.js';
import { loadRankingModel } from '../../train/load-ranking-model.js';
import { backendInfo } from '../../ot/backend.js';

const usage = `usage: optical distill --teacher DIR --bitext FILE --out DIR [options]

OPTICAL distillation: the student (initialised from the teacher) learns to represent the target side
of each bitext pair the way the frozen teacher represents the English side, by an optimal-transport
loss <P, C> between their token representations (C = 1 − cosine, P = Sinkhorn plan).

  --teacher DIR       ranking model folder (from optical train-teacher, or an HF BERT folder)
  --bitext FILE       .jsonl {src, tgt} or .tsv src<TAB>tgt; src = English (teacher side)
  --out DIR           student model folder (HF layout) + distill-log.jsonl
  --steps N           optimisation steps (default 300)
  --batch-size N      pairs per step (default 16)
  --lr X              peak learning rate, linear warm-up 10% then decay (default 1e-4)
  --layer N           hidden state to align: 0 = embeddings … L = last; negative counts from
                      the end (-1 = last, as in compare configs; default last)
  --cost K            cosine | sqeuclidean | dot (default cosine)
  --eps X             Sinkhorn entropic regularisation (default 0.05)
  --max-iter N        Sinkhorn iteration limit per step (default 200)
  --tol X             Sinkhorn marginal tolerance (default 1e-4)
  --rho X             unbalanced OT with KL marginal weight X (default balanced)
  --keep-punctuation  give punctuation tokens transport mass (default: weight 0)
  --max-length N      tokens per sentence (default 64)
  --seed N            (default 0)
  --ot-backend B      auto | cuda | cpu | js (default auto)`;

function line(r: DistillStepRecord, total: number): string {
  return `step ${r.step}/${total}  loss ${r.loss.toFixed(4)}  lr ${r.lr.toExponential(2)}  sinkhorn ${r.iterations.toFixed(0)} it, ${(r.converged * 100).toFixed(0)}% converged  H(P) ${r.planEntropy.toFixed(2)}  ${r.tokensPerSecond.toFixed(0)} tok/s  OT ${r.otMs.toFixed(0)}/${r.stepMs.toFixed(0)} ms`;
}

export const command: Command = {
  name: 'distill',
  summary: 'OPTICAL distillation of a teacher into a student from bitext (OT loss on token representations)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      teacher: { type: 'string' }, bitext: { type: 'string' }, out: { type: 'string' },
      steps: { type: 'string' }, 'batch-size': { type: 'string' }, lr: { type: 'string' }, layer: { type: 'string' },
      cost: { type: 'string' }, eps: { type: 'string' }, 'max-iter': { type: 'string' }, tol: { type: 'string' },
      rho: { type: 'string' }, 'keep-punctuation': { type: 'boolean' }, 'max-length': { type: 'string' },
      seed: { type: 'string' }, 'ot-backend': { type: 'string' },
    });
    for (const req of ['teacher', 'bitext', 'out'] as const) if (!values[req]) throw new UsageError(`--${req} is required`);
    const cost = values.cost ?? 'cosine';
    if (!['cosine', 'sqeuclidean', 'dot'].includes(cost)) throw new UsageError(`--cost must be cosine, sqeuclidean or dot, got '${cost}'`);
    const steps = numberOption('steps', values.steps, 300);
    const out = resolve(values.out!);
    const tfBackend = await initTf();
    const bitext = readBitext(resolve(values.bitext!));
    if (bitext.length === 0) throw new UsageError(`${values.bitext}: no bitext pairs`);
    const maxLength = numberOption('max-length', values['max-length'], 64);
    const teacher = await loadRankingModel(resolve(values.teacher!));
    const student = await loadRankingModel(resolve(values.teacher!));
    const ot = backendInfo(values['ot-backend'] as never);
    const tty = process.stderr.isTTY === true;
    console.error(`optical distill: ${bitext.length} pairs, ${teacher.kind} teacher, tfjs ${tfBackend}, OT backend ${ot.active}`);
    await mkdir(out, { recursive: true });
    const logPath = join(out, 'distill-log.jsonl');
    await rm(logPath, { force: true });
    const result = await distill({
      teacher: teacher.encoder,
      student: student.encoder,
      tokenizer: teacher.tokenizer,
      bitext: bitext.map((p) => ({ src: p.src, tgt: p.tgt })),
      steps,
      batchSize: numberOption('batch-size', values['batch-size'], 16),
      lr: numberOption('lr', values.lr, 1e-4),
      layer: values.layer === undefined ? undefined : numberOption('layer', values.layer, 0),
      kind: cost as 'cosine',
      eps: numberOption('eps', values.eps, 0.05),
      maxIter: numberOption('max-iter', values['max-iter'], 200),
      tol: numberOption('tol', values.tol, 1e-4),
      rho: values.rho === undefined ? undefined : numberOption('rho', values.rho, Infinity),
      maskPunctuation: !values['keep-punctuation'],
      maxLength,
      seed: numberOption('seed', values.seed, 0),
      backend: values['ot-backend'] as never,
      onStep: (r) => {
        void appendFile(logPath, JSON.stringify(r) + '\n');
        if (tty) process.stderr.write(`\r\x1b[K${line(r, steps)}`);
        else if (r.step === 1 || r.step % 10 === 0 || r.step === steps) process.stderr.write(line(r, steps) + '\n');
      },
    });
    if (tty) process.stderr.write('\n');
    await student.save(out);
    const last = result.log.slice(-10);
    const summary = {
      pairs: bitext.length, steps, otBackend: ot.active, tfBackend,
      firstLoss: result.log[0].loss, finalLoss: last.reduce((s, r) => s + r.loss, 0) / last.length,
      teacherCache: result.teacherCache,
    };
    await writeFile(join(out, 'distill-summary.json'), JSON.stringify(summary, null, 2) + '\n');
    console.log(`student written to ${out}: OT loss ${summary.firstLoss.toFixed(4)} → ${summary.finalLoss.toFixed(4)} (mean of the last ${last.length} steps)`);
    teacher.dispose();
    student.dispose();
    return 0;
  },
};
