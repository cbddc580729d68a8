/**
 * The GEMM benchmark harness (bench/nn/gemm*): its cases are the engine's products, one short run
 * produces every row (own kernels at each supported level, OpenBLAS, torch) with peak and % of peak,
 * the table and the JSON hold them, and bad options are usage errors naming the option. Speed is
 * not tested here (bench:gemm measures it).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { UsageError } from '../../src/cli/command.js';
import { nativeGemm } from '../../src/models/native-gemm.js';
import { addon, addonPath } from '../native/helpers.js';
import { allCases, flops, geometryCases, GEOMETRIES } from '../../bench/nn/gemm-cases.js';
import { parseGemmBenchArgs } from '../../bench/nn/gemm-cli.js';
import { gemmTarget, runGemmBench, type GemmBenchConfig, type GemmBenchReport } from '../../bench/nn/gemm-harness.js';
import { formatGemmMarkdown, formatGemmReport } from '../../bench/nn/gemm-table.js';

const info = nativeGemm(addon).gemmInfo();
const python = '/usr/bin/python3';

describe('GEMM benchmark cases', () => {
  it('are the products of a BERT training step at the three geometries', () => {
    const base = geometryCases(GEOMETRIES.find((g) => g.name === 'base')!);
    const byId = Object.fromEntries(base.map((c) => [c.id, c]));
    expect(byId['base proj fwd']).toMatchObject({ m: 1024, n: 768, k: 768, transA: false, transB: true, batch: 1 });
    expect(byId['base ffn-up fwd']).toMatchObject({ m: 1024, n: 3072, k: 768, transB: true });
    expect(byId['base ffn-down dX']).toMatchObject({ m: 1024, n: 3072, k: 768, transA: false, transB: false });
    expect(byId['base ffn-up dW']).toMatchObject({ m: 3072, n: 768, k: 1024, transA: true, transB: false });
    expect(byId['base attn QKᵀ|dO·Vᵀ']).toMatchObject({ m: 128, n: 128, k: 64, transB: true, batch: 96 });
    expect(byId['base attn PV|dS·K']).toMatchObject({ m: 128, n: 64, k: 128, batch: 96 });
    expect(flops(byId['base proj fwd'])).toBe(2 * 1024 * 768 * 768);
    expect(new Set(allCases().map((c) => c.id)).size).toBe(allCases().length);
    expect(allCases()).toHaveLength(36);
  });
});

describe('GEMM benchmark run (tiny budget)', () => {
  const cases = geometryCases(GEOMETRIES.find((g) => g.name === 'tiny')!).filter((c) => /proj fwd|attn PV/.test(c.id));
  const torch = existsSync(python);
  const cfg: GemmBenchConfig = {
    cases, threads: [1, 2], openblas: true, torch, python, budgetSec: 0.01, minReps: 2, peakSeconds: 0.02, seed: 3, addonPath,
  };
  let report: GemmBenchReport;
  beforeAll(() => {
    report = runGemmBench(cfg);
  });
  const levels = ['baseline', 'x86-64-v3', 'x86-64-v4'].slice(0, ['baseline', 'x86-64-v3', 'x86-64-v4'].indexOf(info.isaSupported) + 1);

  it('has an own row per case, thread count and supported level, with GFLOP/s and % of that level\'s measured peak', () => {
    for (const isa of levels) {
      expect(report.kernels[isa as keyof typeof report.kernels]).toBeTruthy();
      for (const t of [1, 2]) {
        const peak = report.peaks.find((p) => p.isa === isa && p.threads === t);
        expect(peak?.gflops).toBeGreaterThan(0);
        for (const c of cases) {
          const row = report.rows.find((r) => r.id === c.id && r.threads === t && r.impl === 'own' && r.isa === isa);
          expect(row?.status, `${c.id} ${isa} ${t}`).toBe('ok');
          expect(row!.gflops).toBeGreaterThan(0);
          expect(row!.reps).toBeGreaterThanOrEqual(2);
          expect(row!.percentOfPeak).toBeCloseTo((100 * row!.gflops!) / peak!.gflops, 6);
          expect(row!.medianGflops).toBeLessThanOrEqual(row!.gflops! + 1e-9);
        }
      }
    }
  });

  it('has OpenBLAS rows that agree with the own kernels (or say why they are absent)', () => {
    const rows = report.rows.filter((r) => r.impl === 'openblas');
    expect(rows).toHaveLength(cases.length * 2);
    for (const r of rows) {
      if (info.openblasAvailable) {
        expect(r.status).toBe('ok');
        expect(r.maxRelDiffVsOwn).toBeLessThan(1e-5);
      } else {
        expect(r.status).toBe('absent');
        expect(r.reason).toBeTruthy();
      }
    }
    if (process.env.CI) expect(info.openblasAvailable).toBe(true);
  });

  it('has PyTorch rows at the same thread counts when /usr/bin/python3 has torch', () => {
    const rows = report.rows.filter((r) => r.impl === 'torch');
    if (!torch) return;
    expect(rows).toHaveLength(cases.length * 2);
    const present = rows.every((r) => r.status === 'ok');
    if (process.env.CI) expect(present, JSON.stringify(report.torch)).toBe(true);
    if (present) {
      expect(report.torch && 'version' in report.torch ? report.torch.threads : {}).toEqual({ 1: 1, 2: 2 });
      for (const r of rows) expect(r.gflops).toBeGreaterThan(0);
    } else {
      for (const r of rows) expect(r.reason).toBeTruthy();
    }
  });

  it('prints the table (peak, every implementation column) and serialises to JSON', () => {
    const text = formatGemmReport(report);
    expect(text).toMatch(/Measured FMA peak/);
    expect(text).toMatch(/tiny proj fwd\s+1024×64×64 NT\s+1 /);
    expect(text).toMatch(/tiny attn PV\|dS·K\s+32×64×32×64 NN\s+2 /);
    expect(text).toContain(report.kernels[info.isaSupported]!);
    if (info.openblasAvailable) expect(text).toMatch(/OpenBLAS/);
    const json = JSON.parse(JSON.stringify(report)) as typeof report;
    expect(json.rows).toHaveLength(report.rows.length);
    expect(json.load.start).toBeGreaterThanOrEqual(0);
    expect(json.config.cases).toEqual(cases.map((c) => c.id));
    // No base rows in this run: the target is not evaluated.
    expect(gemmTarget(report)).toBeUndefined();
    const md = formatGemmMarkdown(report, 'tiny');
    expect(md).toMatch(/^\| product \| shape \| threads \| own /);
    expect(md).toMatch(/\| tiny proj fwd \| 1024×64×64 NT \| 2 \| \d+\.\d \(\d+ %\)/);
    expect(md).toMatch(/Measured peak/);
  });
});

describe('GEMM benchmark options', () => {
  it('defaults: every geometry, 1 and 2 threads, peers on', () => {
    const cfg = parseGemmBenchArgs([]);
    expect(cfg.cases).toHaveLength(36);
    expect(cfg.threads).toEqual([1, 2]);
    expect(cfg.openblas && cfg.torch).toBe(true);
    expect(cfg.isas).toBeUndefined();
  });
  it.each([
    [['--threads', '0'], /--threads values must be integers in \[1, 1024\], got '0'/],
    [['--geometries', 'huge'], /--geometries: unknown geometry 'huge'/],
    [['--isa', 'avx9'], /--isa: unknown level 'avx9'/],
    [['--budget=0'], /--budget must be a number > 0, got '0'/],
    [['--min-reps', '1.5'], /--min-reps must be an integer > 0/],
    [['--bogus'], /bogus/],
  ])('%j is a usage error naming the option', (argv, message) => {
    expect(() => parseGemmBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseGemmBenchArgs(argv)).toThrow(message);
  });
});
