/**
 * OPTICAL distillation: a frozen English teacher, a trainable student initialised from it, and for
 * each bitext pair (English → teacher, target language → student) an optimal-transport loss between
 * their token representations at one layer:
 *     C_ij = cost(teacher token i, student token j)   (1 − cosine by default)
 *     P    = Sinkhorn plan of C (native backend, P held fixed for the gradient)
 *     loss = <P, C>  averaged over the pairs of a batch
 * Only the student learns; its gradient is the envelope gradient of the entropic OT value (see
 * src/ot/loss-step.ts). The alignment needs no word alignment or parallel tokenisation: OT finds
 * which student tokens carry the meaning of which teacher tokens. Bitext can be real parallel text
 * or code-switched English (English with words swapped for lexicon translations).
 *
 * A step whose loss or gradient is not finite, or whose update leaves a student weight non-finite,
 * throws TrainingDivergedError (distillation keeps no checkpoint yet, so nothing is saved).
 *
 * An optional English term keeps the student's English behaviour close to the teacher's
 * (`englishWeight` × a caller-supplied loss on the student, e.g. the ranking loss on English pairs).
 */
import { tf } from '../models/tf.js';
import { BertModel } from '../models/bert.js';
import type { TextTokenizer } from '../models/tokenizer.js';
import { otLoss } from '../ot/tfjs-loss.js';
import type { OtLossResult } from '../ot/types.js';
import { Rng } from '../random/rng.js';
import { TeacherTokenCache } from './teacher-cache.js';
import { tokenWeights } from './token-weights.js';
import { AdamW } from './adamw.js';
import { linearWarmupDecay } from './schedule.js';
import { clipByGlobalNorm, globalNorm } from './clip.js';
import { checkLossAndGradient, checkWeights } from './divergence.js';
import { num, obj, oneOf, parseConfig, z, type ConfigKind } from '../config/schema.js';

/**
 * Defaults of OPTICAL distillation — the one copy used by `distill()`, by `optical distill` and by
 * its usage text. The Sinkhorn settings intentionally differ from the OT library's own defaults
 * (src/ot/options.ts: maxIter 1000, tol 1e-6): inside training every step solves a fresh problem
 * for one gradient step, the plan of the next step changes anyway, and the student's cost matrix is
 * float32, so a looser tolerance (1e-4) and a lower iteration cap (200) buy speed at no visible
 * cost in the loss; `--tol 1e-6 --max-iter 1000` restores the library's settings.
 */
export const DISTILL_DEFAULTS = {
  steps: 300,
  batchSize: 16,
  lr: 1e-4,
  /** Linear warm-up over this share of the steps, then linear decay to 0. */
  warmupFraction: 0.1,
  weightDecay: 0.01,
  clipNorm: 1,
  kind: 'cosine',
  eps: 0.05,
  maxIter: 200,
  tol: 1e-4,
  method: 'auto',
  maskPunctuation: true,
  maxLength: 64,
  seed: 0,
  englishWeight: 0,
} as const;

const D = DISTILL_DEFAULTS;

