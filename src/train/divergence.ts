/**
 * Divergence checks shared by the training loops (teacher Trainer, distillation): a step whose loss
 * or gradient norm is not finite, or whose update leaves a weight non-finite, stops training with
 * TrainingDivergedError before anything is saved — "diverged at step N (loss …); last good
 * checkpoint kept at …" — instead of carrying NaN weights into the next step or onto disk.
 */
import { tf } from '../models/tf.js';

export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  /**
   * @param step       1-based step that diverged
   * @param loss       its loss (may itself be NaN/±Infinity)
   * @param what        what was non-finite, e.g. "gradient norm Infinity"
   * @param lastGood   where the last good state is, e.g. "last good checkpoint kept at DIR (step 40)"
   */
  constructor(readonly step: number, readonly loss: number, readonly what: string, readonly lastGood: string) {
    super(`diverged at step ${step} (loss ${formatNumber(loss)}${what ? `; ${what}` : ''}); ${lastGood}. Lower the learning rate (or check the data) and start again`);
  }
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}

/** Throws when the loss or the gradient norm of `step` is not finite (call before applying the update). */
export function checkLossAndGradient(step: number, loss: number, gradNorm: number, lastGood: () => string): void {
  if (!Number.isFinite(loss)) throw new TrainingDivergedError(step, loss, '', lastGood());
  if (!Number.isFinite(gradNorm)) throw new TrainingDivergedError(step, loss, `gradient norm ${gradNorm}`, lastGood());
}

/** Name of the first variable holding NaN or ±Infinity, or null (one synchronisation for all). */
export function firstNonFiniteVariable(variables: Map<string, tf.Variable>): string | null {
  const names = [...variables.keys()];
  if (names.length === 0) return null;
  const bad = tf.tidy(() => tf.stack(names.map((n) => tf.any(tf.logicalNot(tf.isFinite(variables.get(n)!))).toInt())).dataSync());
  const i = bad.findIndex((b) => b !== 0);
  return i < 0 ? null : names[i];
}

/** Throws when the update of `step` left a weight non-finite (e.g. a learning rate that overflows float32). */
export function checkWeights(step: number, loss: number, variables: Map<string, tf.Variable>, lastGood: () => string): void {
  const name = firstNonFiniteVariable(variables);
  if (name !== null) throw new TrainingDivergedError(step, loss, `the update made '${name}' non-finite`, lastGood());
}
