/**
 * The GEMM benchmark run: our kernels at every ISA level the CPU supports (one worker process per
 * level, OPTICAL_ISA set: bench/nn/gemm-worker.mjs), OpenBLAS through the same entry point (best
 * level's worker), and PyTorch's torch.matmul (bench/nn/gemm_torch.py on /usr/bin/python3, one
 * process per thread count with OMP/OpenBLAS threads set to match) — all on the same shapes, at
 * each thread count, in one run. Each worker also measures the FMA peak of its level
 * (nn::measure_peak_gflops), against which its rows report % of peak.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { packageRoot } from '../../src/ot/backend.js';
import type { GemmInfo, IsaLevel } from '../../src/models/native-gemm.js';
import { machineInfo, type MachineInfo } from '../sinkhorn/machine.js';
import { median } from '../sinkhorn/timing.js';
import { describeShape, flops, type GemmCase } from './gemm-cases.js';

export type GemmImpl = 'own' | 'openblas' | 'torch';

export interface GemmBenchConfig {
  cases: GemmCase[];
  threads: number[];
  /** Levels to run our kernels at (default: every level the CPU supports). */
  isas?: IsaLevel[];
  openblas: boolean;
  torch: boolean;
  python: string;
  budgetSec: number;
  minReps: number;
  peakSeconds: number;
  seed: number;
  /** The CPU addon (default: build/Release/optical.node, or OPTICAL_NATIVE_PATH). */
  addonPath?: string;
}

export interface GemmRow {
  id: string;
  geometry: GemmCase['geometry'];
  shape: string;
  m: number;
  n: number;
  k: number;
  batch: number;
  transA: boolean;
  transB: boolean;
  threads: number;
  impl: GemmImpl;
  /** Own rows: the level they ran at; OpenBLAS / torch rows: the process's best level (for % of peak). */
  isa: IsaLevel;
  status: 'ok' | 'absent' | 'error';
  reason?: string;
  reps?: number;
  /** From the best (shortest) run. */
  gflops?: number;
  medianGflops?: number;
  /** gflops / measured peak of `isa` at `threads` cores × 100. */
  percentOfPeak?: number;
  /** OpenBLAS rows: max |C − C_own| / max |C_own| on the same inputs. */
  maxRelDiffVsOwn?: number;
}

export interface PeakRow {
  isa: IsaLevel;
  threads: number;
  gflops: number;
}

export interface GemmBenchReport {
  machine: MachineInfo;
  /** 1-minute load average before and after the run (other work on the machine skews timings). */
  load: { start: number; end: number };
  gemm: GemmInfo;
  /** Own kernel name per level. */
  kernels: Partial<Record<IsaLevel, string>>;
  torch?: { version: string; blas: string; threads: Record<string, number> } | { absent: string };
  peaks: PeakRow[];
  rows: GemmRow[];
  config: Omit<GemmBenchConfig, 'cases' | 'addonPath'> & { cases: string[] };
}

const LEVELS: IsaLevel[] = ['baseline', 'x86-64-v3', 'x86-64-v4'];

export function defaultAddonPath(): string {
  return process.env.OPTICAL_NATIVE_PATH ?? join(packageRoot(), 'build', 'Release', 'optical.node');
}

interface WorkerOut {
  info: GemmInfo;
  peaks: { threads: number; gflops: number }[];
  rows: { id: string; threads: number; impl: GemmImpl; status: GemmRow['status']; timesSec?: number[]; maxRelDiffVsOwn?: number; reason?: string }[];
}