/** The JSON-able settings of a distillation (everything but the models, data and callbacks), with their checks. */
export const distillSettingsSchema = obj({
  steps: num({ min: 1, max: 1e9, int: true }).default(D.steps).describe('optimisation steps'),
  batchSize: num({ min: 1, max: 65536, int: true }).default(D.batchSize).describe('bitext pairs per step'),
  lr: num({ gt: 0 }).default(D.lr).describe('peak learning rate (linear warm-up, then linear decay)'),
  warmupSteps: num({ min: 0, int: true }).optional().describe(`warm-up steps (default ${D.warmupFraction * 100}% of steps)`),
  weightDecay: num({ min: 0 }).default(D.weightDecay),
  clipNorm: num({ gt: 0 }).default(D.clipNorm).describe('global gradient-norm clip'),
  layer: num({ min: -4097, max: 4096, int: true }).optional().describe('hidden state to align: 0 = embeddings … L = last; negative counts from the end (-1 = last; default last)'),
  kind: oneOf(['cosine', 'sqeuclidean', 'dot']).default(D.kind).describe('token cost'),
  eps: num({ gt: 0 }).default(D.eps).describe('Sinkhorn entropic regularisation'),
  maxIter: num({ min: 1, max: 1e7, int: true }).default(D.maxIter).describe('Sinkhorn iteration limit per step'),
  tol: num({ min: 0 }).default(D.tol).describe('Sinkhorn marginal tolerance'),
  method: oneOf(['auto', 'log', 'scaling']).default(D.method).describe('Sinkhorn variant'),
  rho: num({ gt: 0 }).optional().describe('unbalanced OT: KL marginal weight (default balanced)'),
  maskPunctuation: z.boolean({ error: (iss) => `must be true or false, got ${JSON.stringify(iss.input)}` }).default(D.maskPunctuation)
    .describe('weight 0 on punctuation tokens (special tokens always get 0)'),
  maxLength: num({ min: 2, max: 65536, int: true }).default(D.maxLength).describe('tokens per sentence'),
  seed: num({ int: true, what: 'an integer' }).default(D.seed),
  englishWeight: num({ min: 0 }).default(D.englishWeight).describe('weight of the English term (0 = off; needs englishLoss)'),
  backend: oneOf(['auto', 'cuda', 'cpu', 'js']).optional().describe('OT backend (default: $OPTICAL_BACKEND, else auto)'),
});

export type DistillSettings = z.output<typeof distillSettingsSchema>;

export const DISTILL_CONFIG: ConfigKind<typeof distillSettingsSchema> = {
  kind: 'distill',
  title: 'optical distill settings (OPTICAL distillation)',
  schema: distillSettingsSchema,
  pathPrefix: 'options.',
  rootName: 'options',
};

/** Keys of DistillOptions that are not settings (models, data, callbacks). */
const OBJECT_KEYS = ['teacher', 'tokenizer', 'bitext', 'student', 'englishLoss', 'onStep'] as const;

export interface DistillPair {
  /** English side (teacher input). */
  src: string;
  /** Target-language or code-switched side (student input). */
  tgt: string;
}

/**
 * Options of `distill()`: the settings of `distillSettingsSchema` (all optional, DISTILL_DEFAULTS
 * fill them in) plus models, data and callbacks. Unknown keys are rejected with the list of known ones.
 */
export type DistillOptions = z.input<typeof distillSettingsSchema> & {
  teacher: BertModel;
  tokenizer: TextTokenizer;
  bitext: readonly DistillPair[];
  /** Student to train; default: a copy of the teacher. */
  student?: BertModel;
  /** Loss on the student that keeps English behaviour (called inside the gradient tape). */
  englishLoss?: (student: BertModel, step: number) => tf.Scalar;
  /** Called after every step. */
  onStep?: (record: DistillStepRecord) => void;
};

export interface DistillStepRecord {
  step: number;
  /** Mean <P, C> over the batch's pairs. */
  loss: number;
  englishLoss?: number;
  lr: number;
  /** Mean Sinkhorn iterations per pair. */
  iterations: number;
  /** Share of pairs whose Sinkhorn converged. */
  converged: number;
  /** Mean plan entropy −Σ P log P per pair (nats). */
  planEntropy: number;
  /** Student tokens per second (this step). */
  tokensPerSecond: number;
  /** Milliseconds of the step spent in the OT step (cost + Sinkhorn + gradient). */
  otMs: number;
  /** Milliseconds spent getting teacher tokens (0-ish once the cache holds the batch). */
  teacherMs: number;
  stepMs: number;
}

export interface DistillResult {
  student: BertModel;
  log: DistillStepRecord[];
  teacherCache: { entries: number; hits: number; misses: number };
}

function planEntropy(r: OtLossResult, rows: Int32Array, cols: Int32Array): number {
  if (!r.plan) return NaN;
  let off = 0;
  let total = 0;
  for (let k = 0; k < rows.length; k++) {
    let h = 0;
    const n = rows[k] * cols[k];
    for (let i = 0; i < n; i++) { const p = r.plan[off + i]; if (p > 0) h -= p * Math.log(p); }
    total += h;
    off += n;
  }
  return total / rows.length;
}

