/**
 * The compare report, computed only from the TREC runs on disk (never from in-memory scores), so
 * every number in report.md can be re-derived with trec_eval from the files next to it:
 *   trec/<method>.seed<s>.<scenario>.run   one run per method × seed × scenario (folds merged)
 *   qrels/<scenario>.txt, topics/<scenario>.tsv
 *   metrics.json, metrics.tsv, report.md, plots/*.svg with their Vega-Lite specs plots/*.vl.json
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Qrels, Run } from '../ir/types.js';
import { rankQuery } from '../ir/ranking.js';
import { writeRunFile } from '../ir/formats/trec-run.js';
import { qrelsToTrec, topicsToTsv, toJsonl } from '../data/formats.js';
import type { Doc, Qrel, Topic } from '../data/types.js';
import type { CompareConfig } from './config.js';
import { isTrained } from './config.js';
import type { ExperimentData } from './experiment-data.js';
import type { Scenario } from './eval-sets.js';
import { ResultStore, type CurvePoint, type UnitResult } from './result-store.js';
import { mergeRuns, scoreRun, summarize, type MethodScores, type ScenarioTable } from './aggregate.js';
import { intervalBarSpec, lineSpec, shareBarSpec, type Series, type VegaLiteSpec } from '../plots/specs.js';
import { writePlot } from '../plots/render.js';
import { languageBiasForRun } from '../ir/crosslingual/language-bias.js';

export interface LanguageBiasRow {
  method: string;
  /** Mean over queries and seeds of the share of each language among the top-k documents. */
  topShare: Record<string, number>;
  /** Share of each language among the relevant documents (what an unbiased ranker would approach). */
  relevantShare: Record<string, number>;
  k: number;
  /** src/ir language bias: mean rank distance between parallel versions of a relevant document (lower = less biased), mean over seeds. */
  rankDistance?: number;
  /** Parallel groups used by the rank-distance measure (per seed). */
  groups?: number;
}

/** In-domain CLIR minus out-of-domain CLIR, per method and metric (positive = the method loses under shift). */
export interface DropRow {
  method: string;
  metric: string;
  inDomain: number;
  shifted: number;
  drop: number;
  /** drop / inDomain (0 when inDomain is 0). */
  relativeDrop: number;
  /** Approximate CI of the drop: the two bootstrap CIs combined as independent normal errors. */
  ciLower: number;
  ciUpper: number;
}

/** Drops per method and metric from the in-domain and the shifted table (independent query sets). */
export function domainDrops(inDomain: ScenarioTable, shifted: ScenarioTable): DropRow[] {
  const out: DropRow[] = [];
  for (const r of inDomain.rows) {
    const s = shifted.rows.find((x) => x.method === r.method);
    if (!s) continue;
    for (const metric of inDomain.metrics) {
      const a = r.metrics[metric];
      const b = s.metrics[metric];
      const drop = a.mean - b.mean;
      // Half-widths of the two CIs combined in quadrature.
      const half = Math.hypot((a.ciUpper - a.ciLower) / 2, (b.ciUpper - b.ciLower) / 2);
      out.push({ method: r.method, metric, inDomain: a.mean, shifted: b.mean, drop, relativeDrop: a.mean === 0 ? 0 : drop / a.mean, ciLower: drop - half, ciUpper: drop + half });
    }
  }
  return out;
}

export interface CompareReport {
  name: string;
  /** Domain-shift drops (empty without data.shiftTest). */
  drops: DropRow[];
  tables: ScenarioTable[];
  languageBias: LanguageBiasRow[];
  /** method → seed → fold → unit facts. */
  units: UnitResult[];
  files: string[];
  teacherCurve: CurvePoint[];
}

function qrelsMap(qrels: readonly Qrel[]): Qrels {
  const m: Qrels = new Map();
  for (const q of qrels) {
    let d = m.get(q.qid);
    if (!d) m.set(q.qid, (d = new Map()));
    d.set(q.docno, q.rel);
  }
  return m;
}

