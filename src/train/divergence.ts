/**
 * Divergence: a step whose loss or gradient norm is not finite, or whose update leaves a weight
 * non-finite, stops training (src/train/trainer.ts) with TrainingDivergedError — "diverged at step
 * N (loss …); last good checkpoint kept at …" — instead of carrying NaN weights into the next step
 * or onto disk. The engine reports all three (StepResult.loss, OptimizerResult.finite / nonFinite);
 * a non-finite gradient norm applies nothing.
 */
export class TrainingDivergedError extends Error {
  override name = 'TrainingDivergedError';
  /**
   * @param step       1-based step that diverged
   * @param loss       its loss (may itself be NaN/±Infinity)
   * @param what       what was non-finite, e.g. "gradient norm Infinity"
   * @param lastGood   where the last good state is, e.g. "last good checkpoint kept at DIR (step 40)"
   */
  constructor(readonly step: number, readonly loss: number, readonly what: string, readonly lastGood: string) {
    super(`diverged at step ${step} (loss ${formatNumber(loss)}${what ? `; ${what}` : ''}); ${lastGood}. Lower the learning rate (or check the data) and start again`);
  }
}

function formatNumber(x: number): string {
  return Number.isFinite(x) ? String(Number(x.toPrecision(6))) : String(x);
}
