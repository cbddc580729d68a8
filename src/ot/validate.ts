/**
 * Argument checks shared by every backend. The native addons repeat them in C++ (they may be called
 * directly); this file gives the pure-TS backend and the public API the same errors: TypeError for a
 * wrong type, RangeError for a bad value, always naming the argument and, where it applies, the
 * problem index and the position inside the problem.
 */
import type { EmbeddingPairs, FloatArray, OtLossInput, SinkhornProblem } from './types.js';

/** Layout of a ragged batch: prefix offsets into the concatenated arrays. */
export interface RaggedLayout {
  batch: number;
  rows: Int32Array;
  cols: Int32Array;
  /** rowOffset[k] = Σ_{l<k} rows[l]; length batch + 1. */
  rowOffset: Float64Array;
  colOffset: Float64Array;
  /** blockOffset[k] = Σ_{l<k} rows[l]·cols[l]; length batch + 1. */
  blockOffset: Float64Array;
}

/** Largest element count we accept in one typed array (2^31 − 1 floats, the V8 typed-array limit is higher but the addons index with int64 anyway; beyond this the allocation itself is unreasonable). */
const MAX_ELEMENTS = 2 ** 31 - 1;

function isFloatArray(x: unknown): x is FloatArray {
  return x instanceof Float32Array || x instanceof Float64Array;
}

export function checkFloatArray(fn: string, name: string, x: unknown): FloatArray {
  if (!isFloatArray(x)) {
    const got = x === null ? 'null' : x === undefined ? 'undefined' : (x as object).constructor?.name ?? typeof x;
    throw new TypeError(`${fn}: ${name} must be a Float32Array or Float64Array, got ${got}`);
  }
  return x;
}

/** Checks rows/cols and returns the offsets of the ragged batch. */
export function raggedLayout(fn: string, rows: unknown, cols: unknown): RaggedLayout {
  if (!(rows instanceof Int32Array)) throw new TypeError(`${fn}: rows must be an Int32Array`);
  if (!(cols instanceof Int32Array)) throw new TypeError(`${fn}: cols must be an Int32Array`);
  if (rows.length === 0) throw new RangeError(`${fn}: the batch is empty (rows has length 0)`);
  if (rows.length !== cols.length) {
    throw new RangeError(`${fn}: rows and cols must have the same length (the batch size), got ${rows.length} and ${cols.length}`);
  }
  const batch = rows.length;
  const rowOffset = new Float64Array(batch + 1);
  const colOffset = new Float64Array(batch + 1);
  const blockOffset = new Float64Array(batch + 1);
  for (let k = 0; k < batch; k++) {
    if (rows[k] <= 0) throw new RangeError(`${fn}: rows[${k}] must be ≥ 1 (problem ${k} is empty), got ${rows[k]}`);
    if (cols[k] <= 0) throw new RangeError(`${fn}: cols[${k}] must be ≥ 1 (problem ${k} is empty), got ${cols[k]}`);
    rowOffset[k + 1] = rowOffset[k] + rows[k];
    colOffset[k + 1] = colOffset[k] + cols[k];
    blockOffset[k + 1] = blockOffset[k] + rows[k] * cols[k];
    if (blockOffset[k + 1] > MAX_ELEMENTS) {
      throw new RangeError(`${fn}: the batch is too large: cost blocks up to problem ${k} hold ${blockOffset[k + 1]} elements (limit ${MAX_ELEMENTS})`);
    }
  }
  return { batch, rows, cols, rowOffset, colOffset, blockOffset };
}

/** Finds the problem index that holds flat element `i` of an array laid out by `offsets`. */
export function problemOf(offsets: Float64Array, i: number): number {
  let lo = 0;
  let hi = offsets.length - 2;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid] <= i) lo = mid; else hi = mid - 1;
  }
  return lo;
}

function checkFinite(fn: string, name: string, x: FloatArray, offsets: Float64Array, width: number, what: 'matrix' | 'vector' | 'embedding', cols?: Int32Array): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v - v !== 0) {
      const k = problemOf(offsets, i);
      const local = i - offsets[k];
      let where: string;
      if (what === 'matrix') {
        const m = cols![k];
        where = `entry (${Math.floor(local / m)}, ${local % m})`;
      } else if (what === 'embedding') {
        where = `token ${Math.floor(local / width)}, component ${local % width}`;
      } else {
        where = `entry ${local}`;
      }
      throw new RangeError(`${fn}: ${name} of problem ${k} has a non-finite value (${v}) at ${where}`);
    }
  }
}

function checkMarginal(fn: string, name: string, x: unknown, offsets: Float64Array, total: number): FloatArray | undefined {
  if (x === undefined || x === null) return undefined;
  const arr = checkFloatArray(fn, name, x);
  if (arr.length !== total) throw new RangeError(`${fn}: ${name} must have ${total} entries (the sum of the problem sizes), got ${arr.length}`);
  checkFinite(fn, name, arr, offsets, 1, 'vector');
  for (let k = 0; k + 1 < offsets.length; k++) {
    let sum = 0;
    for (let i = offsets[k]; i < offsets[k + 1]; i++) {
      if (arr[i] < 0) throw new RangeError(`${fn}: ${name} of problem ${k} has a negative entry (${arr[i]}) at entry ${i - offsets[k]}`);
      sum += arr[i];
    }
    if (!(sum > 0)) throw new RangeError(`${fn}: ${name} of problem ${k} sums to zero; a marginal needs positive mass`);
  }
  return arr;
}

export interface CheckedProblem {
  layout: RaggedLayout;
  cost: FloatArray;
  a?: FloatArray;
  b?: FloatArray;
}