/** Share of document languages among the top-k of each query (MLIR language bias). */
export function languageShares(run: Run, docLang: Map<string, string>, k: number): { shares: Record<string, number>; queries: number } {
  const totals: Record<string, number> = {};
  let queries = 0;
  for (const [, docs] of run) {
    const top = rankQuery(docs).slice(0, k);
    if (top.length === 0) continue;
    queries++;
    for (const d of top) {
      const lang = docLang.get(d.docno) ?? 'unknown';
      totals[lang] = (totals[lang] ?? 0) + 1 / top.length;
    }
  }
  for (const l of Object.keys(totals)) totals[l] /= Math.max(queries, 1);
  return { shares: totals, queries };
}

function pct(x: number): string {
  return (100 * x).toFixed(1) + '%';
}

function f3(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3);
}

function pFmt(p: number | undefined): string {
  if (p === undefined) return '–';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

/** Everything the report writers need about one compare. */
interface ReportContext {
  dir: string;
  config: CompareConfig;
  data: ExperimentData;
  store: ResultStore;
  /** Files written so far, relative to dir (for the manifest). */
  files: string[];
}

/** Seeds × folds results that exist (a partial run reports what it has). */
function finishedUnits({ config, data, store }: ReportContext): UnitResult[] {
  const units: UnitResult[] = [];
  for (const m of config.methods) for (const seed of config.seeds) for (const f of data.folds) {
    if (store.has({ method: m.name, seed, fold: f.fold })) units.push(store.read({ method: m.name, seed, fold: f.fold }));
  }
  return units;
}

/** The scenario's merged qrels, topics and collection as files; returns what scoring needs. */
function writeScenarioFiles(ctx: ReportContext, scenario: Scenario): { qrelsList: Qrel[]; qrels: Qrels; qids: string[]; docLang: Map<string, string> } {
  const { dir, data } = ctx;
  const topics: Topic[] = data.folds.flatMap((f) => f.sets.get(scenario)!.topics);
  const qrelsList: Qrel[] = data.folds.flatMap((f) => f.sets.get(scenario)!.qrels);
  const collection: Doc[] = data.folds.flatMap((f) => f.sets.get(scenario)!.collection);
  writeFileSync(join(dir, 'qrels', `${scenario}.txt`), qrelsToTrec(qrelsList));
  writeFileSync(join(dir, 'topics', `${scenario}.tsv`), topicsToTsv(topics));
  writeFileSync(join(dir, 'collections', `${scenario}.jsonl`), toJsonl(collection));
  ctx.files.push(`qrels/${scenario}.txt`, `topics/${scenario}.tsv`, `collections/${scenario}.jsonl`);
  const qrels = qrelsMap(qrelsList);
  return { qrelsList, qrels, qids: [...qrels.keys()].sort(), docLang: new Map(collection.map((d) => [d.docno, d.lang])) };
}

/** One method's runs of a scenario, folds merged, written to trec/ (seeds with every fold finished). */
async function mergedRuns(ctx: ReportContext, method: string, scenario: Scenario): Promise<Map<number, Run>> {
  const out = new Map<number, Run>();
  for (const seed of ctx.config.seeds) {
    const foldRuns: Run[] = [];
    for (const f of ctx.data.folds) {
      const key = { method, seed, fold: f.fold };
      if (!ctx.store.has(key)) break;
      foldRuns.push(await ctx.store.readRun(key, scenario));
    }
    if (foldRuns.length !== ctx.data.folds.length) continue;
    const run = mergeRuns(foldRuns);
    const file = `trec/${method}.seed${seed}.${scenario}.run`;
    await writeRunFile(join(ctx.dir, file), run, `${method}.seed${seed}`);
    ctx.files.push(file);
    out.set(seed, run);
  }
  return out;
}

/** MLIR language bias of one method: top-k language shares (mean over seeds), relevant shares, rank distance of parallel versions. */
function languageBiasRow(ctx: ReportContext, method: string, runs: readonly Run[], qrelsList: readonly Qrel[], docLang: Map<string, string>): LanguageBiasRow {
  const k = 10;
  const topShare: Record<string, number> = {};
  for (const r of runs) for (const [l, v] of Object.entries(languageShares(r, docLang, k).shares)) topShare[l] = (topShare[l] ?? 0) + v / runs.length;
  const relevantShare: Record<string, number> = {};
  for (const q of qrelsList) if (q.rel > 0) relevantShare[docLang.get(q.docno) ?? 'unknown'] = (relevantShare[docLang.get(q.docno) ?? 'unknown'] ?? 0) + 1;
  const nRel = Object.values(relevantShare).reduce((a, b) => a + b, 0);
  for (const l of Object.keys(relevantShare)) relevantShare[l] /= nRel;
  const groupsByQuery = new Map<string, string[][]>();
  for (const f of ctx.data.folds) for (const [q, g] of f.sets.get('mlir')!.parallelGroups ?? []) groupsByQuery.set(q, g);
  let rankDistance: number | undefined;
  let groups: number | undefined;
  if (groupsByQuery.size > 0) {
    const results = runs.map((r) => languageBiasForRun(r, groupsByQuery));
    rankDistance = results.reduce((a, b) => a + b.mean, 0) / results.length;
    groups = results[0].groups;
  }
  return { method, topShare, relevantShare, k, rankDistance, groups };
}

/** Statistics against the configured baseline, or the first method when the baseline has no results yet. */
function summarizeAgainstBaseline(config: CompareConfig, scenario: string, scores: MethodScores[], qids: string[]): ScenarioTable {
  const stats = scores.some((s) => s.method === config.stats.baseline) ? config.stats : { ...config.stats, baseline: scores[0].method };
  return summarize(scenario, scores, qids, stats);
}

/** One scenario's table (and, for MLIR, the language-bias rows). */
async function scenarioTable(ctx: ReportContext, scenario: Scenario): Promise<{ table?: ScenarioTable; bias: LanguageBiasRow[] }> {
  const { qrelsList, qrels, qids, docLang } = writeScenarioFiles(ctx, scenario);
  const scores: MethodScores[] = [];
  const bias: LanguageBiasRow[] = [];
  for (const m of ctx.config.methods) {
    const runs = await mergedRuns(ctx, m.name, scenario);
    if (runs.size === 0) continue;
    scores.push({ method: m.name, perSeed: new Map([...runs].map(([seed, run]) => [seed, scoreRun(qrels, run, ctx.config.stats.metrics)])) });
    if (scenario === 'mlir') bias.push(languageBiasRow(ctx, m.name, [...runs.values()], qrelsList, docLang));
  }
  return { table: scores.length > 0 ? summarizeAgainstBaseline(ctx.config, scenario, scores, qids) : undefined, bias };
}

/**
 * Domain shift: every fold's models are also scored on the whole out-of-domain set; per seed the
 * per-query scores are averaged over folds (each fold's model is one sample of the method).
 */
async function shiftTable(ctx: ReportContext): Promise<ScenarioTable | undefined> {
  const { dir, config, data, store } = ctx;
  const set = data.folds[0].sets.get('shift')!;
  writeFileSync(join(dir, 'qrels', 'shift.txt'), qrelsToTrec(set.qrels));
  writeFileSync(join(dir, 'topics', 'shift.tsv'), topicsToTsv(set.topics));
  ctx.files.push('qrels/shift.txt', 'topics/shift.tsv');
  const qrels = qrelsMap(set.qrels);
  const qids = [...qrels.keys()].sort();
  const scores: MethodScores[] = [];
  for (const m of config.methods) {
    const perSeed = new Map<number, Record<string, Record<string, number>>>();
    for (const seed of config.seeds) {
      const perFold: Record<string, Record<string, number>>[] = [];
      for (const f of data.folds) {
        const key = { method: m.name, seed, fold: f.fold };
        if (!store.has(key)) break;
        const run = await store.readRun(key, 'shift');
        const file = `trec/${m.name}.seed${seed}.shift.fold${f.fold}.run`;
        await writeRunFile(join(dir, file), run, `${m.name}.seed${seed}.fold${f.fold}`);
        ctx.files.push(file);
        perFold.push(scoreRun(qrels, run, config.stats.metrics));
      }
      if (perFold.length !== data.folds.length) continue;
      const avg: Record<string, Record<string, number>> = {};
      for (const metric of Object.keys(perFold[0])) {
        avg[metric] = {};
        for (const q of qids) avg[metric][q] = perFold.reduce((a, r) => a + (r[metric]?.[q] ?? 0), 0) / perFold.length;
      }
      perSeed.set(seed, avg);
    }
    if (perSeed.size > 0) scores.push({ method: m.name, perSeed });
  }
  return scores.length > 0 ? summarizeAgainstBaseline(config, 'shift', scores, qids) : undefined;
}

/** Title of a table's comparison chart (says what the bars, whiskers and marks are). */
function comparisonChartTitle(config: CompareConfig, t: ScenarioTable, metric: string): string {
  return `${t.scenario.toUpperCase()} ${metric} (mean over seeds, ${Math.round(config.stats.confidence * 100)}% bootstrap CI; * = significant vs ${t.baseline})`;
}

/** Training curves of the first seed and fold (and the teacher's), as plotted series. */
function trainingCurves(config: CompareConfig, data: ExperimentData, units: readonly UnitResult[]): Series[] {
  return config.methods.filter(isTrained).map((m) => {
    const u = units.find((x) => x.method === m.name && x.seed === config.seeds[0] && x.fold === data.folds[0].fold);
    return { label: m.name, points: (u?.curve ?? []).map((p) => ({ x: p.step, y: p.loss })) };
  }).filter((s) => s.points.length > 0);
}

/** Every chart of the report as a Vega-Lite spec, keyed by its file name under plots/ (without extension). */
export function reportCharts(config: CompareConfig, data: ExperimentData, r: Pick<CompareReport, 'tables' | 'units' | 'teacherCurve' | 'languageBias'>): Map<string, VegaLiteSpec> {
  const charts = new Map<string, VegaLiteSpec>();
  for (const t of r.tables) {
    for (const metric of t.metrics) {
      charts.set(`${t.scenario}-${metric.replace(/[^A-Za-z0-9]+/g, '_')}`, intervalBarSpec({
        title: comparisonChartTitle(config, t, metric),
        bars: t.rows.map((row) => ({ label: row.method, value: row.metrics[metric].mean, lower: row.metrics[metric].ciLower, upper: row.metrics[metric].ciUpper, marked: row.metrics[metric].significant })),
        xLabel: metric,
      }));
    }
  }
  const curves = trainingCurves(config, data, r.units);
  if (curves.length > 0) {
    charts.set('training-curves', lineSpec({ title: `Training loss (seed ${config.seeds[0]}, fold ${data.folds[0].fold}; OPTICAL = OT loss, others = InfoNCE)`, series: curves, xLabel: 'step', yLabel: 'loss' }));
  }
  if (r.teacherCurve.length > 0) {
    charts.set('teacher-curve', lineSpec({ title: 'Teacher training loss (English inverse-cloze, InfoNCE)', series: [{ label: 'teacher', points: r.teacherCurve.map((p) => ({ x: p.step, y: p.loss })) }], xLabel: 'step', yLabel: 'loss' }));
  }
  if (r.languageBias.length > 0) {
    const k = r.languageBias[0].k;
    charts.set('mlir-language-bias', shareBarSpec({
      title: `MLIR: language of the top ${k} documents (mean over queries and seeds)`,
      rows: [...r.languageBias.map((b) => ({ row: b.method, shares: b.topShare })), { row: 'relevant documents', shares: r.languageBias[0].relevantShare }],
      categoryTitle: 'document language',
    }));
  }
  return charts;
}

/** Writes the merged evaluation files, metrics, plots and report.md; returns what it computed. */
export async function writeReport(dir: string, config: CompareConfig, data: ExperimentData, store: ResultStore, teacherCurve: CurvePoint[]): Promise<CompareReport> {
  for (const sub of ['trec', 'qrels', 'topics', 'plots', 'collections']) mkdirSync(join(dir, sub), { recursive: true });
  const ctx: ReportContext = { dir, config, data, store, files: [] };
  const units = finishedUnits(ctx);
  const tables: ScenarioTable[] = [];
  const languageBias: LanguageBiasRow[] = [];
  for (const scenario of config.scenarios) {
    const { table, bias } = await scenarioTable(ctx, scenario);
    if (table) tables.push(table);
    languageBias.push(...bias);
  }
  const drops: DropRow[] = [];
  if (config.data.shiftTest) {
    const shifted = await shiftTable(ctx);
    if (shifted) {
      tables.push(shifted);
      const inDomain = tables.find((t) => t.scenario === 'clir');
      if (inDomain) drops.push(...domainDrops(inDomain, shifted));
    }
  }
  const charts = reportCharts(config, data, { tables, units, teacherCurve, languageBias });
  for (const [name, spec] of charts) {
    const plot = await writePlot(join(dir, 'plots'), name, spec, 'plots');
    ctx.files.push(plot.svg, plot.spec);
  }
  const report: CompareReport = { name: config.name, tables, languageBias, units, files: ctx.files, teacherCurve, drops };
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ name: config.name, tables, languageBias, drops }, null, 2) + '\n');
  writeFileSync(join(dir, 'metrics.tsv'), metricsTsv(tables));
  writeFileSync(join(dir, 'report.md'), renderMarkdown(config, data, report));
  ctx.files.push('metrics.json', 'metrics.tsv', 'report.md');
  return report;
}

