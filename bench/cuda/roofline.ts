/**
 * Roofline model of the CUDA Sinkhorn kernels (native/cuda), so a GPU run can print measured time
 * next to what the hardware allows. It counts, per iteration of a ragged batch, what the kernels
 * actually do (see native/cuda/sinkhorn_device.cuh):
 *
 *   on-chip problems (matrix + 10 vectors fit the per-block shared memory): the matrix is read from
 *     HBM once, then every half-iteration reads it from shared memory — 6 bytes per entry and pass
 *     on average (the row pass also streams h_j = log2 b_j + g_j/eps per entry, the column pass
 *     broadcasts h_i);
 *   streaming problems (one block each, or split over many blocks when there are fewer of them than
 *     SMs): every half-iteration reads the matrix from global memory, 4 bytes per entry
 *     (HBM; the vectors stay in L1/L2, and L2 hits on the matrix are ignored: an upper bound on
 *     traffic);
 *   log domain: one exp per matrix entry per half-iteration (2·n·m per iteration) plus, for balanced
 *     problems, the convergence check every `checkEvery` iterations (two more passes: 2·n·m exps);
 *   scaling form (also `auto` once eps is at its target): one FMA per entry per half-iteration and
 *     no exps in the matrix passes (a power per row/column when unbalanced); the check is two FMA
 *     passes; building K' costs n·m exps once.
 *
 * The model assumes the GPU is full (enough blocks per SM); it does not model occupancy, launch
 * overheads (one launch per batch on-chip, ~4 per iteration on the multi-block path) or L2 reuse.
 *
 * Time per iteration = the largest of bytes / HBM bandwidth, exps / SFU rate, FMAs / FP32 rate and
 * shared-memory bytes / shared bandwidth; the one-time part (loading C, the final plan pass) and the
 * PCIe copies are reported separately. Defaults are an H100 SXM: 3.35 TB/s HBM3, ~3.9 T exp/s
 * (132 SMs × 16 SFU lanes × 1.83 GHz), 33.5 T FP32 FMA/s, ~31 TB/s shared memory, PCIe 5 ×16.
 */

export interface DeviceModel {
  name: string;
  /** HBM bytes/s. */
  memoryBandwidth: number;
  /** exp2 evaluations/s (special-function units). */
  expRate: number;
  /** FP32 fused multiply-adds/s (no tensor cores: the kernels never use TF32). */
  fmaRate: number;
  /** Aggregate shared-memory bytes/s. */
  sharedBandwidth: number;
  /** Dynamic shared memory one block may use (opt-in limit minus the kernel's static scratch). */
  sharedBytesPerBlock: number;
  /** Host↔device bytes/s. */
  pcieBandwidth: number;
}

export const H100: DeviceModel = {
  name: 'H100 SXM (model)',
  memoryBandwidth: 3.35e12,
  expRate: 3.9e12,
  fmaRate: 33.5e12,
  sharedBandwidth: 132 * 128 * 1.83e9,
  sharedBytesPerBlock: 232_448 - 4_288,
  pcieBandwidth: 55e9,
};

export type BatchShape = { B: number; n: number; m: number } | { rows: ArrayLike<number>; cols: ArrayLike<number> };

export interface RooflineOptions {
  method: 'log' | 'scaling' | 'auto';
  /** Default 10 (the API default). */
  checkEvery?: number;
  /** Unbalanced problems skip the plan-based check but pay a power per row/column. Default true. */
  balanced?: boolean;
  device?: DeviceModel;
}

export interface Work {
  /** HBM bytes. */
  bytes: number;
  exps: number;
  fmas: number;
  sharedBytes: number;
}

export type Roof = 'memory' | 'exp' | 'fma' | 'shared';

export interface RooflineEstimate {
  device: string;
  onChipProblems: number;
  streamingProblems: number;
  /** Work of one iteration over the whole batch (checks amortised over checkEvery). */
  perIteration: Work;
  /** Loading the inputs into the kernel and the final plan pass. */
  oneTime: Work;
  /** Host → device and device → host bytes of one sinkhorn call. */
  transferBytes: number;
  secondsPerIteration: number;
  boundBy: Roof;
  /** Kernel seconds for `iterations` iterations (one-time part included, copies excluded). */
  kernelSeconds(iterations: number): number;
  /** Seconds including the PCIe copies. */
  totalSeconds(iterations: number): number;
}

const F32 = 4;

