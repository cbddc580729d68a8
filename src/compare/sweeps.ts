/**
 * The seeds' research questions as derived compares:
 *  - cs-sweep: code-switched fine-tuning at several p; per trained model (p × seed) the measured CS
 *    frequency of its training data and its drop under domain shift, related by Pearson and Spearman
 *    correlation with CIs (src/ir/stats) and a scatter plot;
 *  - mix-sweep: code-switched + monolingual training at several CS : monolingual ratios; in-domain
 *    quality (and the drop under shift when the base config has a shift test) per ratio.
 * The sweep config is the base config with its methods replaced (zero-shot kept as the baseline), so
 * teacher, data, budget and seeds are the base's own.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pearson, spearman, type CorrelationResult } from '../ir/stats/correlation.js';
import { validateCompareConfig, type CompareConfig, type MethodOf } from './config.js';
import type { CompareReport } from './report.js';
import { lineSpec, scatterSpec } from '../plots/specs.js';
import { writePlot } from '../plots/render.js';

export type SweepKind = 'cs' | 'mix';

function label(x: number): string {
  return String(Number(x.toFixed(4)));
}

/** Parses a comma-separated option's items as numbers, naming the option and item on failure. */
export function parseSweepValues(option: string, items: readonly string[]): number[] {
  if (items.length === 0) throw new RangeError(`--${option}: give at least one value`);
  return items.map((t, i) => {
    const v = Number(t);
    if (t.trim() === '' || !Number.isFinite(v)) throw new RangeError(`--${option}: item ${i + 1} ('${t}') is not a number`);
    return v;
  });
}

/** The derived config of a sweep (validated like any config). */
export function sweepConfig(base: CompareConfig, kind: SweepKind, values: readonly number[], opts: { scheme?: 'bl' | 'ml'; p?: number } = {}): CompareConfig {
  if (values.length === 0) throw new RangeError(`${kind}-sweep: give at least one value`);
  values.forEach((v, i) => {
    if (!(v >= 0 && v <= 1)) throw new RangeError(`${kind}-sweep: value ${i} must be in [0, 1], got ${v}`);
  });
  if (new Set(values).size !== values.length) throw new RangeError(`${kind}-sweep: a value is listed twice`);
  if (kind === 'cs' && !base.data.shiftTest) {
    throw new RangeError("cs-sweep measures the drop under domain shift: the base config needs data.shiftTest (e.g. test 'libreoffice' with shiftTest 'udhr' for om)");
  }
  if (kind === 'mix' && values.includes(1)) throw new RangeError('mix-sweep: a monolingual share of 1 leaves no code-switched data; use values < 1');
  const scheme = opts.scheme ?? 'bl';
  const methods: Record<string, unknown>[] = [{ name: 'zero-shot', kind: 'zero-shot' }];
  for (const v of values) {
    methods.push(kind === 'cs'
      ? { name: `cs-p${label(v)}`, kind: 'cs-finetune', scheme, p: v }
      : { name: `mix-mono${label(v)}`, kind: 'cs-finetune', scheme, p: opts.p ?? 0.5, monolingualRatio: v });
  }
  const raw = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  raw.name = `${base.name}-${kind}-sweep`;
  raw.methods = methods;
  (raw.stats as Record<string, unknown>).baseline = 'zero-shot';
  return validateCompareConfig(raw, `${kind}-sweep config`);
}

export interface SweepPoint {
  method: string;
  value: number;
  seed: number;
  /** Switched tokens / all training tokens of this model's data. */
  csFrequency: number;
  inDomain: number;
  shifted?: number;
  drop?: number;
}

export interface SweepResult {
  kind: SweepKind;
  metric: string;
  points: SweepPoint[];
  pearson?: CorrelationResult;
  spearman?: CorrelationResult;
  files: string[];
}

/** Per trained model (method × seed): sweep value, CS frequency, in-domain and shifted scores. */
export function sweepPoints(config: CompareConfig, report: CompareReport, kind: SweepKind, metric: string): SweepPoint[] {
  const clir = report.tables.find((t) => t.scenario === 'clir');
  if (!clir) throw new RangeError('sweep: the compare produced no CLIR table');
  if (!clir.metrics.includes(metric)) throw new RangeError(`sweep: metric '${metric}' is not in stats.metrics (${clir.metrics.join(', ')})`);
  const shift = report.tables.find((t) => t.scenario === 'shift');
  const points: SweepPoint[] = [];
  for (const m of config.methods.filter((x): x is MethodOf<'cs-finetune'> => x.kind === 'cs-finetune')) {
    const row = clir.rows.find((r) => r.method === m.name);
    if (!row) continue;
    const srow = shift?.rows.find((r) => r.method === m.name);
    row.seeds.forEach((seed, i) => {
      const units = report.units.filter((u) => u.method === m.name && u.seed === seed);
      const csFrequency = units.reduce((a, u) => a + Number(u.info.csFrequency ?? NaN), 0) / units.length;
      const inDomain = row.metrics[metric].seedMeans[i];
      const j = srow ? srow.seeds.indexOf(seed) : -1;
      const shifted = srow && j >= 0 ? srow.metrics[metric].seedMeans[j] : undefined;
      points.push({ method: m.name, value: kind === 'cs' ? m.p : m.monolingualRatio, seed, csFrequency, inDomain, shifted, drop: shifted === undefined ? undefined : inDomain - shifted });
    });
  }
  return points;
}