/** Markdown table of domain-shift drops. */
export function dropTable(drops: readonly DropRow[]): string {
  const metrics = [...new Set(drops.map((d) => d.metric))];
  const methods = [...new Set(drops.map((d) => d.method))];
  const lines = [`| method | ${metrics.map((m) => `${m}: in → shifted, drop [CI]`).join(' | ')} |`, `|---|${metrics.map(() => '---').join('|')}|`];
  for (const m of methods) {
    lines.push(`| ${m} | ${metrics.map((metric) => {
      const d = drops.find((x) => x.method === m && x.metric === metric)!;
      return `${f3(d.inDomain)} → ${f3(d.shifted)}, ${d.drop >= 0 ? '+' : ''}${f3(d.drop)} [${f3(d.ciLower)}, ${f3(d.ciUpper)}]`;
    }).join(' | ')} |`);
  }
  return lines.join('\n');
}

function metricsTsv(tables: ScenarioTable[]): string {
  const lines = ['scenario\tmethod\tmetric\tmean\tsd_seeds\tci_lower\tci_upper\tdelta_vs_baseline\tp\tp_adjusted\tsignificant\tmde\tseeds\tqueries'];
  for (const t of tables) for (const r of t.rows) for (const m of t.metrics) {
    const s = r.metrics[m];
    lines.push([t.scenario, r.method, m, s.mean, s.sdSeeds, s.ciLower, s.ciUpper, s.delta ?? '', s.pValue ?? '', s.pAdjusted ?? '', s.significant ?? '', s.mde ?? '', r.seeds.join(','), r.queries].join('\t'));
  }
  return lines.join('\n') + '\n';
}

