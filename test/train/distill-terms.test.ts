/**
 * The distillation terms beside OT (objectives/optical.ts): the sentence term ('infonce' against the
 * frozen teacher's pooled English side with in-batch negatives, 'mse' as in Reimers & Gurevych 2020,
 * optionally on the student's English side too), checked
 *  - in value against a float64 reference computed here from the two models' token states, and
 *  - in gradient: the native engine's parameter gradients of the objective's step against the tfjs
 *    engine's (autodiff over src/models/bert.ts, the reference of test/nn/parity.test.ts);
 * and the per-term gradient norms of the step log against norms computed here term by term.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { TINY_BERT } from '../../src/models/bert-config.js';
import { createEngine } from '../../src/models/engine/choose.js';
import { randomEngine } from '../../src/models/engine/index.js';
import { toEncodeInput } from '../../src/models/engine/input.js';
import type { Engine } from '../../src/models/engine/types.js';
import { createTokenizer, type TextTokenizer } from '../../src/models/tokenizer.js';
import { trainWordPiece } from '../../src/models/wordpiece-trainer.js';
import { OpticalObjective, type DistillPair } from '../../src/train/objectives/optical.js';
import { distill, measureTruncation } from '../../src/train/distill.js';
import { BatchSampler } from '../../src/train/batch-sampler.js';
import { headParameterNames } from '../../src/models/engine/checkpoint.js';
import { nativeAvailable } from '../nn/helpers.js';

const bitext: DistillPair[] = [
  { src: 'everyone has the right to life', tgt: 'kila mtu ana haki ya kuishi' },
  { src: 'all human beings are born free and equal', tgt: 'watu wote wamezaliwa huru na sawa' },
  { src: 'no one shall be held in slavery', tgt: 'hakuna mtu atakayeshikwa utumwani' },
  { src: 'everyone has the right to education', tgt: 'kila mtu ana haki ya kupata elimu' },
  { src: 'everyone has the right to work', tgt: 'kila mtu ana haki ya kufanya kazi' },
];
const native = nativeAvailable();
const config = { ...TINY_BERT, hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 2, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };

let tokenizer: TextTokenizer;
let teacher: Engine;

beforeAll(async () => {
  tokenizer = await createTokenizer(trainWordPiece(bitext.flatMap((p) => [p.src, p.tgt]), { vocabSize: 120, minFrequency: 1 }));
  teacher = await randomEngine({ ...config, vocabSize: tokenizer.vocabSize }, { seed: 3, engine: native.ok ? 'native' : 'tfjs' });
}, 60_000);

/** Mean-pooled last hidden state of each text, float64. */
async function pooled64(engine: Engine, texts: string[]): Promise<number[][]> {
  const input = toEncodeInput(tokenizer.encodeBatch(texts, null, { maxLength: 32, padding: 'longest' }));
  const H = engine.config.hiddenSize;
  const { hidden } = await engine.encode(input, { layers: [engine.config.numHiddenLayers] });
  return texts.map((_, r) => {
    const v = new Array<number>(H).fill(0);
    let n = 0;
    for (let j = 0; j < input.length; j++) {
      if (!input.mask[r * input.length + j]) continue;
      n++;
      for (let k = 0; k < H; k++) v[k] += hidden[0][(r * input.length + j) * H + k];
    }
    return v.map((x) => x / n);
  });
}

function infoNce64(q: number[][], d: number[][], temperature: number): number {
  const unit = (v: number[]) => { const n = Math.hypot(...v); return v.map((x) => x / n); };
  const Q = q.map(unit);
  const D = d.map(unit);
  let loss = 0;
  Q.forEach((qi, i) => {
    const logits = D.map((dj) => dj.reduce((s, x, k) => s + x * qi[k], 0) / temperature);
    const m = Math.max(...logits);
    const lse = m + Math.log(logits.reduce((s, l) => s + Math.exp(l - m), 0));
    loss += lse - logits[i];
  });
  return loss / Q.length;
}

function mse64(a: number[][], b: number[][]): number {
  let s = 0;
  let n = 0;
  a.forEach((r, i) => r.forEach((x, k) => { s += (x - b[i][k]) ** 2; n++; }));
  return s / n;
}

async function studentOf(engineName: 'native' | 'tfjs'): Promise<Engine> {
  return createEngine(teacher.config, await teacher.getParameters(), { engine: engineName });
}

