/**
 * Compares several runs with a baseline on the same queries: means with bootstrap confidence
 * intervals, differences to the baseline, paired significance tests (t-test or randomization) with
 * a family-wise correction across the compared runs (per measure), and markdown/CSV/JSON/SVG output.
 * Query set: all runs are scored on the same queries — the qrels queries present in every run
 * (default), or every qrels query with `complete` (missing queries score 0, as trec_eval -c) — so
 * that paired tests are well defined.
 */
import type { Qrels, Run } from '../types.js';
import type { Measure } from '../metrics/measure.js';
import { evaluateRun } from '../evaluate.js';
import { compareCodePoints } from '../ranking.js';
import { pairedTTest } from '../stats/paired-t-test.js';
import { randomizationTest } from '../stats/randomization-test.js';
import { bonferroni, holm } from '../stats/multiple-comparisons.js';
import { bootstrapMeanCI } from '../stats/bootstrap.js';
import { groupedIntervalBarSpec, type VegaLiteSpec } from '../../plots/specs.js';
import { renderSvg } from '../../plots/render.js';

export interface NamedRun {
  name: string;
  run: Run;
}

export interface CompareRunsOptions {
  measures: Measure[];
  complete?: boolean;
  test?: 't' | 'randomization';
  correction?: 'holm' | 'bonferroni' | 'none';
  alpha?: number;
  permutations?: number;
  bootstrapResamples?: number;
  level?: number;
  seed?: number;
}

export interface MeasureCell {
  mean: number;
  lower: number;
  upper: number;
  /** Absent for the baseline. */
  delta?: number;
  pValue?: number;
  adjustedP?: number;
  significant?: boolean;
}

export interface ComparisonRow {
  name: string;
  baseline: boolean;
  cells: Record<string, MeasureCell>;
}

export interface RunComparison {
  measures: string[];
  qids: string[];
  rows: ComparisonRow[];
  settings: Required<Omit<CompareRunsOptions, 'measures'>>;
}