/** The main results table as Markdown (also printed by the CLI). */
export function renderTable(t: ScenarioTable, confidence: number): string {
  const head = `| method | ${t.metrics.map((m) => `${m} (${Math.round(confidence * 100)}% CI)`).join(' | ')} | seeds |`;
  const sep = `|---|${t.metrics.map(() => '---').join('|')}|---|`;
  const rows = t.rows.map((r) => {
    const cells = t.metrics.map((m) => {
      const s = r.metrics[m];
      const sig = s.significant ? ' **†**' : '';
      const sdTxt = r.seeds.length > 1 ? ` ±${s.sdSeeds.toFixed(3)}` : '';
      return `${f3(s.mean)}${sdTxt} [${f3(s.ciLower)}, ${f3(s.ciUpper)}]${sig}`;
    });
    return `| ${r.method}${r.method === t.baseline ? ' (baseline)' : ''} | ${cells.join(' | ')} | ${r.seeds.length} |`;
  });
  return [head, sep, ...rows].join('\n');
}

/** Heading of a scenario's table: what is retrieved from what, and how many queries. */
export function tableHeading(config: CompareConfig, data: ExperimentData, t: ScenarioTable): string {
  const label = t.scenario === 'clir' ? `CLIR (EN queries → ${config.languages[0]} documents)` : t.scenario === 'mlir' ? `MLIR (EN queries → pooled EN + ${config.languages.join(' + ')} documents)`
    : t.scenario === 'moir' ? `MoIR (${config.languages[0]} queries → ${config.languages[0]} documents)` : `Domain shift: CLIR on ${config.data.shiftTest} (models trained for ${config.data.test}; per-query scores averaged over folds)`;
  const n = t.scenario === 'shift' ? data.folds[0].sets.get('shift')!.topics.length : data.folds.reduce((a, f) => a + (f.sets.get(t.scenario as Scenario)?.topics.length ?? 0), 0);
  return `${label}, ${n} queries`;
}

