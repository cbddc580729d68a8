/**
 * Learning-rate schedule: linear warm-up to `peak` over `warmupSteps` updates, then linear decay to 0
 * at `totalSteps` (the BERT fine-tuning schedule). `step` is the 0-based index of the update, so the
 * first update already uses peak/warmupSteps instead of a wasted zero step.
 */
export function linearWarmupDecay(peak: number, warmupSteps: number, totalSteps: number): (step: number) => number {
  if (!(peak > 0) || !Number.isFinite(peak)) throw new RangeError(`learning rate must be a positive finite number, got ${peak}`);
  if (!Number.isInteger(totalSteps) || totalSteps < 1) throw new RangeError(`totalSteps must be a positive integer, got ${totalSteps}`);
  if (!Number.isInteger(warmupSteps) || warmupSteps < 0 || warmupSteps > totalSteps) {
    throw new RangeError(`warmupSteps must be an integer in [0, totalSteps=${totalSteps}], got ${warmupSteps}`);
  }
  return (step: number) => {
    if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
    if (totalSteps === warmupSteps) return peak;
    return Math.max(0, (peak * (totalSteps - step)) / (totalSteps - warmupSteps));
  };
}
