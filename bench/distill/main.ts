/**
 * `npm run bench:distill`: throughput of OPTICAL distillation steps and where the time goes —
 * student forward/backward (tfjs), teacher (first pass vs cached), and the OT step (cost + Sinkhorn
 * + gradient, native backend). Real text: English SOTU sentences code-switched into Swahili with the
 * CLDR lexicon. Models are randomly initialised (speed does not depend on the weights).
 *
 *   node dist/bench/distill/main.js [--configs tiny,base] [--steps N] [--batch-size N] [--max-length N] [--json F]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { initTf } from '../../src/models/tf.js';
import { BertModel } from '../../src/models/bert.js';
import { TINY_BERT, BASE_BERT } from '../../src/models/bert-config.js';
import { createTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { buildSotu } from '../../src/data/sotu.js';
import { buildCldr } from '../../src/data/cldr.js';
import { Lexicon } from '../../src/data/lexicon.js';
import { codeSwitch } from '../../src/codeswitch/codeswitch.js';
import { distill, type DistillStepRecord } from '../../src/train/distill.js';
import { backendInfo } from '../../src/ot/backend.js';

const { values } = parseArgs({
  options: {
    configs: { type: 'string', default: 'tiny,base' },
    steps: { type: 'string' },
    'batch-size': { type: 'string' },
    'max-length': { type: 'string' },
    json: { type: 'string' },
  },
});

const tfBackend = await initTf();
const sotu = await buildSotu({ fromYear: 1990 });
const cldr = await buildCldr({ lang: 'sw' });
const lexicon = new Lexicon('en', 'sw', 'cldr');
for (const p of cldr.lexicon) lexicon.add(p.src, p.tgt, p.weight);
const bitext = sotu.pairs.slice(0, 512).map((p, i) => {
  const cs = codeSwitch(String(p.src), { mode: 'bl', lexicons: [lexicon], p: 0.5, seed: i });
  return { src: cs.src, tgt: cs.tgt };
});
const tokenizer = await createTokenizer(trainWordPiece(bitext.flatMap((p) => [p.src, p.tgt]), { vocabSize: 8000 }));
// Base-size models on the wasm backend: the wasm heap is capped at 4 GB, so the base row uses a
// small batch unless told otherwise (tfjs-node has no such cap).
const batchFor = (name: string) => Number(values['batch-size'] ?? (name === 'base' ? 2 : 16));
const lengthFor = (name: string) => Number(values['max-length'] ?? (name === 'base' ? 32 : 64));

interface Row { config: string; batchSize: number; maxLength: number; params: number; steps: number; tokensPerSecond: number; studentMs: number; teacherFirstMs: number; teacherCachedMs: number; otMs: number; otShare: number; sinkhornIterations: number }
const rows: Row[] = [];
for (const name of values.configs!.split(',')) {
  const geometry = name === 'base' ? BASE_BERT : TINY_BERT;
  const steps = Number(values.steps ?? (name === 'base' ? 3 : 12));
  const teacher = BertModel.random({ ...geometry, vocabSize: tokenizer.vocabSize }, 1);
  const params = teacher.trainableVariables().reduce((s, v) => s + v.size, 0);
  const log: DistillStepRecord[] = [];
  const batchSize = batchFor(name);
  const maxLength = lengthFor(name);
  try {
    // Pairs = batchSize × 2 so the second epoch hits the teacher cache.
    const { student } = await distill({ teacher, tokenizer, bitext: bitext.slice(0, batchSize * 2), steps, batchSize, maxLength, seed: 1, onStep: (r) => log.push(r) });
    student.dispose();
  } catch (err) {
    console.error(`${name}: failed after ${log.length} steps: ${(err as Error).message}`);
    continue;
  } finally {
    teacher.dispose();
  }
  const timed = log.slice(1); // the first step includes tfjs kernel warm-up
  const sum = (f: (r: DistillStepRecord) => number) => timed.reduce((s, r) => s + f(r), 0);
  const firstEpoch = log.slice(0, 2);
  const cached = log.slice(2);
  const row: Row = {
    config: name,
    batchSize,
    maxLength,
    params,
    steps: timed.length,
    tokensPerSecond: (sum((r) => r.tokensPerSecond * r.stepMs) / sum((r) => r.stepMs)),
    studentMs: sum((r) => r.stepMs - r.otMs - r.teacherMs) / timed.length,
    teacherFirstMs: firstEpoch.reduce((s, r) => s + r.teacherMs, 0) / firstEpoch.length,
    teacherCachedMs: cached.length ? cached.reduce((s, r) => s + r.teacherMs, 0) / cached.length : NaN,
    otMs: sum((r) => r.otMs) / timed.length,
    otShare: sum((r) => r.otMs) / sum((r) => r.stepMs),
    sinkhornIterations: sum((r) => r.iterations) / timed.length,
  };
  rows.push(row);
  console.error(`${name}: done`);
}

const ot = backendInfo();
console.log(`OPTICAL distillation step — tfjs backend ${tfBackend}, OT backend ${ot.active} (${ot.threads} threads), eps 0.05, ≤200 Sinkhorn iterations`);
console.log('| config | batch × tokens | params | student tok/s | student fwd+bwd ms/step | teacher ms (first / cached) | OT ms/step | OT share | Sinkhorn it |');
console.log('|---|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.config} | ${r.batchSize} × ≤${r.maxLength} | ${(r.params / 1e6).toFixed(1)}M | ${r.tokensPerSecond.toFixed(0)} | ${r.studentMs.toFixed(0)} | ${r.teacherFirstMs.toFixed(0)} / ${r.teacherCachedMs.toFixed(1)} | ${r.otMs.toFixed(1)} | ${(r.otShare * 100).toFixed(1)}% | ${r.sinkhornIterations.toFixed(0)} |`);
}
if (values.json) writeFileSync(values.json, JSON.stringify({ date: new Date().toISOString(), tfBackend, otBackend: ot.active, rows }, null, 2));
