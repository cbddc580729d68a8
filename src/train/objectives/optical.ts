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
 * in one Engine.step. An optional English term — `englishWeight` × InfoNCE on English retrieval
 * pairs through the student, a second sampler over those pairs (checkpointed state) — keeps the
 * student's English behaviour.
 */
import { toEncodeInput } from '../../models/engine/input.js';
import type { Engine, OtTerm, StepResult } from '../../models/engine/types.js';
import type { TextTokenizer } from '../../models/tokenizer.js';
import type { CostKind, SinkhornOptions } from '../../ot/types.js';
import { BatchSampler } from '../batch-sampler.js';
import type { BatchSpec, Objective, StepContext } from '../objective.js';
import type { TrainingExample } from '../ranking-model.js';
import { TeacherTokenCache } from '../teacher-cache.js';
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
  /** The English term: InfoNCE on these pairs with this weight (off when absent or weight 0). */
  english?: { pairs: readonly TrainingExample[]; weight: number; temperature: number; batchSize: number; seed: number };
}

export class OpticalObjective implements Objective<DistillPair> {
  readonly name = 'optical';
  readonly settings: Record<string, unknown>;
  /** The student's encoder learns; its heads stay the teacher's (they rank target-language documents). */
  readonly encoderOnly = true;
  readonly cache: TeacherTokenCache;
  private readonly englishSampler: BatchSampler | null;
  private readonly index: Map<DistillPair, number>;
  /** Milliseconds spent getting teacher states and student tokens of the last spec. */
  private last = { teacherMs: 0, studentTokens: 0 };

  constructor(private readonly s: OpticalSettings) {
    this.index = new Map(s.bitext.map((p, i) => [p, i]));
    this.cache = new TeacherTokenCache(s.teacher, s.tokenizer, s.bitext.map((p) => p.src), s.layer, s.maxLength, { maskPunctuation: s.maskPunctuation });
    const e = s.english && s.english.weight > 0 ? s.english : undefined;
    this.englishSampler = e ? new BatchSampler(e.pairs.length, e.batchSize, e.seed) : null;
    this.settings = {
      layer: s.layer, maxLength: s.maxLength, cost: s.cost, sinkhorn: { ...s.sinkhorn, backend: undefined }, maskPunctuation: s.maskPunctuation,
      englishWeight: e?.weight ?? 0, englishPairs: e?.pairs.length ?? 0,
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
    const teacher = await this.cache.get(keys);
    const teacherMs = performance.now() - t0;
    const enc = this.s.tokenizer.encodeBatch(batch.map((p) => p.tgt), null, { maxLength: this.s.maxLength, padding: 'longest' });
    const student = toEncodeInput(enc);
    const H = this.s.teacher.config.hiddenSize;
    const lengths = enc.attentionMask.map((m) => m.reduce((a, v) => a + v, 0));
    const rows = Int32Array.from(teacher, (t) => t.count);
    const a = new Float32Array(rows.reduce((x, v) => x + v, 0));
    const b = new Float32Array(lengths.reduce((x, v) => x + v, 0));
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
    const spec: BatchSpec = { inputs: [student], terms: [ot] };
    if (this.englishSampler && this.s.english) {
      const e = this.s.english;
      const english = infoNceBatch(this.englishSampler.next().map((i) => e.pairs[i]), { tokenizer: this.s.tokenizer, maxLength: this.s.maxLength, temperature: e.temperature }, 1, e.weight);
      spec.inputs.push(...english.inputs);
      spec.terms.push(...english.terms);
    }
    this.last = { teacherMs, studentTokens: b.length };
    return spec;
  }

  summarize(result: StepResult): Record<string, number> {
    const ot = result.terms[0];
    const out: Record<string, number> = {
      otLoss: ot.value, iterations: ot.extras.iterations, converged: ot.extras.converged, planEntropy: ot.extras.planEntropy,
      teacherMs: this.last.teacherMs, studentTokens: this.last.studentTokens,
    };
    if (result.terms.length > 1) out.englishLoss = result.terms[1].value;
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
