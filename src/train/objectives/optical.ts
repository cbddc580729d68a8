/**
 * OPTICAL distillation objective. For each bitext pair (English `src` → the frozen teacher,
 * target-language or code-switched `tgt` → the student) an optimal-transport term between their
 * token states at one hidden state:
 *     C_ij = cost(teacher token i, student token j)   (1 − cosine by default)
 *     P    = Sinkhorn plan of C, held fixed for the gradient (the envelope gradient of the entropic
 *            OT value; src/ot/loss-step.ts)
 *     loss = <P, C>, averaged over the batch's pairs
 * The teacher's token states come from a cache (teacher-cache.ts: computed once per sentence); the
 * student's real tokens go from the engine's buffers into the fused OT step and its gradient back,
 * in one Engine.step. Optional terms beside it (each with its weight; the OT term itself can be
 * weighted 0, i.e. left out):
 *  - sentence: the student's mean-pooled target side against the frozen teacher's mean-pooled
 *    English side of the same pairs (cached once per sentence like the tokens): 'infonce' =
 *    InfoNCE with the batch's other teacher vectors as negatives (the engine's infonce-target
 *    term: cosine / temperature), 'mse' = mean squared difference of the raw vectors (Reimers &
 *    Gurevych 2020). <P, C> alone has no negatives, so without a contrastive term the cheapest way
 *    to lower it is to pull every target token toward the teacher's common direction.
 *    `sentenceEnglish` adds the same loss on the student's English side (Reimers' second term).
 *  - english: `englishWeight` × InfoNCE on English retrieval pairs through the student, a second
 *    sampler over those pairs (checkpointed state), to keep the student's English behaviour.
 * Every term is unweighted in the engine's result; the step's `termNames` say which is which.
 */
import { toEncodeInput } from '../../models/engine/input.js';
import type { Engine, LossTerm, OtTerm, StepResult } from '../../models/engine/types.js';
import type { TextTokenizer } from '../../models/tokenizer.js';
import type { CostKind, SinkhornOptions } from '../../ot/types.js';
import { BatchSampler } from '../batch-sampler.js';
import type { BatchSpec, Objective, StepContext } from '../objective.js';
import type { TrainingExample } from '../ranking-model.js';
import { TeacherPooledCache, TeacherTokenCache } from '../teacher-cache.js';
import { tokenWeights } from '../token-weights.js';
import { infoNceBatch } from './infonce.js';

export interface DistillPair {
  /** English side (teacher input). */
  src: string;
  /** Target-language or code-switched side (student input). */
  tgt: string;
}

export interface OpticalSettings {
  teacher: Engine;
  tokenizer: TextTokenizer;
  bitext: readonly DistillPair[];
  /** Hidden state aligned: 0 = embeddings … L = last. */
  layer: number;
  maxLength: number;
  cost: CostKind;
  sinkhorn: Pick<SinkhornOptions, 'eps' | 'maxIter' | 'tol' | 'method' | 'rho' | 'backend'>;
  /** Weight 0 on punctuation tokens (special tokens always get 0). */
  maskPunctuation: boolean;
  /** Weight of the token-level OT term (0 = left out: no Sinkhorn at all). Default 1. */
  otWeight?: number;
  /** The sentence term (off when absent or weight 0). */
  sentence?: { loss: SentenceLoss; weight: number; temperature: number; english: boolean };
  /** The English term: InfoNCE on these pairs with this weight (off when absent or weight 0). */
  english?: { pairs: readonly TrainingExample[]; weight: number; temperature: number; batchSize: number; seed: number };
}

/** 'infonce': in-batch contrastive against the teacher's pooled English side; 'mse': regression onto it. */
export type SentenceLoss = 'infonce' | 'mse';

/** Names of the loss terms a distillation step can hold, in the order they appear in a step. */
export type DistillTermName = 'ot' | 'sentence' | 'sentenceEnglish' | 'english';

