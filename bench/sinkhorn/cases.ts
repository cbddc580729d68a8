/**
 * Benchmark cases and their inputs. Inputs are generated once per size from a seeded PRNG and shared
 * by every implementation (and written to binary files for the Python peers), so all rows of a table
 * solve exactly the same problems.
 *
 * Sinkhorn cases: each problem is the classic POT-example geometry — n and m points uniform in the unit
 * square, squared Euclidean cost divided by its maximum (so C ∈ [0, 1] and eps has the same meaning at
 * every size); uniform marginals.
 *
 * OPTICAL step: teacher and student token embeddings with shared "concept" structure (each pair has a
 * few concept vectors; tokens are a concept plus noise), so cosine costs spread over roughly [0.3, 1.1]
 * like real aligned token embeddings, instead of the flat ≈1 costs of independent Gaussian vectors.
 */
import { Rng } from '../../src/random/rng.js';

export interface BatchSize {
  B: number;
  n: number;
  m: number;
}

export interface SinkhornCase extends BatchSize {
  /** Stable id, e.g. "256x64x64-eps0.01" (per-call cost cases: "1x4096x4096-eps0.05-it20"). */
  id: string;
  /** Index into the list of sizes (inputs are shared between the eps values of one size). */
  sizeIndex: number;
  eps: number;
  iters: number;
  /** A per-call cost case (few iterations on a large problem: the fixed cost of a call dominates). */
  callCost?: boolean;
}

/** The per-call cost cases: one size and eps at several iteration counts. */
export interface CallCostCases {
  size: BatchSize;
  eps: number;
  iters: number[];
}

export interface StepSize extends BatchSize {
  d: number;
}

export interface StepCase extends StepSize {
  id: string;
  eps: number;
  iters: number;
}

/** Parses "BxNxM" (e.g. 256x64x64); names the offending text on error. */
export function parseBatchSize(spec: string): BatchSize {
  const parts = spec.toLowerCase().split('x');
  const nums = parts.map((p) => Number(p));
  if (parts.length !== 3 || nums.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`size '${spec}' must be BxNxM with positive integers, e.g. 256x64x64`);
  }
  checkFits(spec, [['B·N·M (cost and plan entries)', nums[0] * nums[1] * nums[2]]]);
  return { B: nums[0], n: nums[1], m: nums[2] };
}

/** Largest float32 buffer a case may need (2^28 entries = 1 GiB): a size that cannot fit is named before any allocation. */
export const MAX_BUFFER_ENTRIES = 2 ** 28;

function checkFits(spec: string, buffers: Array<[string, number]>): void {
  for (const [what, n] of buffers) {
    if (n > MAX_BUFFER_ENTRIES) throw new RangeError(`size '${spec}': ${what} = ${n} floats, more than one buffer holds here (at most ${MAX_BUFFER_ENTRIES}, 1 GiB)`);
  }
}

/** Parses "BxNxMxD" for the OPTICAL step (e.g. 256x128x128x768). */
export function parseStepSize(spec: string): StepSize {
  const parts = spec.toLowerCase().split('x');
  const nums = parts.map((p) => Number(p));
  if (parts.length !== 4 || nums.some((v) => !Number.isInteger(v) || v < 1)) {
    throw new RangeError(`step size '${spec}' must be BxNxMxD with positive integers, e.g. 256x128x128x768`);
  }
  const [B, n, m, d] = nums;
  checkFits(spec, [['B·N·D (teacher tokens)', B * n * d], ['B·M·D (student tokens)', B * m * d], ['B·N·M (cost and plan entries)', B * n * m]]);
  return { B, n, m, d };
}

export function sizeLabel(s: BatchSize): string {
  return `${s.B}x${s.n}x${s.m}`;
}

/** Cartesian product sizes × eps, in the order given (sizes outer), then the per-call cost cases
 * (their own inputs: size index sizes.length). */
export function buildCases(sizes: BatchSize[], epsList: number[], iters: number, call: CallCostCases | null = null): SinkhornCase[] {
  const cases: SinkhornCase[] = [];
  sizes.forEach((s, sizeIndex) => {
    for (const eps of epsList) cases.push({ ...s, id: `${sizeLabel(s)}-eps${eps}`, sizeIndex, eps, iters });
  });
  if (call) {
    for (const it of call.iters) {
      cases.push({ ...call.size, id: `${sizeLabel(call.size)}-eps${call.eps}-it${it}`, sizeIndex: sizes.length, eps: call.eps, iters: it, callCost: true });
    }
  }
  return cases;
}

/** Derives an independent seed per input set from the user's seed. */
function subSeed(seed: number, index: number): number {
  return (Math.imul(seed >>> 0, 0x9e3779b1) + Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

/** B cost blocks, row-major [B, n, m]: squared Euclidean between uniform points, max-normalised. */
export function makeCostBatch(size: BatchSize, seed: number, sizeIndex: number): Float32Array {
  const { B, n, m } = size;
  const rng = new Rng(subSeed(seed, sizeIndex));
  const out = new Float32Array(B * n * m);
  const xs = new Float64Array(2 * n);
  const ys = new Float64Array(2 * m);
  const block = new Float64Array(n * m);
  for (let k = 0; k < B; k++) {
    for (let i = 0; i < 2 * n; i++) xs[i] = rng.next();
    for (let j = 0; j < 2 * m; j++) ys[j] = rng.next();
    let max = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < m; j++) {
        const dx = xs[2 * i] - ys[2 * j];
        const dy = xs[2 * i + 1] - ys[2 * j + 1];
        const c = dx * dx + dy * dy;
        block[i * m + j] = c;
        if (c > max) max = c;
      }
    }
    // max > 0 unless every point coincides (probability 0 with 32-bit uniforms and n·m > 1).
    const scale = max > 0 ? 1 / max : 1;
    const base = k * n * m;
    for (let t = 0; t < n * m; t++) out[base + t] = block[t] * scale;
  }
  return out;
}

/** Teacher [B, n, d] and student [B, m, d] token embeddings (see the file comment). */
export function makeStepEmbeddings(size: StepSize, seed: number): { teacher: Float32Array; student: Float32Array } {
  const { B, n, m, d } = size;
  const rng = new Rng(subSeed(seed, 1000));
  const conceptsPerPair = 16;
  const noise = 0.75;
  const teacher = new Float32Array(B * n * d);
  const student = new Float32Array(B * m * d);
  const concepts = new Float64Array(conceptsPerPair * d);
  for (let k = 0; k < B; k++) {
    for (let t = 0; t < concepts.length; t++) concepts[t] = rng.normal();
    const fill = (dst: Float32Array, base: number, count: number): void => {
      for (let i = 0; i < count; i++) {
        const c = rng.int(conceptsPerPair) * d;
        const at = base + i * d;
        for (let t = 0; t < d; t++) dst[at + t] = concepts[c + t] + noise * rng.normal();
      }
    };
    fill(teacher, k * n * d, n);
    fill(student, k * m * d, m);
  }
  return { teacher, student };
}
