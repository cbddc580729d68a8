/**
 * Repetition policy shared with peers.py: `warmup` untimed runs, then up to `reps` timed runs whose
 * median is reported. Slow implementations get fewer repetitions so the default run stays within a
 * few minutes: the warm-up time decides how many timed runs fit in `budgetSec` (at least one), and
 * when a single warm-up run already exceeds the budget it becomes the only sample (`warmupOnly`,
 * flagged in the table) — for runs that long, JIT/allocation warm-up effects are negligible.
 */
export interface TimingPolicy {
  reps: number;
  warmup: number;
  budgetSec: number;
}

export interface Timing {
  timesSec: number[];
  medianSec: number;
  warmupOnly: boolean;
}

export async function measure<T>(fn: () => Promise<T> | T, policy: TimingPolicy): Promise<{ out: T; timing: Timing }> {
  let out: T | undefined;
  let warm = 0;
  for (let w = 0; w < policy.warmup; w++) {
    const t0 = performance.now();
    out = await fn();
    warm = (performance.now() - t0) / 1000;
  }
  if (policy.warmup > 0 && warm >= policy.budgetSec) {
    return { out: out as T, timing: { timesSec: [warm], medianSec: warm, warmupOnly: true } };
  }
  let n = policy.reps;
  if (policy.warmup > 0 && warm > 0) n = Math.max(1, Math.min(policy.reps, Math.floor(policy.budgetSec / warm)));
  const times: number[] = [];
  for (let r = 0; r < n; r++) {
    const t0 = performance.now();
    out = await fn();
    times.push((performance.now() - t0) / 1000);
  }
  return { out: out as T, timing: { timesSec: times, medianSec: median(times), warmupOnly: false } };
}

export function median(xs: number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
}