/** What the table's number of queries can resolve: the range of minimum detectable differences of nDCG@10 (else the first metric). */
export function powerLine(t: ScenarioTable): string {
  const m = t.metrics.includes('nDCG@10') ? 'nDCG@10' : t.metrics[0];
  const mdes = t.rows.map((r) => r.metrics[m].mde).filter((v): v is number => v !== undefined);
  if (mdes.length === 0) return '';
  const lo = Math.min(...mdes);
  const hi = Math.max(...mdes);
  return `Power: with ${t.rows[0].queries} queries, the smallest ${m} difference from ${t.baseline} this table detects with power 0.8 (paired t-test at α/${mdes.length}, the observed sd of per-query differences) is ${f3(lo)}${hi > lo ? `–${f3(hi)}` : ''}; a smaller Δ is not resolved by this design, whatever its p-value.`;
}

/** One line per method: kind, units finished, time, and the facts its runner reported. */
export function methodSummaries(config: CompareConfig, units: readonly UnitResult[]): { name: string; kind: string; text: string }[] {
  return config.methods.map((m) => {
    const u = units.filter((x) => x.method === m.name);
    if (u.length === 0) return { name: m.name, kind: m.kind, text: 'not finished' };
    // No wall-clock times here (they are in manifest.json): the same config gives the same report bytes.
    const info = Object.entries(u[0].info).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`).join(', ');
    return { name: m.name, kind: m.kind, text: `${u.length} unit(s)${info ? `; ${info}` : ''}` };
  });
}

/** The sentence under the intro that says what a cell holds and what † means. */
export function cellLegend(config: CompareConfig): string {
  return `Cells: mean over seeds ±sd over seeds [${Math.round(config.stats.confidence * 100)}% percentile bootstrap CI over queries of the seed-averaged scores, ${config.stats.bootstrap} resamples]. ` +
    `† = different from the baseline by a paired t-test over queries (seed-averaged), ${config.stats.correction}-adjusted over the methods in the table, α = ${config.stats.alpha}.`;
}

/** The run's setting in one paragraph (languages, test, folds, seeds, budget). */
export function settingSummary(config: CompareConfig, data: ExperimentData): string {
  return `Languages: EN → ${config.languages.join(', ')}. Test: ${config.data.test}, ${config.data.folds} folds by unit, evaluated folds: ${data.folds.map((f) => f.fold).join(', ')}. ` +
    `Seeds: ${config.seeds.join(', ')}. Budget per trained method: ${config.budget.steps} steps × batch ${config.budget.batchSize}, lr ${config.budget.lr}, max ${config.budget.maxLength} tokens.`;
}

function renderMarkdown(config: CompareConfig, data: ExperimentData, r: CompareReport): string {
  const out: string[] = [];
  out.push(`# optical compare: ${config.name}`, '');
  out.push(settingSummary(config, data), '');
  out.push(`Every number below is computed from the TREC runs in \`trec/\` against \`qrels/\` (trec_eval semantics with \`-c\`). ${cellLegend(config).replace(/^(.*)† = /, '$1**†** = ')}`, '');
  for (const t of r.tables) {
    out.push(`## ${tableHeading(config, data, t)}`, '', renderTable(t, config.stats.confidence), '');
    const sigRows = t.rows.filter((row) => t.metrics.some((m) => row.metrics[m].pValue !== undefined));
    if (sigRows.length > 0) {
      out.push(`<details><summary>Paired t-tests vs ${t.baseline} (Δ, p, adjusted p, minimum detectable difference)</summary>`, '', `| method | ${t.metrics.join(' | ')} |`, `|---|${t.metrics.map(() => '---').join('|')}|`);
      for (const row of sigRows) out.push(`| ${row.method} | ${t.metrics.map((m) => { const s = row.metrics[m]; return `${s.delta! >= 0 ? '+' : ''}${f3(s.delta)} (p ${pFmt(s.pValue)}, adj. ${pFmt(s.pAdjusted)}, MDE ${f3(s.mde)})`; }).join(' | ')} |`);
      out.push('', '</details>', '');
      out.push(powerLine(t), '');
    }
  }
  if (r.drops.length > 0) {
    out.push(`## Drop under domain shift (${config.data.test} → ${config.data.shiftTest}; positive = worse out of domain)`, '');
    out.push(dropTable(r.drops), '');
  }
  if (r.languageBias.length > 0) {
    const langs = [...new Set(r.languageBias.flatMap((b) => Object.keys(b.relevantShare)))].sort();
    out.push(`## MLIR language bias (share of each language in the top ${r.languageBias[0].k}; relevant share = what an unbiased ranker approaches)`, '');
    out.push('Rank distance = mean over queries of (max − min rank) among the parallel versions of a relevant paragraph (src/ir language bias; lower = less biased; 1 = versions adjacent).', '');
    out.push(`| method | rank distance | ${langs.map((l) => `${l} top-${r.languageBias[0].k}`).join(' | ')} | ${langs.map((l) => `${l} relevant`).join(' | ')} |`, `|---|---|${langs.map(() => '---').join('|')}|${langs.map(() => '---').join('|')}|`);
    for (const b of r.languageBias) out.push(`| ${b.method} | ${b.rankDistance === undefined ? '–' : b.rankDistance.toFixed(2)} | ${langs.map((l) => pct(b.topShare[l] ?? 0)).join(' | ')} | ${langs.map((l) => pct(b.relevantShare[l] ?? 0)).join(' | ')} |`);
    out.push('');
  }
  out.push('## Methods and their data', '');
  for (const m of methodSummaries(config, r.units)) out.push(`- **${m.name}** (${m.kind}): ${m.text}`);
  out.push('');
  out.push('## Data', '');
  for (const [k, v] of Object.entries(data.counts)) out.push(`- ${k}: ${v}`);
  for (const n of data.notes) out.push(`- note: ${n}`);
  out.push('', '## Plots', '');
  for (const f of r.files.filter((x) => x.endsWith('.svg'))) out.push(`![${f}](${f})`);
  out.push('');
  return out.join('\n');
}