export function compareRuns(qrels: Qrels, baseline: NamedRun, others: NamedRun[], options: CompareRunsOptions): RunComparison {
  const settings = {
    complete: options.complete ?? false,
    test: options.test ?? 'randomization',
    correction: options.correction ?? 'holm',
    alpha: options.alpha ?? 0.05,
    permutations: options.permutations ?? 10_000,
    bootstrapResamples: options.bootstrapResamples ?? 10_000,
    level: options.level ?? 0.95,
    seed: options.seed ?? 1,
  } as const;
  if (!(settings.alpha > 0 && settings.alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${settings.alpha}`);
  const all = [baseline, ...others];
  const names = new Set<string>();
  for (const r of all) {
    if (names.has(r.name)) throw new RangeError(`run names must be unique; '${r.name}' repeats`);
    names.add(r.name);
  }
  const qids = [...qrels.keys()].sort(compareCodePoints).filter((q) => settings.complete || all.every((r) => r.run.has(q)));
  if (qids.length === 0) throw new RangeError('compareRuns: no qrels query is present in every run (use complete to score missing queries as 0)');
  const evaluations = all.map((r) => evaluateRun(qrels, r.run, options.measures, { complete: true }));
  const perQuery = (runIndex: number, measure: string) => qids.map((q) => evaluations[runIndex].perQuery[q][measure]);
  const rows: ComparisonRow[] = all.map((r, i) => ({ name: r.name, baseline: i === 0, cells: {} }));
  for (const m of options.measures) {
    const base = perQuery(0, m.name);
    const pValues: number[] = [];
    all.forEach((_, i) => {
      const values = i === 0 ? base : perQuery(i, m.name);
      const ci = bootstrapMeanCI(values, { level: settings.level, resamples: settings.bootstrapResamples, seed: settings.seed });
      const cell: MeasureCell = { mean: ci.estimate, lower: ci.lower, upper: ci.upper };
      if (i > 0) {
        cell.delta = ci.estimate - rows[0].cells[m.name].mean;
        cell.pValue = values.length < 2 && settings.test === 't'
          ? 1
          : settings.test === 't'
            ? pairedTTest(values, base).pValue
            : randomizationTest(values, base, { permutations: settings.permutations, seed: settings.seed }).pValue;
        pValues.push(cell.pValue);
      }
      rows[i].cells[m.name] = cell;
    });
    const adjusted = settings.correction === 'holm' ? holm(pValues) : settings.correction === 'bonferroni' ? bonferroni(pValues) : pValues;
    adjusted.forEach((p, j) => {
      const cell = rows[j + 1].cells[m.name];
      cell.adjustedP = p;
      cell.significant = p < settings.alpha;
    });
  }
  return { measures: options.measures.map((m) => m.name), qids, rows, settings };
}

const f4 = (x: number) => x.toFixed(4);
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(4)}`;

/** Markdown table; † marks a significant difference to the baseline after correction. */
export function comparisonToMarkdown(c: RunComparison): string {
  const lines = [`| run | ${c.measures.join(' | ')} |`, `|---|${c.measures.map(() => '---:').join('|')}|`];
  for (const row of c.rows) {
    const cells = c.measures.map((m) => {
      const cell = row.cells[m];
      if (row.baseline) return f4(cell.mean);
      return `${f4(cell.mean)} (${signed(cell.delta!)})${cell.significant ? '†' : ''}`;
    });
    lines.push(`| ${row.name}${row.baseline ? ' (baseline)' : ''} | ${cells.join(' | ')} |`);
  }
  const s = c.settings;
  const test = s.test === 't' ? 'paired two-sided t-test' : `paired randomization test (${s.permutations} permutations or exact)`;
  lines.push('', `${c.qids.length} queries. † = ${test}, ${s.correction === 'none' ? 'uncorrected' : `${s.correction}-corrected over ${c.rows.length - 1} run(s)`}, p < ${s.alpha}. ` +
    `${Math.round(s.level * 100)}% bootstrap CIs (${s.bootstrapResamples} resamples, seed ${s.seed}) are in the JSON/CSV output.`);
  return `${lines.join('\n')}\n`;
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function comparisonToCsv(c: RunComparison): string {
  const lines = ['run,baseline,measure,mean,ci_lower,ci_upper,delta,p_value,p_adjusted,significant'];
  for (const row of c.rows) {
    for (const m of c.measures) {
      const x = row.cells[m];
      const opt = (v: number | boolean | undefined) => (v === undefined ? '' : String(v));
      lines.push([csvField(row.name), String(row.baseline), csvField(m), x.mean, x.lower, x.upper, opt(x.delta), opt(x.pValue), opt(x.adjustedP), opt(x.significant)].join(','));
    }
  }
  return `${lines.join('\n')}\n`;
}

export function comparisonToJson(c: RunComparison): string {
  return `${JSON.stringify(c, null, 2)}\n`;
}

/** SVG bar chart of a comparison (one group per measure, CI whiskers); see comparisonSpec. */
export async function comparisonToSvg(c: RunComparison, title = 'Run comparison'): Promise<string> {
  return renderSvg(comparisonSpec(c, title));
}

/** The comparison as a Vega-Lite spec (reusable in a notebook). */
export function comparisonSpec(c: RunComparison, title = 'Run comparison'): VegaLiteSpec {
  return groupedIntervalBarSpec({
    title,
    groups: c.measures,
    series: c.rows.map((row) => ({
      name: row.baseline ? `${row.name} (baseline)` : `${row.name}${c.measures.some((m) => row.cells[m].significant) ? ' †' : ''}`,
      values: c.measures.map((m) => ({ value: row.cells[m].mean, lower: row.cells[m].lower, upper: row.cells[m].upper })),
    })),
    yLabel: `mean over ${c.qids.length} queries (${Math.round(c.settings.level * 100)}% bootstrap CI)`,
  });
}