export class OpticalObjective implements Objective<DistillPair> {
  readonly name = 'optical';
  readonly settings: Record<string, unknown>;
  /** The student's encoder learns; its heads stay the teacher's (they rank target-language documents). */
  readonly encoderOnly = true;
  readonly cache: TeacherTokenCache;
  /** The teacher's pooled English sides (when a sentence term is on). */
  readonly pooled: TeacherPooledCache | null;
  private readonly otWeight: number;
  private readonly sentence: OpticalSettings['sentence'] | null;
  private readonly englishSampler: BatchSampler | null;
  private readonly index: Map<DistillPair, number>;
  /** Milliseconds spent getting teacher states and student tokens of the last spec. */
  private last = { teacherMs: 0, studentTokens: 0 };
  /** The terms of the last spec, in order. */
  private lastNames: DistillTermName[] = [];

  constructor(private readonly s: OpticalSettings) {
    this.index = new Map(s.bitext.map((p, i) => [p, i]));
    this.cache = new TeacherTokenCache(s.teacher, s.tokenizer, s.bitext.map((p) => p.src), s.layer, s.maxLength, { maskPunctuation: s.maskPunctuation });
    this.otWeight = s.otWeight ?? 1;
    if (!(this.otWeight >= 0) || !Number.isFinite(this.otWeight)) throw new RangeError(`OPTICAL objective: otWeight must be a finite number >= 0, got ${this.otWeight}`);
    this.sentence = s.sentence && s.sentence.weight > 0 ? s.sentence : null;
    if (this.sentence && !(this.sentence.temperature > 0)) throw new RangeError(`OPTICAL objective: the sentence temperature must be > 0, got ${this.sentence.temperature}`);
    this.pooled = this.sentence ? new TeacherPooledCache(s.teacher, s.tokenizer, s.bitext.map((p) => p.src), s.maxLength) : null;
    const e = s.english && s.english.weight > 0 ? s.english : undefined;
    this.englishSampler = e ? new BatchSampler(e.pairs.length, e.batchSize, e.seed) : null;
    if (this.otWeight === 0 && !this.sentence && !e) throw new RangeError('OPTICAL objective: every term is off (otWeight 0, no sentence term, no English term): nothing to train');
    this.settings = {
      layer: s.layer, maxLength: s.maxLength, cost: s.cost, sinkhorn: { ...s.sinkhorn, backend: undefined }, maskPunctuation: s.maskPunctuation,
      englishWeight: e?.weight ?? 0, englishPairs: e?.pairs.length ?? 0,
      // Only when they differ from the plain OPTICAL step, so checkpoints of earlier runs still resume.
      ...(this.otWeight !== 1 ? { otWeight: this.otWeight } : {}),
      ...(this.sentence ? { sentence: { ...this.sentence } } : {}),
    };
  }