export function checkProblem(fn: string, problem: SinkhornProblem): CheckedProblem {
  if (problem === null || typeof problem !== 'object') throw new TypeError(`${fn}: problem must be an object {rows, cols, cost, a?, b?}`);
  const layout = raggedLayout(fn, problem.rows, problem.cols);
  const cost = checkFloatArray(fn, 'cost', problem.cost);
  const expected = layout.blockOffset[layout.batch];
  if (cost.length !== expected) {
    throw new RangeError(`${fn}: cost must have ${expected} entries (Σ rows[k]·cols[k]), got ${cost.length}`);
  }
  checkFinite(fn, 'cost', cost, layout.blockOffset, 1, 'matrix', layout.cols);
  const a = checkMarginal(fn, 'a', problem.a, layout.rowOffset, layout.rowOffset[layout.batch]);
  const b = checkMarginal(fn, 'b', problem.b, layout.colOffset, layout.colOffset[layout.batch]);
  return { layout, cost, a, b };
}

export interface CheckedEmbeddings {
  layout: RaggedLayout;
  dim: number;
  x: FloatArray;
  y: FloatArray;
  a?: FloatArray;
  b?: FloatArray;
}

function checkDim(fn: string, dim: unknown): number {
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new TypeError(`${fn}: dim must be an integer, got ${String(dim)}`);
  if (dim <= 0) throw new RangeError(`${fn}: dim must be ≥ 1, got ${dim}`);
  return dim;
}

function checkEmbeddings(fn: string, xName: string, yName: string, rows: unknown, cols: unknown, dimIn: unknown, xIn: unknown, yIn: unknown): Omit<CheckedEmbeddings, 'a' | 'b'> {
  const layout = raggedLayout(fn, rows, cols);
  const dim = checkDim(fn, dimIn);
  const x = checkFloatArray(fn, xName, xIn);
  const y = checkFloatArray(fn, yName, yIn);
  const nx = layout.rowOffset[layout.batch] * dim;
  const ny = layout.colOffset[layout.batch] * dim;
  if (nx > MAX_ELEMENTS || ny > MAX_ELEMENTS) throw new RangeError(`${fn}: embeddings too large (${Math.max(nx, ny)} elements)`);
  if (x.length !== nx) throw new RangeError(`${fn}: ${xName} must have ${nx} entries (Σ rows · dim), got ${x.length}`);
  if (y.length !== ny) throw new RangeError(`${fn}: ${yName} must have ${ny} entries (Σ cols · dim), got ${y.length}`);
  const xOff = layout.rowOffset.map((v) => v * dim);
  const yOff = layout.colOffset.map((v) => v * dim);
  checkFinite(fn, xName, x, xOff, dim, 'embedding');
  checkFinite(fn, yName, y, yOff, dim, 'embedding');
  return { layout, dim, x, y };
}

export function checkPairs(fn: string, pairs: EmbeddingPairs): CheckedEmbeddings {
  if (pairs === null || typeof pairs !== 'object') throw new TypeError(`${fn}: pairs must be an object {rows, cols, dim, x, y}`);
  return checkEmbeddings(fn, 'x', 'y', pairs.rows, pairs.cols, pairs.dim, pairs.x, pairs.y);
}

export function checkLossInput(fn: string, input: OtLossInput): CheckedEmbeddings {
  if (input === null || typeof input !== 'object') throw new TypeError(`${fn}: input must be an object {rows, cols, dim, teacher, student, a?, b?}`);
  const e = checkEmbeddings(fn, 'teacher', 'student', input.rows, input.cols, input.dim, input.teacher, input.student);
  const a = checkMarginal(fn, 'a', input.a, e.layout.rowOffset, e.layout.rowOffset[e.layout.batch]);
  const b = checkMarginal(fn, 'b', input.b, e.layout.colOffset, e.layout.colOffset[e.layout.batch]);
  return { ...e, a, b };
}

/**
 * Balanced OT moves all of a onto all of b, so the two masses must agree. Differences at float32
 * rounding level (relative 1e-4 or less) are tolerated — the solvers rescale b to the mass of a —
 * anything larger is almost certainly a bug in the caller and is rejected.
 */
export function checkBalancedMass(fn: string, layout: RaggedLayout, a?: FloatArray, b?: FloatArray): void {
  if (!a && !b) return;
  for (let k = 0; k < layout.batch; k++) {
    let sa = 0;
    let sb = 0;
    if (a) for (let i = layout.rowOffset[k]; i < layout.rowOffset[k + 1]; i++) sa += a[i]; else sa = 1;
    if (b) for (let j = layout.colOffset[k]; j < layout.colOffset[k + 1]; j++) sb += b[j]; else sb = 1;
    if (Math.abs(sa - sb) > 1e-4 * Math.max(sa, sb)) {
      throw new RangeError(`${fn}: a and b of problem ${k} have different total mass (${sa} vs ${sb}); balanced OT needs equal mass — normalise them or use unbalanced OT (options.rho)`);
    }
  }
}

/**
 * The mass check for a call about to go to a native backend: runs only when the shapes are sound
 * (the backend reports malformed input itself, with the same messages).
 */
export function checkBalancedMassLoose(fn: string, rows: unknown, cols: unknown, a: unknown, b: unknown, rho: number): void {
  if (rho !== Infinity || (a == null && b == null)) return;
  let layout: RaggedLayout;
  try { layout = raggedLayout(fn, rows, cols); } catch { return; }
  const ok = (x: unknown, n: number) => x == null || ((x instanceof Float32Array || x instanceof Float64Array) && x.length === n);
  if (!ok(a, layout.rowOffset[layout.batch]) || !ok(b, layout.colOffset[layout.batch])) return;
  checkBalancedMass(fn, layout, (a ?? undefined) as FloatArray | undefined, (b ?? undefined) as FloatArray | undefined);
}
