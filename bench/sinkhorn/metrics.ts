/**
 * What the table reports about each run's output and speed. Every statistic propagates NaN instead of
 * hiding it (a plain `if (d > max)` loop would silently skip NaN entries).
 */

/** Nominal cost-matrix traffic of one Sinkhorn iteration: one fp32 read of C (or K) for the f
 * update and one for the g update. "Effective GB/s" = this × iterations / time. For small blocks the
 * matrix sits in cache, so this can exceed DRAM bandwidth — it is a work rate, not a memory probe. */
export function bytesPerIteration(cells: number): number {
  return 2 * 4 * cells;
}

export function effectiveGBps(cells: number, iterations: number, seconds: number): number {
  return (bytesPerIteration(cells) * iterations) / seconds / 1e9;
}

export function countNaN(x: ArrayLike<number>): number {
  let c = 0;
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) c++;
  return c;
}

/** max_i |x_i − y_i|; NaN when any entry of either is NaN; Infinity when lengths differ. */
export function maxAbsDiff(x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) return Number.POSITIVE_INFINITY;
  let max = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (!(d <= max)) {
      if (Number.isNaN(d)) return Number.NaN;
      max = d;
    }
  }
  return max;
}

/** Per-problem transport cost <P_k, C_k> (float64 accumulation) for a uniform [B, n, m] batch. */
export function planCosts(plan: ArrayLike<number>, cost: ArrayLike<number>, B: number, cells: number): Float64Array {
  const out = new Float64Array(B);
  for (let k = 0; k < B; k++) {
    let s = 0;
    const base = k * cells;
    for (let t = 0; t < cells; t++) s += plan[base + t] * cost[base + t];
    out[k] = s;
  }
  return out;
}

/** Largest L1 marginal error ‖P1 − a‖₁ + ‖Pᵀ1 − b‖₁ over the problems (uniform marginals). */
export function maxMarginalError(plan: ArrayLike<number>, B: number, n: number, m: number): number {
  let worst = 0;
  const colSum = new Float64Array(m);
  for (let k = 0; k < B; k++) {
    colSum.fill(0);
    let err = 0;
    const base = k * n * m;
    for (let i = 0; i < n; i++) {
      let rowSum = 0;
      for (let j = 0; j < m; j++) {
        const p = plan[base + i * m + j];
        rowSum += p;
        colSum[j] += p;
      }
      err += Math.abs(rowSum - 1 / n);
    }
    for (let j = 0; j < m; j++) err += Math.abs(colSum[j] - 1 / m);
    if (Number.isNaN(err)) return Number.NaN;
    if (err > worst) worst = err;
  }
  return worst;
}