  async spec(batch: readonly DistillPair[], ctx: StepContext): Promise<BatchSpec> {
    void ctx;
    const t0 = performance.now();
    const keys = batch.map((p) => {
      const k = this.index.get(p);
      if (k === undefined) throw new RangeError('OPTICAL objective: a batch pair is not one of the bitext pairs it was made with');
      return k;
    });
    const useOt = this.otWeight > 0;
    const teacher = useOt ? await this.cache.get(keys) : [];
    const pooled = this.pooled ? await this.pooled.get(keys) : null;
    const teacherMs = performance.now() - t0;
    const enc = this.s.tokenizer.encodeBatch(batch.map((p) => p.tgt), null, { maxLength: this.s.maxLength, padding: 'longest' });
    const student = toEncodeInput(enc);
    const H = this.s.teacher.config.hiddenSize;
    const lengths = enc.attentionMask.map((m) => m.reduce((a, v) => a + v, 0));
    const studentTokens = lengths.reduce((x, v) => x + v, 0);
    const spec: BatchSpec = { inputs: [student], terms: [], termNames: [] };
    const names: DistillTermName[] = [];
    if (useOt) {
      const rows = Int32Array.from(teacher, (t) => t.count);
      const a = new Float32Array(rows.reduce((x, v) => x + v, 0));
      const b = new Float32Array(studentTokens);
      const tokens = new Float32Array(a.length * H);
      let ro = 0;
      let co = 0;
      teacher.forEach((t, k) => {
        a.set(t.weights, ro);
        tokens.set(t.vectors, ro * H);
        const e = enc.encodings[k];
        b.set(tokenWeights(e.tokens, e.sequenceIds.map((id) => id === null), 0, lengths[k], { maskPunctuation: this.s.maskPunctuation }), co);
        ro += t.count;
        co += lengths[k];
      });
      const ot: OtTerm = { kind: 'ot', input: 0, layer: this.s.layer, teacher: tokens, rows, a, b, cost: this.s.cost, sinkhorn: this.s.sinkhorn };
      if (this.otWeight !== 1) ot.weight = this.otWeight;
      spec.terms.push(ot);
      names.push('ot');
    }
    if (this.sentence && pooled) {
      const targets = new Float32Array(batch.length * H);
      pooled.forEach((v, k) => targets.set(v, k * H));
      spec.terms.push(sentenceTerm(this.sentence, 0, targets, batch.length));
      names.push('sentence');
      if (this.sentence.english) {
        const english = toEncodeInput(this.s.tokenizer.encodeBatch(batch.map((p) => p.src), null, { maxLength: this.s.maxLength, padding: 'longest' }));
        spec.inputs.push(english);
        spec.terms.push(sentenceTerm(this.sentence, spec.inputs.length - 1, targets, batch.length));
        names.push('sentenceEnglish');
      }
    }
    if (this.englishSampler && this.s.english) {
      const e = this.s.english;
      const english = infoNceBatch(this.englishSampler.next().map((i) => e.pairs[i]), { tokenizer: this.s.tokenizer, maxLength: this.s.maxLength, temperature: e.temperature }, spec.inputs.length, e.weight);
      spec.inputs.push(...english.inputs);
      spec.terms.push(...english.terms);
      names.push('english');
    }
    spec.termNames = names;
    this.lastNames = names;
    this.last = { teacherMs, studentTokens };
    return spec;
  }

  summarize(result: StepResult): Record<string, number> {
    const out: Record<string, number> = { teacherMs: this.last.teacherMs, studentTokens: this.last.studentTokens };
    this.lastNames.forEach((name, i) => {
      const t = result.terms[i];
      if (name === 'ot') Object.assign(out, { otLoss: t.value, iterations: t.extras.iterations, converged: t.extras.converged, planEntropy: t.extras.planEntropy });
      else if (name === 'sentence') Object.assign(out, { sentenceLoss: t.value, ...(t.extras.accuracy !== undefined ? { sentenceAccuracy: t.extras.accuracy } : {}) });
      else if (name === 'sentenceEnglish') out.sentenceEnglishLoss = t.value;
      else out.englishLoss = t.value;
    });
    return out;
  }

  getState(): unknown {
    return { english: this.englishSampler?.getState() ?? null };
  }

  setState(state: unknown): void {
    const s = state as { english?: unknown } | null;
    if (!s || typeof s !== 'object' || !('english' in s)) throw new RangeError('"objective" (OPTICAL sampler state) is missing or malformed');
    if (this.englishSampler) {
      if (s.english === null) throw new RangeError('"objective" has no English sampler state, but this run has an English term');
      this.englishSampler.setState(s.english as Parameters<BatchSampler['setState']>[0]);
    }
  }
}

/** The sentence term on the student's pooled `input` (mean over real tokens, last hidden state) against the teacher's pooled vectors of the same pairs. */
function sentenceTerm(s: NonNullable<OpticalSettings['sentence']>, input: number, targets: Float32Array, rows: number): LossTerm {
  const base = { input, pooling: 'mean' as const, ...(s.weight !== 1 ? { weight: s.weight } : {}) };
  // Row i's positive is the teacher vector of its own pair; the batch's other pairs are the negatives.
  return s.loss === 'infonce'
    ? { kind: 'infonce-target', ...base, targets, positive: Int32Array.from({ length: rows }, (_, i) => i), temperature: s.temperature }
    : { kind: 'mse', ...base, target: targets };
}
