/**
 * The contract between TypeScript and a native addon (build/Release/optical.node for CPU,
 * build-cuda/Release/optical_cuda.node for CUDA). Both export exactly this object.
 *
 * Native options are the TS options with every default filled in by src/ot/options.ts:
 *   { eps, maxIter, tol, checkEvery, method: 'auto'|'log'|'scaling', errorNorm: 'l1'|'l2',
 *     rho (Infinity = balanced), epsInit (= eps when no schedule), epsDecay (1 when no schedule),
 *     threads (0 = all cores), kind: 'cosine'|'sqeuclidean'|'dot' (cost/loss only),
 *     returnPlan (sinkhorn: default true, the result has no `plan` when false; otLoss: default false) }
 * The addon re-checks every argument itself (it may be called directly) and throws TypeError or
 * RangeError whose message names the argument and, where it applies, the problem index.
 */
import type { EmbeddingPairs, OtLossInput, OtLossResult, SinkhornProblem, SinkhornResult } from './types.js';

export interface NativeOptions {
  eps: number;
  maxIter: number;
  tol: number;
  checkEvery: number;
  method: 'auto' | 'log' | 'scaling';
  errorNorm: 'l1' | 'l2';
  rho: number;
  epsInit: number;
  epsDecay: number;
  threads: number;
  kind?: 'cosine' | 'sqeuclidean' | 'dot';
  returnPlan?: boolean;
}

/** The x86-64 instruction-set level the CPU addon's kernels run at (native/core/isa.h). */
export interface IsaInfo {
  /** The level in use: 'baseline' | 'x86-64-v3' | 'x86-64-v4'. */
  active: string;
  /** The best level this CPU supports. */
  supported: string;
  /** OPTICAL_ISA was set and honoured. */
  forced: boolean;
  /** OPTICAL_ISA as given ('' when unset). */
  requested: string;
  /** Why a request was not honoured ('' otherwise). */
  note: string;
  /** The levels this machine can run, lowest first (each may be forced with OPTICAL_ISA). */
  levels: string[];
}

export interface CudaProbe {
  available: boolean;
  deviceCount: number;
  devices: { name: string; computeCapability: string; totalMemory: number }[];
  driverVersion: number;
  runtimeVersion: number;
  reason: string;
}

export interface NativeAddon {
  /** 'cpu' or 'cuda'. */
  readonly backend: 'cpu' | 'cuda';
  readonly version: string;
  /** Worker threads the pool uses. */
  threads(): number;
  sinkhornSync(problem: SinkhornProblem, options: NativeOptions): SinkhornResult;
  sinkhorn(problem: SinkhornProblem, options: NativeOptions): Promise<SinkhornResult>;
  costMatricesSync(pairs: EmbeddingPairs, options: NativeOptions): Float32Array;
  costMatrices(pairs: EmbeddingPairs, options: NativeOptions): Promise<Float32Array>;
  otLossSync(input: OtLossInput, options: NativeOptions): OtLossResult;
  otLoss(input: OtLossInput, options: NativeOptions): Promise<OtLossResult>;
  /** CPU addon only. */
  isa?(): IsaInfo;
  /**
   * CPU addon only, a benchmark probe: the least work any Sinkhorn call on `cost` must do — read C
   * once, write a plan exp(−C/eps) into `out` (same length), two exps per cell — on the kernels'
   * threads and ISA level. Returns the sum of the second exps. `optical bench sinkhorn` compares a
   * one-iteration call with it.
   */
  workFloor?(cost: Float32Array, eps: number, out: Float32Array, threads?: number): number;
  /** CUDA addon only. */
  probe?(): CudaProbe;
}
