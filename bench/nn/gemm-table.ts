/** The GEMM benchmark's plain-text report (stdout). */
import type { IsaLevel } from '../../src/models/native-gemm.js';
import { gemmTarget, type GemmBenchReport, type GemmRow } from './gemm-harness.js';

const SHORT: Record<IsaLevel, string> = { 'x86-64-v4': 'own v4', 'x86-64-v3': 'own v3', baseline: 'own base' };

function cell(r: GemmRow | undefined): string {
  if (!r) return '';
  if (r.status !== 'ok' || r.gflops === undefined) return r.status === 'absent' ? 'absent' : 'error';
  const pct = r.percentOfPeak === undefined ? '' : ` ${Math.round(r.percentOfPeak)}%`;
  return `${r.gflops.toFixed(1)}${pct}`;
}

function table(header: string[], body: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)));
  const line = (cols: string[]) => cols.map((c, i) => (i < 3 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

export function formatGemmReport(report: GemmBenchReport): string {
  const m = report.machine;
  const levels = (['x86-64-v4', 'x86-64-v3', 'baseline'] as IsaLevel[]).filter((l) => report.kernels[l]);
  const impls = [...levels.map((l) => ({ key: `own:${l}`, title: `${SHORT[l]} (${report.kernels[l]})` })), { key: 'openblas', title: 'OpenBLAS' }, { key: 'torch', title: 'torch' }]
    .filter((col) => col.key.startsWith('own') || report.rows.some((r) => r.impl === col.key));
  const keyOf = (r: GemmRow) => (r.impl === 'own' ? `own:${r.isa}` : r.impl);
  const threads = [...new Set(report.rows.map((r) => r.threads))].sort((a, b) => a - b);
  const ids = [...new Set(report.rows.map((r) => r.id))];
  const body: string[][] = [];
  for (const id of ids) {
    for (const t of threads) {
      const rs = report.rows.filter((r) => r.id === id && r.threads === t);
      if (rs.length === 0) continue;
      body.push([id, rs[0].shape, String(t), ...impls.map((col) => cell(rs.find((r) => keyOf(r) === col.key)))]);
    }
  }
  const peakBody = levels.map((l) => [SHORT[l].replace('own ', ''), '', '', ...threads.map((t) => {
    const p = report.peaks.find((x) => x.isa === l && x.threads === t);
    return p ? p.gflops.toFixed(1) : '';
  })]);
  const out: string[] = [];
  out.push(`GEMM benchmark — ${m.cpuModel}, ${m.logicalCores} logical cores, SIMD ${m.simdFlags.join(' ')}`);
  out.push(`load average ${report.load.start.toFixed(2)} → ${report.load.end.toFixed(2)} (timings are best-of-N; other work on the machine lowers them)`);
  out.push(`auto runs: ${report.gemm.backend}${report.gemm.note ? ` (${report.gemm.note})` : ''}; OpenBLAS: ${report.gemm.openblasAvailable ? report.gemm.openblas : `not available (${report.gemm.openblas})`}`);
  if (report.torch) out.push('absent' in report.torch ? `torch: absent (${report.torch.absent})` : `torch ${report.torch.version} (BLAS ${report.torch.blas}; threads ${Object.entries(report.torch.threads).map(([k, v]) => `${k}→${v}`).join(', ')})`);
  out.push('');
  out.push('Measured FMA peak, GFLOP/s (register-only multiply-add loop on every core used, best round):');
  out.push(table(['level', '', '', ...threads.map((t) => `${t} thread${t > 1 ? 's' : ''}`)], peakBody));
  out.push('');
  out.push('GFLOP/s = 2·m·n·k·batch / best time, and % of the measured peak at the same threads (own: of its level; OpenBLAS, torch: of the best level):');
  out.push(table(['product', 'shape (batch×m×n×k, op)', 'thr', ...impls.map((c) => c.title)], body));
  const target = gemmTarget(report);
  if (target) {
    out.push('');
    out.push(`Target (issue 12): own GEMM ≥ 70 % of the measured peak on BERT-base shapes at ${target.threads} threads — ${target.met ? 'met' : 'missed'}: ` +
      `min ${target.minPercent.toFixed(1)} % (${target.worst}), mean ${target.meanPercent.toFixed(1)} % at ${target.isa}.`);
  }
  const disagree = report.rows.filter((r) => r.maxRelDiffVsOwn !== undefined && r.maxRelDiffVsOwn > 1e-4);
  if (disagree.length) out.push(`WARNING: OpenBLAS disagrees with the own kernels: ${disagree.map((r) => `${r.id} (${r.maxRelDiffVsOwn!.toExponential(1)})`).join(', ')}`);
  const errors = report.rows.filter((r) => r.status === 'error');
  if (errors.length) out.push(`errors: ${errors.map((r) => `${r.id} ${r.impl}: ${r.reason}`).join('; ')}`);
  return out.join('\n');
}

/**
 * The README's table: one geometry's rows, GFLOP/s and % of peak per implementation and thread
 * count, then the peaks and the target line (`--markdown`).
 */
export function formatGemmMarkdown(report: GemmBenchReport, geometry = 'base'): string {
  const levels = (['x86-64-v4', 'x86-64-v3', 'baseline'] as IsaLevel[]).filter((l) => report.kernels[l]);
  const threads = [...new Set(report.rows.map((r) => r.threads))].sort((a, b) => a - b);
  const cols = [
    ...levels.map((l) => ({ title: `own ${report.kernels[l]}`, match: (r: GemmRow) => r.impl === 'own' && r.isa === l })),
    { title: 'OpenBLAS', match: (r: GemmRow) => r.impl === 'openblas' },
    { title: 'torch.matmul', match: (r: GemmRow) => r.impl === 'torch' },
  ].filter((c) => report.rows.some(c.match));
  const md = (r: GemmRow | undefined) => {
    if (!r) return '';
    if (r.status !== 'ok' || r.gflops === undefined) return r.status;
    return `${r.gflops.toFixed(1)}${r.percentOfPeak === undefined ? '' : ` (${Math.round(r.percentOfPeak)} %)`}`;
  };
  const ids = [...new Set(report.rows.filter((r) => r.geometry === geometry).map((r) => r.id))];
  const lines = [
    `| product | shape | threads | ${cols.map((c) => c.title).join(' | ')} |`,
    `|---|---|---:|${cols.map(() => '---:').join('|')}|`,
  ];
  for (const id of ids) {
    for (const t of threads) {
      const rs = report.rows.filter((r) => r.id === id && r.threads === t);
      if (rs.length === 0) continue;
      lines.push(`| ${id} | ${rs[0].shape} | ${t} | ${cols.map((c) => md(rs.find(c.match))).join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push(`Measured peak (GFLOP/s, ${threads.map((t) => `${t} thread${t > 1 ? 's' : ''}`).join(' / ')}): ` +
    levels.map((l) => `${l} ${threads.map((t) => report.peaks.find((p) => p.isa === l && p.threads === t)?.gflops.toFixed(1) ?? '?').join(' / ')}`).join('; ') + '.');
  const target = gemmTarget(report);
  if (target) {
    lines.push(`Target (≥ 70 % of the measured peak on the BERT-base shapes at ${target.threads} threads, own kernels at ${target.isa}): ` +
      `**${target.met ? 'met' : 'missed'}** — min ${target.minPercent.toFixed(1)} % (${target.worst}), mean ${target.meanPercent.toFixed(1)} %.`);
  }
  return lines.join('\n');
}
