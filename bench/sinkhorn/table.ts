/** Plain-text rendering of a BenchReport: one block per case, then the definitions (notes). */
import { IMPL_LABELS, type BenchReport, type CaseReport, type ImplRow } from './harness.js';
import { evaluateTargets, formatTargets } from './targets.js';

function fmtTime(sec: number): string {
  if (!Number.isFinite(sec)) return String(sec);
  if (sec < 1e-3) return `${(sec * 1e6).toPrecision(3)} µs`;
  if (sec < 1) return `${(sec * 1e3).toPrecision(3)} ms`;
  return `${sec.toPrecision(3)} s`;
}

function fmtNum(x: number | undefined, digits = 3): string {
  if (x === undefined) return '—';
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return String(x);
  if (x !== 0 && (Math.abs(x) >= 1e5 || Math.abs(x) < 1e-2)) return x.toExponential(1);
  return x.toPrecision(digits);
}

function fmtDiff(x: number | null | undefined): string {
  if (x === undefined) return '—';
  if (x === null) return 'no ref';
  if (Number.isNaN(x)) return 'NaN';
  if (x === 0) return '0';
  return x.toExponential(1);
}

const HEADERS = ['implementation', 'thr', 'median', 'min', 'runs', 'iters', 'it/s', 'GB/s', '× native', 'max|ΔP|', 'max|Δcost|', 'marg.err', 'NaN'];

function rowCells(r: ImplRow, kind: CaseReport['kind']): string[] {
  const iters = r.iterationsMax === undefined ? '—' : r.iterationsMin === r.iterationsMax ? String(r.iterationsMax) : `${r.iterationsMin}–${r.iterationsMax}`;
  return [
    r.label,
    r.threads ?? '',
    fmtTime(r.medianSec!),
    fmtTime(r.minSec!),
    `${r.timesSec!.length}${r.warmupOnly ? '*' : ''}`,
    iters,
    kind === 'sinkhorn' ? fmtNum(r.itersPerSec) : '—',
    kind === 'sinkhorn' ? fmtNum(r.gbps) : '—',
    r.vsNative === undefined ? '—' : `${r.vsNative.toPrecision(3)}×`,
    fmtDiff(r.maxDiff),
    fmtDiff(r.maxCostDiff),
    kind === 'sinkhorn' ? fmtNum(r.marginalError) : '—',
    r.nanCount === undefined ? '—' : String(r.nanCount),
  ];
}

export function caseTitle(c: CaseReport): string {
  if (c.kind === 'step') {
    return `OPTICAL step: B=${c.B}, n=m=${c.n === c.m ? c.n : `${c.n}/${c.m}`}, d=${c.d}: cosine cost + Sinkhorn (${c.iters} it, eps ${c.eps}) + <P,C> + grad wrt student`;
  }
  return `${c.B} × (${c.n}×${c.m}), eps ${c.eps}, ${c.iters} iterations, fp32 — cost matrix ${(c.cells * 4 / 1e6).toPrecision(3)} MB, ${(c.bytesPerIteration / 1e6).toPrecision(3)} MB read per iteration`;
}

export function formatCase(c: CaseReport): string {
  const ok = c.rows.filter((r) => r.status === 'ok');
  const cells = ok.map((r) => rowCells(r, c.kind));
  const headers = c.kind === 'step' ? HEADERS.map((h) => (h === 'max|ΔP|' ? 'max|Δgrad|' : h)) : HEADERS;
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i].length)));
  const line = (row: string[]) => row.map((v, i) => (i === 0 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join('  ');
  const ref = c.reference ? `cross-check reference: ${IMPL_LABELS[c.reference]}` : 'no cross-check reference (neither native cpu nor js ran)';
  const out = [caseTitle(c), ref, line(headers), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const row of cells) out.push(line(row));
  for (const r of c.rows) {
    if (r.status !== 'ok') out.push(`${r.label.padEnd(widths[0])}  ${r.status.toUpperCase()}: ${r.reason ?? ''}`);
    if (r.roofline) out.push(`${''.padEnd(widths[0])}  roofline: ${r.roofline.text}`);
  }
  return out.join('\n');
}

export function formatReport(rep: BenchReport): string {
  const m = rep.machine;
  const py = rep.python;
  const pyLine = 'versions' in py
    ? `Python peers (${py.python}): ${Object.entries(py.versions).map(([k, v]) => `${k} ${v}`).join(', ')}${py.ok ? '' : ` — ${py.problem}`}`
    : `Python peers: ${py.problem}`;
  const be = 'error' in rep.backends
    ? `backends: ${rep.backends.error}`
    : `backends: ${rep.backends.attempts.map((a) => `${a.backend} ${a.ok ? 'ok' : 'absent'} (${a.reason})`).join('; ')}`;
  const head = [
    `optical Sinkhorn benchmark — ${rep.date}`,
    `machine: ${m.cpuModel}, ${m.logicalCores} logical cores (${m.simdFlags.join(' ') || 'flags unknown'}), ${m.totalMemoryGiB} GiB, ${m.platform}, Node ${m.node}`,
    be,
    ...(rep.tfjs ? [`tfjs: ${rep.tfjs}`] : []),
    pyLine,
    `load average (1/5/15 min): ${rep.load.start.map((x) => x.toFixed(2)).join('/')} at start, ${rep.load.end.map((x) => x.toFixed(2)).join('/')} at end (${rep.machine.logicalCores} cores; a higher load means other processes shared the CPU)`,
  ];
  const blocks = rep.cases.map(formatCase);
  const notes = rep.notes.map((n) => `- ${n}`);
  const targets = formatTargets(evaluateTargets(rep));
  return [...head, '', blocks.join('\n\n'), '', 'Targets (native cpu auto vs peer, measured in this run):', ...targets, '', 'Notes:', ...notes].join('\n');
}