/** Checks the options before any work; returns the settings with every default filled in. */
export function checkDistillOptions(o: DistillOptions): DistillSettings & { layer: number; warmupSteps: number } {
  if (o === null || typeof o !== 'object') throw new TypeError('distill: options must be an object');
  const settingKeys = Object.keys(distillSettingsSchema.shape);
  for (const k of Object.keys(o)) {
    if (!(OBJECT_KEYS as readonly string[]).includes(k) && !settingKeys.includes(k)) {
      throw new RangeError(`distill: unknown option '${k}' (known: ${[...OBJECT_KEYS, ...settingKeys].join(', ')})`);
    }
  }
  if (!(o.teacher instanceof BertModel)) throw new TypeError('distill: teacher must be a BertModel');
  if (!Array.isArray(o.bitext) || o.bitext.length === 0) throw new RangeError('distill: bitext must be a non-empty array of {src, tgt} pairs');
  o.bitext.forEach((p, i) => {
    if (typeof p?.src !== 'string' || typeof p?.tgt !== 'string' || !p.src.trim() || !p.tgt.trim()) {
      throw new TypeError(`distill: bitext[${i}] must have non-empty string src and tgt`);
    }
  });
  const settings: Record<string, unknown> = {};
  for (const k of settingKeys) if ((o as unknown as Record<string, unknown>)[k] !== undefined) settings[k] = (o as unknown as Record<string, unknown>)[k];
  const s = parseConfig(DISTILL_CONFIG, settings, 'distill');
  const layers = o.teacher.config.numHiddenLayers;
  if (s.layer !== undefined && (s.layer < -(layers + 1) || s.layer > layers)) {
    throw new RangeError(`distill: options.layer must be an integer in 0..${layers} (or -${layers + 1}..-1 counting from the end, -1 = last; the teacher has ${layers} layers), got ${s.layer}`);
  }
  if (s.warmupSteps !== undefined && s.warmupSteps > s.steps) throw new RangeError(`distill: options.warmupSteps must be in [0, steps=${s.steps}], got ${s.warmupSteps}`);
  if (s.englishWeight > 0 && !o.englishLoss) throw new TypeError('distill: englishWeight > 0 needs englishLoss');
  return { ...s, layer: s.layer === undefined ? layers : s.layer < 0 ? layers + 1 + s.layer : s.layer, warmupSteps: s.warmupSteps ?? Math.floor(s.steps * D.warmupFraction) };
}