function objective(sentence: { loss: 'infonce' | 'mse'; english: boolean }, otWeight = 0) {
  return new OpticalObjective({
    teacher, tokenizer, bitext, layer: 2, maxLength: 32, cost: 'cosine', sinkhorn: { eps: 0.1, maxIter: 200, tol: 1e-6 }, maskPunctuation: true,
    otWeight, sentence: { ...sentence, weight: 0.7, temperature: 0.1 },
  });
}

describe('sentence terms of distillation', () => {
  // A student that has moved away from the teacher, so the terms are not at their minimum.
  async function movedStudent(engineName: 'native' | 'tfjs'): Promise<Engine> {
    const s = await studentOf(engineName);
    const p = await s.getParameters();
    const w = p.get('encoder.layer.1.output.dense.weight')!;
    const moved = new Float32Array(w.data.length);
    for (let i = 0; i < moved.length; i++) moved[i] = w.data[i] + 0.05 * Math.sin(i * 1.7);
    await s.setParameters(new Map([['encoder.layer.1.output.dense.weight', { ...w, data: moved }]]));
    return s;
  }

  it.each([['infonce', false], ['mse', false], ['mse', true], ['infonce', true]] as const)('%s (English side %s): value equals the float64 reference', async (loss, english) => {
    const student = await movedStudent(native.ok ? 'native' : 'tfjs');
    const obj = objective({ loss, english });
    const batch = bitext.slice(0, 4);
    const spec = await obj.spec(batch, { step: 0, seed: 1 });
    expect(spec.termNames).toEqual(english ? ['sentence', 'sentenceEnglish'] : ['sentence']);
    const r = await student.step({ ...spec, training: false, seed: 1, backward: false });
    const t = await pooled64(teacher, batch.map((p) => p.src));
    const sx = await pooled64(student, batch.map((p) => p.tgt));
    const want = loss === 'infonce' ? infoNce64(sx, t, 0.1) : mse64(sx, t);
    expect(r.terms[0].value).toBeCloseTo(want, 5);
    if (english) {
      const se = await pooled64(student, batch.map((p) => p.src));
      const wantEn = loss === 'infonce' ? infoNce64(se, t, 0.1) : mse64(se, t);
      expect(r.terms[1].value).toBeCloseTo(wantEn, 5);
      expect(r.loss).toBeCloseTo(0.7 * (want + wantEn), 5);
    } else expect(r.loss).toBeCloseTo(0.7 * want, 5);
    student.dispose();
  });

  it.skipIf(!native.ok)('gradients of OT + sentence terms: native engine equals the tfjs engine (autodiff reference)', async () => {
    for (const [loss, english] of [['infonce', false], ['mse', true]] as const) {
      const grads = [];
      for (const engineName of ['native', 'tfjs'] as const) {
        const student = await movedStudent(engineName);
        const spec = await objective({ loss, english }, 0.5).spec(bitext.slice(0, 4), { step: 0, seed: 1 });
        await student.step({ ...spec, training: false, seed: 1 });
        grads.push(await student.getGradients());
        student.dispose();
      }
      const [n, t] = grads;
      let scale = 0;
      for (const g of t.values()) for (const x of g.data) scale = Math.max(scale, Math.abs(x));
      expect(scale).toBeGreaterThan(1e-4);
      for (const [name, g] of t) {
        const got = n.get(name)!;
        let err = 0;
        let mag = 0;
        for (let i = 0; i < g.data.length; i++) { err = Math.max(err, Math.abs(got.data[i] - g.data[i])); mag = Math.max(mag, Math.abs(g.data[i])); }
        expect(err, `${loss}${english ? ' + English side' : ''}: ${name}`).toBeLessThanOrEqual(2e-4 * mag + 1e-6 * scale);
      }
    }
  }, 120_000);

  it('the step log holds each term\'s own gradient norm (weight included, heads excluded), and they are the parts of the step\'s gradient', async () => {
    const steps = 3;
    const r = await distill({ teacher, tokenizer, bitext, steps, batchSize: 4, lr: 1e-3, seed: 5, sentenceLoss: 'infonce', sentenceWeight: 0.7, sentenceTemperature: 0.1, eps: 0.1, termGradNormEvery: 2, maxLength: 32 });
    expect(r.log.map((s) => s.termGradNorms === undefined)).toEqual([false, false, true]);
    expect(Object.keys(r.log[0].termGradNorms!)).toEqual(['ot', 'sentence']);
    expect(r.log[0].sentenceLoss).toBeGreaterThan(0);
    r.student.dispose();
    // Step 1 again by hand: same first batch, same (teacher) starting weights.
    const student = await studentOf(teacher.name);
    const obj = new OpticalObjective({
      teacher, tokenizer, bitext, layer: 2, maxLength: 32, cost: 'cosine', sinkhorn: { eps: 0.1, maxIter: 200, tol: 1e-4, method: 'auto' }, maskPunctuation: true,
      sentence: { loss: 'infonce', weight: 0.7, temperature: 0.1, english: false },
    });
    const batch = new BatchSampler(bitext.length, 4, 5).next().map((i) => bitext[i]);
    const spec = await obj.spec(batch, { step: 0, seed: 0 });
    const frozen = new Set(headParameterNames(student.heads));
    const norm = async (weights: number[]) => {
      await student.zeroGradients();
      await student.step({ inputs: spec.inputs, terms: spec.terms.map((t, i) => ({ ...t, weight: weights[i] })), training: true, seed: 0 });
      let s = 0;
      for (const [name, g] of await student.getGradients()) if (!frozen.has(name)) for (const x of g.data) s += x * x;
      return Math.sqrt(s);
    };
    const ot = await norm([1, 0]);
    const sentence = await norm([0, 0.7]);
    expect(r.log[0].termGradNorms!.ot).toBeCloseTo(ot, 4);
    expect(r.log[0].termGradNorms!.sentence).toBeCloseTo(sentence, 4);
    expect(r.log[0].gradNorm).toBeCloseTo(await norm([1, 0.7]), 4);
    student.dispose();
  }, 60_000);

  it('otWeight 0 leaves the OT term out (no Sinkhorn); every term off is refused', async () => {
    const r = await distill({ teacher, tokenizer, bitext, steps: 2, batchSize: 4, otWeight: 0, sentenceLoss: 'mse', sentenceEnglish: true, maxLength: 32 });
    expect(r.log.every((s) => Number.isNaN(s.otLoss) && s.sentenceLoss! > 0)).toBe(true);
    // The student starts as the teacher: its English side is exactly on target at the first step.
    expect(r.log[0].sentenceEnglishLoss).toBe(0);
    expect(r.log[1].sentenceEnglishLoss).toBeGreaterThan(0);
    expect(Object.keys(r.log[0].termGradNorms!)).toEqual(['sentence', 'sentenceEnglish']);
    expect(r.log[0].termGradNorms!.sentenceEnglish).toBe(0);
    r.student.dispose();
    await expect(distill({ teacher, tokenizer, bitext, otWeight: 0, sentenceLoss: 'none' })).rejects.toThrow(/every term is off/);
    await expect(distill({ teacher, tokenizer, bitext, sentenceLoss: 'none', sentenceEnglish: true })).rejects.toThrow(/sentenceEnglish needs a sentence term/);
    await expect(distill({ teacher, tokenizer, bitext, sentenceLoss: 'cosine' as 'mse' })).rejects.toThrow(/options\.sentenceLoss must be one of/);
    await expect(distill({ teacher, tokenizer, bitext, sentenceTemperature: 0 })).rejects.toThrow(/distill: options\.sentenceTemperature must be/);
    await expect(distill({ teacher, tokenizer, bitext, queryEncoder: 'both' as 'teacher' })).rejects.toThrow(/options\.queryEncoder must be one of/);
    await expect(distill({ teacher, tokenizer, bitext, termGradNormEvery: 1.5 })).rejects.toThrow(/options\.termGradNormEvery must be an integer/);
  }, 60_000);

  it('reports the share of target and English sides cut at maxLength', () => {
    const lengths = bitext.map((p) => tokenizer.encodeBatch([p.tgt], null, {}).encodings[0].attentionMask.length);
    const cut = measureTruncation(tokenizer, bitext, 8);
    expect(cut.target).toBeCloseTo(lengths.filter((l) => l > 8).length / bitext.length, 10);
    expect(measureTruncation(tokenizer, bitext, 64)).toEqual({ maxLength: 64, target: 0, english: 0 });
  });
});