function runWorker(cfg: GemmBenchConfig, addonPath: string, isa: IsaLevel | undefined, impls: GemmImpl[]): WorkerOut {
  const job = {
    addonPath, impls, threads: cfg.threads, budgetSec: cfg.budgetSec, minReps: cfg.minReps, peakSeconds: cfg.peakSeconds, seed: cfg.seed,
    cases: cfg.cases.map(({ id, m, n, k, batch, transA, transB }) => ({ id, m, n, k, batch, transA, transB })),
  };
  const env = { ...process.env };
  if (isa) env.OPTICAL_ISA = isa;
  const r = spawnSync(process.execPath, [join(packageRoot(), 'bench', 'nn', 'gemm-worker.mjs')], {
    input: JSON.stringify(job), env, encoding: 'utf8', maxBuffer: 64 << 20,
  });
  if (r.error) throw new Error(`GEMM worker (${isa ?? 'default ISA'}) could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`GEMM worker (${isa ?? 'default ISA'}) exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').slice(-5).join(' | ')}`);
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as WorkerOut;
}

interface TorchOut {
  torch?: string;
  threads?: number;
  blas?: string;
  error?: string;
  rows?: { id: string; timesSec: number[] }[];
}

function runTorch(cfg: GemmBenchConfig, threads: number): TorchOut {
  const job = { threads, budgetSec: cfg.budgetSec, minReps: cfg.minReps, cases: cfg.cases.map(({ id, m, n, k, batch, transA, transB }) => ({ id, m, n, k, batch, transA, transB })) };
  const t = String(threads);
  const r = spawnSync(cfg.python, [join(packageRoot(), 'bench', 'nn', 'gemm_torch.py')], {
    input: JSON.stringify(job), encoding: 'utf8', maxBuffer: 64 << 20,
    env: { ...process.env, OMP_NUM_THREADS: t, OPENBLAS_NUM_THREADS: t, MKL_NUM_THREADS: t },
  });
  if (r.error) return { error: `cannot run ${cfg.python}: ${r.error.message}` };
  if (r.status !== 0) return { error: `${cfg.python} gemm_torch.py exited ${r.status ?? r.signal}: ${r.stderr.trim().split('\n').pop()}` };
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as TorchOut;
}

function rowFor(c: GemmCase, threads: number, impl: GemmImpl, isa: IsaLevel): GemmRow {
  return { id: c.id, geometry: c.geometry, shape: describeShape(c), m: c.m, n: c.n, k: c.k, batch: c.batch, transA: c.transA, transB: c.transB, threads, impl, isa, status: 'absent' };
}

function withTimes(row: GemmRow, c: GemmCase, times: number[], peak: number | undefined): GemmRow {
  const best = Math.min(...times);
  const gflops = flops(c) / best / 1e9;
  return {
    ...row, status: 'ok', reps: times.length, gflops, medianGflops: flops(c) / median(times) / 1e9,
    percentOfPeak: peak ? (100 * gflops) / peak : undefined,
  };
}

export function runGemmBench(cfg: GemmBenchConfig, log: (line: string) => void = () => {}): GemmBenchReport {
  const addonPath = cfg.addonPath ?? defaultAddonPath();
  const loadStart = loadavg()[0];
  log(`GEMM benchmark: ${cfg.cases.length} products × threads ${cfg.threads.join(',')}; load average ${loadStart.toFixed(2)}`);

  // The best level first (it also runs OpenBLAS), then every lower one the config asks for.
  const top = runWorker({ ...cfg, cases: [], peakSeconds: 0 }, addonPath, undefined, []).info;
  const supported = LEVELS.slice(0, LEVELS.indexOf(top.isaSupported) + 1);
  const isas = (cfg.isas ?? supported).filter((l) => supported.includes(l)).sort((x, y) => LEVELS.indexOf(y) - LEVELS.indexOf(x));
  const best = isas[0] ?? top.isaSupported;

  const peaks: PeakRow[] = [];
  const rows: GemmRow[] = [];
  const kernels: GemmBenchReport['kernels'] = {};
  const byId = new Map(cfg.cases.map((c) => [c.id, c]));
  const peakOf = (isa: IsaLevel, threads: number) => peaks.find((p) => p.isa === isa && p.threads === threads)?.gflops;
  let gemm = top;
  for (const isa of isas) {
    const impls: GemmImpl[] = isa === best && cfg.openblas ? ['own', 'openblas'] : ['own'];
    log(`  ${isa}: ${impls.join(' + ')} …`);
    const out = runWorker(cfg, addonPath, isa, impls);
    if (isa === best) gemm = out.info;
    kernels[isa] = out.info.kernel;
    for (const p of out.peaks) peaks.push({ isa, threads: p.threads, gflops: p.gflops });
    for (const w of out.rows) {
      const c = byId.get(w.id)!;
      const row = rowFor(c, w.threads, w.impl, isa);
      if (w.status === 'ok' && w.timesSec) rows.push({ ...withTimes(row, c, w.timesSec, peakOf(isa, w.threads)), maxRelDiffVsOwn: w.maxRelDiffVsOwn });
      else rows.push({ ...row, status: w.status, reason: w.reason });
    }
  }

  let torch: GemmBenchReport['torch'];
  if (cfg.torch) {
    const versions: Record<string, number> = {};
    for (const threads of cfg.threads) {
      log(`  torch ${threads} thread(s) …`);
      const out = runTorch(cfg, threads);
      if (out.error || !out.rows) {
        torch = { absent: out.error ?? 'no rows' };
        for (const c of cfg.cases) rows.push({ ...rowFor(c, threads, 'torch', best), status: 'absent', reason: torch.absent });
        continue;
      }
      versions[String(threads)] = out.threads ?? threads;
      torch = { version: out.torch ?? '?', blas: out.blas ?? '', threads: versions };
      for (const t of out.rows) {
        const c = byId.get(t.id)!;
        rows.push(withTimes(rowFor(c, threads, 'torch', best), c, t.timesSec, peakOf(best, threads)));
      }
    }
  }

  return {
    machine: machineInfo(),
    load: { start: loadStart, end: loadavg()[0] },
    gemm,
    kernels,
    torch,
    peaks,
    rows,
    config: { ...cfg, addonPath: undefined, cases: cfg.cases.map((c) => c.id) } as GemmBenchReport['config'],
  };
}

export interface TargetResult {
  /** GEMM ≥ 70 % of the measured peak on BERT-base shapes at 2 threads (issue 12). */
  threads: number;
  isa: IsaLevel;
  minPercent: number;
  meanPercent: number;
  worst: string;
  met: boolean;
}

/** The GEMM target over the base-geometry rows of our kernels at the best level. */
export function gemmTarget(report: GemmBenchReport, threads = 2, percent = 70): TargetResult | undefined {
  const isa = (['x86-64-v4', 'x86-64-v3', 'baseline'] as IsaLevel[]).find((l) => report.kernels[l]);
  const rows = report.rows.filter((r) => r.impl === 'own' && r.isa === isa && r.threads === threads && r.geometry === 'base' && r.status === 'ok');
  if (!isa || rows.length === 0) return undefined;
  const pct = rows.map((r) => r.percentOfPeak ?? 0);
  const minPercent = Math.min(...pct);
  return {
    threads, isa, minPercent, meanPercent: pct.reduce((a, b) => a + b, 0) / pct.length,
    worst: rows[pct.indexOf(minPercent)].id, met: minPercent >= percent,
  };
}
