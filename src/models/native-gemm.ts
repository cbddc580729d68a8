/**
 * The native engine's GEMM as the CPU addon exports it (native/binding/nn_gemm.cpp), for tests and
 * benchmarks; the engine itself calls it from C++ (native/nn/gemm.h).
 *
 *   C = alpha · op(A) · op(B) + beta · C, row-major Float32Arrays, written into `c` in place;
 *   with `batch` > 1, entry i uses A + i·strideA, B + i·strideB, C + i·strideC.
 *
 * Results are bit-identical for any `threads` (every entry of C is summed over K in an order fixed
 * by the shapes). `backend`: 'auto' follows OPTICAL_GEMM (auto | own | openblas), 'own' and
 * 'openblas' force one (OpenBLAS is loaded at run time when installed: Debian libopenblas0).
 */
import type { NativeAddon } from '../ot/native-addon.js';
import { resolveBackend } from '../ot/backend.js';

export type GemmBackend = 'auto' | 'own' | 'openblas';
export type IsaLevel = 'baseline' | 'x86-64-v3' | 'x86-64-v4';

export interface GemmArgs {
  a: Float32Array;
  b: Float32Array;
  c: Float32Array;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** Default 1. */
  alpha?: number;
  /** Default 0: c is overwritten without being read (NaN in c does not propagate). */
  beta?: number;
  /** Row strides; defaults: the dense widths (transA ? m : k, transB ? k : n, n). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Default 1. */
  batch?: number;
  /** Floats between consecutive matrices of a batch; defaults: one dense matrix. */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Cap on pool threads; 0 (default) = the whole pool. */
  threads?: number;
  backend?: GemmBackend;
}

export interface GemmInfo {
  /** What `backend: 'auto'` runs. */
  backend: 'own' | 'openblas';
  /** The own micro-kernel, e.g. "avx512 12x32". */
  kernel: string;
  /** The instruction-set level in use (OPTICAL_ISA can lower it). */
  isa: IsaLevel;
  /** The best level this CPU supports. */
  isaSupported: IsaLevel;
  openblasAvailable: boolean;
  /** OpenBLAS's configuration when loaded, otherwise why it is not. */
  openblas: string;
  /** Why `backend` was chosen, and any setting that was not honoured. */
  note: string;
  /** Threads of the shared pool. */
  threads: number;
}

export interface GemmPeakArgs {
  /** Default: the level in use. */
  isa?: IsaLevel;
  /** Cores measured together; default 1. */
  threads?: number;
  /** Default 0.5. */
  seconds?: number;
}

export interface NativeGemm {
  gemm(args: GemmArgs): void;
  gemmInfo(): GemmInfo;
  /** Measured FMA throughput (GFLOP/s) of `threads` cores for the kernels of one ISA level. */
  gemmPeak(args?: GemmPeakArgs): number;
}

/** The CPU addon's GEMM functions; throws (with the loader's reasons) when the addon is not built. */
export function nativeGemm(addon?: NativeAddon): NativeGemm {
  const a = (addon ?? resolveBackend('cpu').addon) as (NativeAddon & Partial<NativeGemm>) | undefined;
  if (!a || typeof a.gemm !== 'function' || typeof a.gemmInfo !== 'function' || typeof a.gemmPeak !== 'function') {
    throw new Error('optical: the CPU addon does not export gemm/gemmInfo/gemmPeak — rebuild it with `npm run build:native`');
  }
  return a as NativeGemm;
}