function shapes(shape: BatchShape): Array<[number, number]> {
  if ('rows' in shape) {
    if (shape.rows.length !== shape.cols.length) throw new RangeError(`roofline: rows and cols must have the same length, got ${shape.rows.length} and ${shape.cols.length}`);
    return Array.from(shape.rows, (n, k) => [n, shape.cols[k]] as [number, number]);
  }
  return Array.from({ length: shape.B }, () => [shape.n, shape.m] as [number, number]);
}

/** Largest of the four roofs for `w`: seconds and which roof. */
export function roofTime(w: Work, d: DeviceModel): { seconds: number; roof: Roof } {
  const t: Array<[Roof, number]> = [
    ['memory', w.bytes / d.memoryBandwidth],
    ['exp', w.exps / d.expRate],
    ['fma', w.fmas / d.fmaRate],
    ['shared', w.sharedBytes / d.sharedBandwidth],
  ];
  let best = t[0];
  for (const x of t) if (x[1] > best[1]) best = x;
  return { seconds: best[1], roof: best[0] };
}

export function sinkhornRoofline(shape: BatchShape, options: RooflineOptions): RooflineEstimate {
  const d = options.device ?? H100;
  const checkEvery = options.checkEvery ?? 10;
  if (!(Number.isInteger(checkEvery) && checkEvery >= 1)) throw new RangeError(`roofline: checkEvery must be an integer ≥ 1, got ${checkEvery}`);
  const balanced = options.balanced ?? true;
  const scaling = options.method !== 'log';
  const per: Work = { bytes: 0, exps: 0, fmas: 0, sharedBytes: 0 };
  const once: Work = { bytes: 0, exps: 0, fmas: 0, sharedBytes: 0 };
  let onChip = 0;
  let streaming = 0;
  let transfer = 0;
  for (const [n, m] of shapes(shape)) {
    if (!(Number.isInteger(n) && n >= 1 && Number.isInteger(m) && m >= 1)) throw new RangeError(`roofline: problem sizes must be integers ≥ 1, got ${n}×${m}`);
    const nm = n * m;
    const fitsOnChip = F32 * (nm + 5 * (n + m)) <= d.sharedBytesPerBlock;
    if (fitsOnChip) onChip++; else streaming++;
    // Matrix passes per iteration: 2 updates, plus 2 check passes every checkEvery (balanced only).
    const passes = 2 + (balanced ? 2 / checkEvery : 0);
    if (fitsOnChip) per.sharedBytes += passes * nm * 1.5 * F32; else per.bytes += passes * nm * F32;
    if (scaling) {
      per.fmas += passes * nm;
      if (!balanced) per.exps += 2 * (n + m); // powf = log2 + exp2 per row and column
    } else {
      per.exps += passes * nm;
      per.fmas += passes * nm;
    }
    // One-time: C in (and into shared memory), K' for scaling, final pass: C read twice
    // (row and column sums), the plan written once, one exp per entry per final pass in log form.
    once.bytes += nm * F32 + 2 * nm * F32 + nm * F32;
    if (scaling) once.exps += nm;
    once.exps += scaling ? 0 : 2 * nm;
    once.fmas += 2 * nm;
    // Copies: C, a, b in; plan, f, g and five per-problem scalars out.
    transfer += (nm + n + m) * F32 + (nm + n + m) * F32 + 5 * 8;
  }
  const it = roofTime(per, d);
  const oneTime = roofTime(once, d).seconds;
  return {
    device: d.name,
    onChipProblems: onChip,
    streamingProblems: streaming,
    perIteration: per,
    oneTime: once,
    transferBytes: transfer,
    secondsPerIteration: it.seconds,
    boundBy: it.roof,
    kernelSeconds: (iterations: number) => oneTime + iterations * it.seconds,
    totalSeconds: (iterations: number) => oneTime + iterations * it.seconds + transfer / d.pcieBandwidth,
  };
}

function ms(s: number): string {
  return `${(s * 1e3).toPrecision(3)} ms`;
}

/** One line for a benchmark table: the model's bound next to a measured time (same call). */
export function compareWithModel(measuredSeconds: number, iterations: number, est: RooflineEstimate): string {
  const bound = est.totalSeconds(iterations);
  const pct = measuredSeconds > 0 ? ((100 * bound) / measuredSeconds).toFixed(0) : '—';
  return `model ${ms(bound)} (${est.boundBy}-bound per iteration, ${ms(est.secondsPerIteration)}/iter on ${est.device}; ` +
    `${est.onChipProblems} on-chip, ${est.streamingProblems} streaming), measured ${ms(measuredSeconds)} = ${pct}% of the roofline`;
}
