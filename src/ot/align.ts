/**
 * Reading alignments off a transport plan. A plan row i says how token i's mass is spread over the
 * other side; its largest entry is the token's best match, and a pair that is each other's best
 * match in both directions (a mutual argmax) is the usual high-precision alignment in OT word
 * alignment work. Strength = P_ij / min(a_i, b_j): the share of the smaller token's mass moved along
 * the pair (1 = all of it).
 */
export interface Alignment {
  /** Row (source token) index. */
  i: number;
  /** Column (target token) index. */
  j: number;
  /** Plan entry P_ij. */
  mass: number;
  /** P_ij / min(a_i, b_j) in [0, 1]. */
  strength: number;
  /** Both tokens are each other's argmax. */
  mutual: boolean;
}

/**
 * All row-argmax alignments of one n×m plan block (row-major, starting at `offset`), strongest
 * first. `a`/`b` are the block's marginals (uniform when omitted).
 */
export function alignmentsFromPlan(plan: ArrayLike<number>, n: number, m: number, offset = 0, a?: ArrayLike<number>, b?: ArrayLike<number>): Alignment[] {
  const colBest = new Int32Array(m).fill(-1);
  const colMax = new Float64Array(m).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      const v = plan[offset + i * m + j];
      if (v > colMax[j]) { colMax[j] = v; colBest[j] = i; }
    }
  }
  const out: Alignment[] = [];
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < m; j++) if (plan[offset + i * m + j] > plan[offset + i * m + best]) best = j;
    const mass = plan[offset + i * m + best];
    if (!(mass > 0)) continue;
    const ai = a ? a[i] : 1 / n;
    const bj = b ? b[best] : 1 / m;
    out.push({ i, j: best, mass, strength: Math.min(1, mass / Math.min(ai, bj)), mutual: colBest[best] === i });
  }
  return out.sort((x, y) => y.strength - x.strength || y.mass - x.mass);
}