/** Runs OPTICAL distillation and returns the trained student. */
export async function distill(o: DistillOptions): Promise<DistillResult> {
  const s = checkDistillOptions(o);
  const { layer, batchSize, maxLength, steps } = s;
  const student = o.student ?? BertModel.fromTensors(o.teacher.config, o.teacher.tensorMap());
  const cache = new TeacherTokenCache(o.teacher, o.tokenizer, layer, maxLength, { maskPunctuation: s.maskPunctuation });
  const rng = new Rng(s.seed);
  const optimizer = new AdamW({ weightDecay: s.weightDecay });
  const variables = student.trainableVariables();
  const named = new Map(student.params);
  const nothingSaved = () => 'distillation keeps no checkpoints yet, nothing was saved';
  const schedule = linearWarmupDecay(s.lr, s.warmupSteps, steps);
  const log: DistillStepRecord[] = [];
  const srcTexts = o.bitext.map((p) => p.src);

  // Epoch-wise shuffled order, drawn from the seeded generator.
  let order: number[] = [];
  let cursor = 0;
  const nextBatch = (): number[] => {
    const out: number[] = [];
    while (out.length < batchSize) {
      if (cursor >= order.length) {
        order = o.bitext.map((_, i) => i);
        for (let i = order.length - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
        cursor = 0;
      }
      out.push(order[cursor++]);
      if (out.length >= o.bitext.length) break;
    }
    return out;
  };

  for (let step = 1; step <= steps; step++) {
    const t0 = performance.now();
    const keys = nextBatch();
    const tTeacher = performance.now();
    const teacherTokens = cache.get(keys, keys.map((k) => srcTexts[k]));
    const teacherMs = performance.now() - tTeacher;
    const enc = o.tokenizer.encodeBatch(keys.map((k) => o.bitext[k].tgt), null, { maxLength, padding: 'longest' });
    const lengths = enc.attentionMask.map((m) => m.reduce((s, v) => s + v, 0));
    const rows = Int32Array.from(teacherTokens.map((t) => t.count));
    const cols = Int32Array.from(lengths);
    const a = new Float32Array(rows.reduce((s, v) => s + v, 0));
    const b = new Float32Array(cols.reduce((s, v) => s + v, 0));
    const H = o.teacher.config.hiddenSize;
    const tData = new Float32Array(a.length * H);
    let ro = 0;
    let co = 0;
    teacherTokens.forEach((t, k) => {
      a.set(t.weights, ro);
      tData.set(t.vectors, ro * H);
      const e = enc.encodings[k];
      b.set(tokenWeights(e.tokens, e.sequenceIds.map((id) => id === null), 0, lengths[k], { maskPunctuation: s.maskPunctuation }), co);
      ro += t.count;
      co += lengths[k];
    });

    let result: OtLossResult | undefined;
    let otMs = 0;
    let english: number | undefined;
    const lr = schedule(step - 1);
    const teacher = tf.tensor2d(tData, [a.length, H]);
    const ids = tf.tensor2d(enc.inputIds, undefined, 'int32');
    const mask = tf.tensor2d(enc.attentionMask, undefined, 'int32');
    const dropoutSeed = Math.floor(rng.next() * 2 ** 31);
    const { value, grads } = tf.variableGrads(() => {
      const out = student.apply(ids, mask, undefined, { training: true, seed: dropoutSeed });
      const hidden = out.hiddenStates[layer];
      const [B, L, D] = hidden.shape;
      const parts: tf.Tensor2D[] = [];
      for (let k = 0; k < B; k++) parts.push(tf.reshape(tf.slice(hidden, [k, 0, 0], [1, lengths[k], D]), [lengths[k], D]));
      void L;
      const studentTokens = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
      const o0 = performance.now();
      let loss = otLoss(teacher, studentTokens as tf.Tensor2D, {
        rows, cols, a, b, kind: s.kind, eps: s.eps, maxIter: s.maxIter, tol: s.tol,
        method: s.method, rho: s.rho, backend: s.backend, returnPlan: true, onResult: (r) => { result = r; },
      });
      otMs = performance.now() - o0;
      if (s.englishWeight > 0 && o.englishLoss) {
        const el = o.englishLoss(student, step);
        english = el.dataSync()[0];
        loss = tf.add(loss, tf.mul(el, s.englishWeight));
      }
      return loss as tf.Scalar;
    }, variables);
    const total = value.dataSync()[0];
    const norm = globalNorm(grads);
    try {
      checkLossAndGradient(step, total, norm, nothingSaved);
    } catch (err) {
      tf.dispose([value, teacher, ids, mask, ...Object.values(grads)]);
      throw err;
    }
    const clipped = clipByGlobalNorm(grads, s.clipNorm);
    optimizer.applyGradients(clipped, lr);
    tf.dispose([value, teacher, ids, mask, ...Object.values(grads), ...Object.values(clipped)]);
    checkWeights(step, total, named, nothingSaved);

    const r = result!;
    let its = 0;
    let conv = 0;
    let lossSum = 0;
    for (let k = 0; k < rows.length; k++) { its += r.iterations[k]; conv += r.converged[k]; lossSum += r.cost[k]; }
    const stepMs = performance.now() - t0;
    const record: DistillStepRecord = {
      step,
      loss: lossSum / rows.length,
      englishLoss: english,
      lr,
      iterations: its / rows.length,
      converged: conv / rows.length,
      planEntropy: planEntropy(r, rows, cols),
      tokensPerSecond: (b.length / stepMs) * 1000,
      otMs,
      teacherMs,
      stepMs,
    };
    log.push(record);
    o.onStep?.(record);
  }
  return { student, log, teacherCache: { entries: cache.size, hits: cache.hits, misses: cache.misses } };
}