export function corrText(name: string, c: CorrelationResult | undefined): string {
  return c ? `${name} r = ${c.r.toFixed(3)} [${c.lower.toFixed(3)}, ${c.upper.toFixed(3)}] (${Math.round(c.level * 100)}% CI), p = ${c.pValue < 0.001 ? '<0.001' : c.pValue.toFixed(3)}, n = ${c.n}` : `${name}: not computable (need ≥ 3 models with varying values)`;
}

/** Writes <run>/<kind>-sweep.{md,json} and its plot; returns the numbers. */
export async function writeSweepReport(dir: string, config: CompareConfig, report: CompareReport, kind: SweepKind, metric: string): Promise<SweepResult> {
  const points = sweepPoints(config, report, kind, metric);
  const files: string[] = [];
  let pr: CorrelationResult | undefined;
  let sr: CorrelationResult | undefined;
  const lines = [`# ${kind === 'cs' ? 'Code-switching frequency vs robustness' : 'Mixed-data ratio sweep (CS : monolingual)'} — ${config.name}`, ''];
  lines.push(`Metric: ${metric} on CLIR (${config.data.test})${config.data.shiftTest ? `; shifted = the same models on ${config.data.shiftTest}; drop = in-domain − shifted` : ''}. One row per trained model (sweep value × seed).`, '');
  lines.push(`| model | ${kind === 'cs' ? 'p' : 'monolingual share'} | seed | CS frequency | in-domain | shifted | drop |`, '|---|---|---|---|---|---|---|');
  for (const p of points) lines.push(`| ${p.method} | ${p.value} | ${p.seed} | ${p.csFrequency.toFixed(4)} | ${p.inDomain.toFixed(3)} | ${p.shifted === undefined ? '–' : p.shifted.toFixed(3)} | ${p.drop === undefined ? '–' : p.drop.toFixed(3)} |`);
  lines.push('');
  const withDrop = points.filter((p) => p.drop !== undefined && Number.isFinite(p.csFrequency));
  if (kind === 'cs') {
    const x = withDrop.map((p) => p.csFrequency);
    const y = withDrop.map((p) => p.drop!);
    const safe = (f: () => CorrelationResult) => { try { return f(); } catch { return undefined; } };
    if (x.length >= 3) {
      pr = safe(() => pearson(x, y, config.stats.confidence));
      sr = safe(() => spearman(x, y, config.stats.confidence));
    }
    lines.push(`CS frequency vs drop: ${corrText('Pearson', pr)}; ${corrText('Spearman', sr)}.`, '');
    if (withDrop.length > 0) {
      const plot = await writePlot(join(dir, 'plots'), 'cs-frequency-vs-drop', scatterSpec({
        title: `CS frequency of training data vs ${metric} drop under domain shift`,
        points: withDrop.map((p) => ({ x: p.csFrequency, y: p.drop!, label: `p=${p.value} s${p.seed}` })),
        xLabel: 'CS frequency (switched tokens / tokens)', yLabel: `${metric} drop (in-domain − shifted)`,
      }), 'plots');
      files.push(plot.svg, plot.spec);
      lines.push('![CS frequency vs drop](plots/cs-frequency-vs-drop.svg)', '');
    }
  } else {
    const byValue = [...new Set(points.map((p) => p.value))].sort((a, b) => a - b);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const series = [{ label: `in-domain ${metric}`, points: byValue.map((v) => ({ x: v, y: mean(points.filter((p) => p.value === v).map((p) => p.inDomain)) })) }];
    if (withDrop.length > 0) series.push({ label: `${metric} drop under shift`, points: byValue.map((v) => ({ x: v, y: mean(withDrop.filter((p) => p.value === v).map((p) => p.drop!)) })) });
    if (byValue.length > 0) {
      const plot = await writePlot(join(dir, 'plots'), 'mix-ratio', lineSpec({ title: `${metric} vs monolingual share of the training pairs (mean over seeds)`, series, xLabel: 'monolingual share', yLabel: metric }), 'plots');
      files.push(plot.svg, plot.spec);
      lines.push('![mix ratio](plots/mix-ratio.svg)', '');
    }
  }
  writeFileSync(join(dir, `${kind}-sweep.md`), lines.join('\n'));
  writeFileSync(join(dir, `${kind}-sweep.json`), JSON.stringify({ kind, metric, points, pearson: pr, spearman: sr }, null, 2) + '\n');
  files.push(`${kind}-sweep.md`, `${kind}-sweep.json`);
  return { kind, metric, points, pearson: pr, spearman: sr, files };
}
