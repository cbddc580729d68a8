/**
 * OT loss as a tfjs op, for training the student inside tfjs.
 *
 * Tokens are ragged: `teacher` is a [Σ rows, d] tensor (the teacher tokens of all pairs, stacked),
 * `student` is [Σ cols, d]; `rows[k]`/`cols[k]` give pair k's token counts. `raggedTokens` builds such
 * a tensor from a padded [B, L, d] batch with a differentiable slice + concat (no tf.gather, whose
 * gradient the wasm backend lacks).
 *
 * Two ways to use it:
 *  1. Synchronous, inside a gradient tape: `otLoss(teacher, student, opts)` reads both tensors
 *     (dataSync), runs the fused native step (cost, Sinkhorn, loss, gradient) on the calling thread,
 *     and returns a scalar whose gradient w.r.t. `student` is the envelope gradient (see
 *     loss-step.ts). Simple; blocks the event loop for the duration of the OT step.
 *  2. Two-phase, asynchronous: `const step = await prepareOtLoss(teacher, student, opts)` runs the OT
 *     step off the main thread (native AsyncWorker); then inside the tape, after recomputing the
 *     student tokens with the same weights and no fresh randomness (dropout off or seeded the same),
 *     `step.loss(student)` returns the same scalar with the same gradient without touching the data
 *     again. Costs one extra student forward; keeps the event loop free.
 *
 * The scalar is the mean over pairs (or the sum, `reduction: 'sum'`) of <P, C> (`value: 'cost'`,
 * the OPTICAL loss, default) or of the entropic value (`value: 'entropic'`). The gradient is the
 * same in both cases (it is the gradient of the entropic value at convergence).
 * The teacher receives a zero gradient: it is frozen.
 */
import * as tf from '@tensorflow/tfjs';
import { otLossStep, otLossStepSync } from './loss-step.js';
import { LOSS_OPTION_KEYS, checkOptionKeys } from './options.js';
import type { OtLossOptions, OtLossResult } from './types.js';

export interface TfOtLossOptions extends OtLossOptions {
  rows: Int32Array | number[];
  cols: Int32Array | number[];
  /** Token weights (e.g. 0 for [CLS]/[SEP]/punctuation); same layout as the rows/cols. */
  a?: Float32Array;
  b?: Float32Array;
  reduction?: 'mean' | 'sum';
  value?: 'cost' | 'entropic';
  /** Receives the step's per-pair numbers and Sinkhorn diagnostics (iterations, converged, plan). */
  onResult?: (result: OtLossResult) => void;
}

export interface PreparedOtLoss {
  /** Per-pair numbers and Sinkhorn diagnostics of the step. */
  result: OtLossResult;
  /** The reduced loss value. */
  lossValue: number;
  /** A scalar with value `lossValue` whose gradient w.r.t. `student` is the OT gradient. */
  loss(student: tf.Tensor2D): tf.Scalar;
}

const TF_LOSS_OPTION_KEYS = [...LOSS_OPTION_KEYS, 'rows', 'cols', 'a', 'b', 'reduction', 'value', 'onResult'] as const;

/** The options of the OT step itself (the tfjs-only ones removed), after the unknown-key check. */
function stepOptions(fn: string, opts: TfOtLossOptions): OtLossOptions {
  if (opts === null || typeof opts !== 'object') throw new TypeError(`${fn}: options must be an object`);
  checkOptionKeys(fn, 'options', opts, TF_LOSS_OPTION_KEYS);
  const step: Record<string, unknown> = { ...opts };
  for (const key of ['rows', 'cols', 'a', 'b', 'reduction', 'value', 'onResult']) delete step[key];
  return step as OtLossOptions;
}

function shapes(fn: string, teacher: tf.Tensor, student: tf.Tensor, opts: TfOtLossOptions) {
  if (!(teacher instanceof tf.Tensor) || teacher.rank !== 2) throw new TypeError(`${fn}: teacher must be a rank-2 tensor [Σ rows, d]`);
  if (!(student instanceof tf.Tensor) || student.rank !== 2) throw new TypeError(`${fn}: student must be a rank-2 tensor [Σ cols, d]`);
  if (teacher.shape[1] !== student.shape[1]) {
    throw new RangeError(`${fn}: teacher and student must have the same width, got ${teacher.shape[1]} and ${student.shape[1]}`);
  }
  const rows = Int32Array.from(opts.rows ?? []);
  const cols = Int32Array.from(opts.cols ?? []);
  return { rows, cols, dim: teacher.shape[1] as number };
}

function reduce(result: OtLossResult, opts: TfOtLossOptions): { value: number; scale: number } {
  const per = opts.value === 'entropic' ? result.value : result.cost;
  let s = 0;
  for (let k = 0; k < per.length; k++) s += per[k];
  const scale = opts.reduction === 'sum' ? 1 : 1 / per.length;
  return { value: s * scale, scale };
}

function surrogate(student: tf.Tensor2D, teacher: tf.Tensor2D | undefined, value: number, grad: Float32Array, scale: number): tf.Scalar {
  const inputs = teacher ? [student, teacher] : [student];
  const op = tf.customGrad((...args: unknown[]) => {
    const s = args[0] as tf.Tensor2D;
    const t = teacher ? (args[1] as tf.Tensor2D) : undefined;
    return {
      value: tf.scalar(value),
      gradFunc: (dy: tf.Tensor) => {
        const g = tf.tidy(() => tf.mul(tf.tensor2d(grad, s.shape as [number, number]), tf.mul(dy, scale)));
        return t ? [g, tf.zerosLike(t)] : [g];
      },
    };
  });
  return op(...inputs) as tf.Scalar;
}

/** Synchronous OT loss (use 1 above). */
export function otLoss(teacher: tf.Tensor2D, student: tf.Tensor2D, opts: TfOtLossOptions): tf.Scalar {
  const { rows, cols, dim } = shapes('otLoss', teacher, student, opts);
  const result = otLossStepSync(
    { rows, cols, dim, teacher: teacher.dataSync() as Float32Array, student: student.dataSync() as Float32Array, a: opts.a, b: opts.b },
    stepOptions('otLoss', opts),
  );
  opts.onResult?.(result);
  const { value, scale } = reduce(result, opts);
  return surrogate(student, teacher, value, result.grad, scale);
}

/** Two-phase OT loss, phase one (use 2 above). */
export async function prepareOtLoss(teacher: tf.Tensor2D, student: tf.Tensor2D, opts: TfOtLossOptions): Promise<PreparedOtLoss> {
  const { rows, cols, dim } = shapes('prepareOtLoss', teacher, student, opts);
  const stepOpts = stepOptions('prepareOtLoss', opts);
  const [t, s] = await Promise.all([teacher.data(), student.data()]);
  const result = await otLossStep({ rows, cols, dim, teacher: t as Float32Array, student: s as Float32Array, a: opts.a, b: opts.b }, stepOpts);
  const { value, scale } = reduce(result, opts);
  const shape = student.shape;
  return {
    result,
    lossValue: value,
    loss(stud: tf.Tensor2D): tf.Scalar {
      if (stud.shape[0] !== shape[0] || stud.shape[1] !== shape[1]) {
        throw new RangeError(`PreparedOtLoss.loss: student must have shape [${shape}], got [${stud.shape}]`);
      }
      return surrogate(stud, undefined, value, result.grad, scale);
    },
  };
}

/**
 * Stacks the first lengths[k] tokens of each sequence of a padded [B, L, d] tensor into [Σ lengths, d]
 * (optionally starting at `start[k]`, e.g. 1 to skip [CLS]). Differentiable on every backend.
 */
export function raggedTokens(hidden: tf.Tensor3D, lengths: ArrayLike<number>, start?: ArrayLike<number>): tf.Tensor2D {
  const [B, L, d] = hidden.shape;
  if (lengths.length !== B) throw new RangeError(`raggedTokens: lengths must have ${B} entries (the batch size), got ${lengths.length}`);
  return tf.tidy(() => {
    const parts: tf.Tensor2D[] = [];
    for (let k = 0; k < B; k++) {
      const s = start ? start[k] : 0;
      const n = lengths[k];
      if (!Number.isInteger(n) || n < 1 || s < 0 || s + n > L) {
        throw new RangeError(`raggedTokens: sequence ${k}: start ${s} + length ${n} must lie within 1..${L}`);
      }
      parts.push(tf.reshape(tf.slice(hidden, [k, s, 0], [1, n, d]), [n, d]));
    }
    return parts.length === 1 ? parts[0] : tf.concat(parts, 0);
  });
}
