/**
 * The compare report, computed only from the TREC runs on disk (never from in-memory scores), so
 * every number in report.md can be re-derived with trec_eval from the files next to it:
 *   trec/<method>.seed<s>.<scenario>.run   one run per method × seed × scenario (folds merged)
 *   qrels/<scenario>.txt, topics/<scenario>.tsv
 *   metrics.json, metrics.tsv, report.md, plots/*.svg
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
import { barChartSvg, lineChartSvg } from './plots.js';
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

/** Writes the merged evaluation files and the report; returns what it computed. */
export async function writeReport(dir: string, config: CompareConfig, data: ExperimentData, store: ResultStore, teacherCurve: CurvePoint[]): Promise<CompareReport> {
  const files: string[] = [];
  const units: UnitResult[] = [];
  const tables: ScenarioTable[] = [];
  const languageBias: LanguageBiasRow[] = [];
  for (const sub of ['trec', 'qrels', 'topics', 'plots', 'collections']) mkdirSync(join(dir, sub), { recursive: true });

  for (const m of config.methods) for (const seed of config.seeds) for (const f of data.folds) {
    if (store.has({ method: m.name, seed, fold: f.fold })) units.push(store.read({ method: m.name, seed, fold: f.fold }));
  }

  for (const scenario of config.scenarios) {
    const topics: Topic[] = data.folds.flatMap((f) => f.sets.get(scenario)!.topics);
    const qrelsList: Qrel[] = data.folds.flatMap((f) => f.sets.get(scenario)!.qrels);
    const collection: Doc[] = data.folds.flatMap((f) => f.sets.get(scenario)!.collection);
    writeFileSync(join(dir, 'qrels', `${scenario}.txt`), qrelsToTrec(qrelsList));
    writeFileSync(join(dir, 'topics', `${scenario}.tsv`), topicsToTsv(topics));
    writeFileSync(join(dir, 'collections', `${scenario}.jsonl`), toJsonl(collection));
    files.push(`qrels/${scenario}.txt`, `topics/${scenario}.tsv`, `collections/${scenario}.jsonl`);
    const qrels = qrelsMap(qrelsList);
    const qids = [...qrels.keys()].sort();
    const docLang = new Map(collection.map((d) => [d.docno, d.lang]));

    const scores: MethodScores[] = [];
    for (const m of config.methods) {
      const perSeed = new Map<number, Record<string, Record<string, number>>>();
      const biasRuns: Run[] = [];
      for (const seed of config.seeds) {
        const foldRuns: Run[] = [];
        let complete = true;
        for (const f of data.folds) {
          const key = { method: m.name, seed, fold: f.fold };
          if (!store.has(key)) { complete = false; break; }
          foldRuns.push(await store.readRun(key, scenario));
        }
        if (!complete) continue;
        const run = mergeRuns(foldRuns);
        const file = `trec/${m.name}.seed${seed}.${scenario}.run`;
        await writeRunFile(join(dir, file), run, `${m.name}.seed${seed}`);
        files.push(file);
        perSeed.set(seed, scoreRun(qrels, run, config.stats.metrics));
        biasRuns.push(run);
      }
      if (perSeed.size > 0) scores.push({ method: m.name, perSeed });
      if (scenario === 'mlir' && biasRuns.length > 0) {
        const k = 10;
        const acc: Record<string, number> = {};
        for (const r of biasRuns) for (const [l, v] of Object.entries(languageShares(r, docLang, k).shares)) acc[l] = (acc[l] ?? 0) + v / biasRuns.length;
        const rel: Record<string, number> = {};
        for (const q of qrelsList) if (q.rel > 0) rel[docLang.get(q.docno) ?? 'unknown'] = (rel[docLang.get(q.docno) ?? 'unknown'] ?? 0) + 1;
        const nRel = Object.values(rel).reduce((a, b) => a + b, 0);
        for (const l of Object.keys(rel)) rel[l] /= nRel;
        const groupsByQuery = new Map<string, string[][]>();
        for (const f of data.folds) for (const [q, g] of f.sets.get('mlir')!.parallelGroups ?? []) groupsByQuery.set(q, g);
        let rankDistance: number | undefined;
        let groups: number | undefined;
        if (groupsByQuery.size > 0) {
          const results = biasRuns.map((r) => languageBiasForRun(r, groupsByQuery));
          rankDistance = results.reduce((a, b) => a + b.mean, 0) / results.length;
          groups = results[0].groups;
        }
        languageBias.push({ method: m.name, topShare: acc, relevantShare: rel, k, rankDistance, groups });
      }
    }
    if (scores.length === 0) continue;
    const stats = scores.some((s) => s.method === config.stats.baseline) ? config.stats : { ...config.stats, baseline: scores[0].method };
    tables.push(summarize(scenario, scores, qids, stats));
  }

  // Domain shift: every fold's models are also scored on the whole out-of-domain set; per seed the
  // per-query scores are averaged over folds (each fold's model is one sample of the method).
  const drops: DropRow[] = [];
  if (config.data.shiftTest) {
    const set = data.folds[0].sets.get('shift')!;
    writeFileSync(join(dir, 'qrels', 'shift.txt'), qrelsToTrec(set.qrels));
    writeFileSync(join(dir, 'topics', 'shift.tsv'), topicsToTsv(set.topics));
    files.push('qrels/shift.txt', 'topics/shift.tsv');
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
          files.push(file);
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
    if (scores.length > 0) {
      const stats = scores.some((x) => x.method === config.stats.baseline) ? config.stats : { ...config.stats, baseline: scores[0].method };
      const shiftTable = summarize('shift', scores, qids, stats);
      tables.push(shiftTable);
      const inDomain = tables.find((t) => t.scenario === 'clir');
      if (inDomain) drops.push(...domainDrops(inDomain, shiftTable));
    }
  }

  // Plots: method comparison with CIs (every scenario, every metric) and training curves.
  for (const t of tables) {
    for (const metric of t.metrics) {
      const svg = barChartSvg(`${t.scenario.toUpperCase()} ${metric} (mean over seeds, ${Math.round(config.stats.confidence * 100)}% bootstrap CI; * = significant vs ${t.baseline})`,
        t.rows.map((r) => ({ label: r.method, value: r.metrics[metric].mean, lower: r.metrics[metric].ciLower, upper: r.metrics[metric].ciUpper, marked: r.metrics[metric].significant })), metric);
      const file = `plots/${t.scenario}-${metric.replace(/[^A-Za-z0-9]+/g, '_')}.svg`;
      writeFileSync(join(dir, file), svg);
      files.push(file);
    }
  }
  const curves = config.methods.filter(isTrained).map((m) => {
    const u = units.find((x) => x.method === m.name && x.seed === config.seeds[0] && x.fold === data.folds[0].fold);
    return { label: m.name, points: (u?.curve ?? []).map((p) => ({ x: p.step, y: p.loss })) };
  }).filter((s) => s.points.length > 0);
  if (curves.length > 0) {
    writeFileSync(join(dir, 'plots', 'training-curves.svg'), lineChartSvg(`Training loss (seed ${config.seeds[0]}, fold ${data.folds[0].fold}; OPTICAL = OT loss, others = InfoNCE)`, curves, 'step', 'loss'));
    files.push('plots/training-curves.svg');
  }
  if (teacherCurve.length > 0) {
    writeFileSync(join(dir, 'plots', 'teacher-curve.svg'), lineChartSvg('Teacher training loss (English inverse-cloze, InfoNCE)', [{ label: 'teacher', points: teacherCurve.map((p) => ({ x: p.step, y: p.loss })) }], 'step', 'loss'));
    files.push('plots/teacher-curve.svg');
  }

  const report: CompareReport = { name: config.name, tables, languageBias, units, files, teacherCurve, drops };
  writeFileSync(join(dir, 'metrics.json'), JSON.stringify({ name: config.name, tables, languageBias, drops }, null, 2) + '\n');
  writeFileSync(join(dir, 'metrics.tsv'), metricsTsv(tables));
  writeFileSync(join(dir, 'report.md'), renderMarkdown(config, data, report));
  files.push('metrics.json', 'metrics.tsv', 'report.md');
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
  const lines = ['scenario\tmethod\tmetric\tmean\tsd_seeds\tci_lower\tci_upper\tdelta_vs_baseline\tp\tp_adjusted\tsignificant\tseeds\tqueries'];
  for (const t of tables) for (const r of t.rows) for (const m of t.metrics) {
    const s = r.metrics[m];
    lines.push([t.scenario, r.method, m, s.mean, s.sdSeeds, s.ciLower, s.ciUpper, s.delta ?? '', s.pValue ?? '', s.pAdjusted ?? '', s.significant ?? '', r.seeds.join(','), r.queries].join('\t'));
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

function renderMarkdown(config: CompareConfig, data: ExperimentData, r: CompareReport): string {
  const out: string[] = [];
  const nQueries = (s: Scenario) => data.folds.reduce((a, f) => a + (f.sets.get(s)?.topics.length ?? 0), 0);
  out.push(`# optical compare: ${config.name}`, '');
  out.push(`Languages: EN → ${config.languages.join(', ')}. Test: ${config.data.test}, ${config.data.folds} folds by unit, evaluated folds: ${data.folds.map((f) => f.fold).join(', ')}. ` +
    `Seeds: ${config.seeds.join(', ')}. Budget per trained method: ${config.budget.steps} steps × batch ${config.budget.batchSize}, lr ${config.budget.lr}, max ${config.budget.maxLength} tokens.`, '');
  out.push(`Every number below is computed from the TREC runs in \`trec/\` against \`qrels/\` (trec_eval semantics with \`-c\`). ` +
    `Cells: mean over seeds ±sd over seeds [${Math.round(config.stats.confidence * 100)}% percentile bootstrap CI over queries of the seed-averaged scores, ${config.stats.bootstrap} resamples]. ` +
    `**†** = different from the baseline by a paired t-test over queries (seed-averaged), ${config.stats.correction}-adjusted over the methods in the table, α = ${config.stats.alpha}.`, '');
  for (const t of r.tables) {
    const label = t.scenario === 'clir' ? `CLIR (EN queries → ${config.languages[0]} documents)` : t.scenario === 'mlir' ? `MLIR (EN queries → pooled EN + ${config.languages.join(' + ')} documents)`
      : t.scenario === 'moir' ? `MoIR (${config.languages[0]} queries → ${config.languages[0]} documents)` : `Domain shift: CLIR on ${config.data.shiftTest} (models trained for ${config.data.test}; per-query scores averaged over folds)`;
    const n = t.scenario === 'shift' ? data.folds[0].sets.get('shift')!.topics.length : nQueries(t.scenario as Scenario);
    out.push(`## ${label}, ${n} queries`, '', renderTable(t, config.stats.confidence), '');
    const sigRows = t.rows.filter((row) => t.metrics.some((m) => row.metrics[m].pValue !== undefined));
    if (sigRows.length > 0) {
      out.push(`<details><summary>Paired t-tests vs ${t.baseline} (Δ, p, adjusted p)</summary>`, '', `| method | ${t.metrics.join(' | ')} |`, `|---|${t.metrics.map(() => '---').join('|')}|`);
      for (const row of sigRows) out.push(`| ${row.method} | ${t.metrics.map((m) => { const s = row.metrics[m]; return `${s.delta! >= 0 ? '+' : ''}${f3(s.delta)} (p ${pFmt(s.pValue)}, adj. ${pFmt(s.pAdjusted)})`; }).join(' | ')} |`);
      out.push('', '</details>', '');
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
  for (const m of config.methods) {
    const u = r.units.filter((x) => x.method === m.name);
    if (u.length === 0) { out.push(`- **${m.name}** (${m.kind}): not finished`); continue; }
    const secs = u.reduce((a, x) => a + x.seconds, 0);
    const info = Object.entries(u[0].info).map(([k, v]) => `${k}=${typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(4) : v}`).join(', ');
    out.push(`- **${m.name}** (${m.kind}): ${u.length} unit(s), ${secs.toFixed(1)} s total${info ? `; ${info}` : ''}`);
  }
  out.push('');
  out.push('## Data', '');
  for (const [k, v] of Object.entries(data.counts)) out.push(`- ${k}: ${v}`);
  for (const n of data.notes) out.push(`- note: ${n}`);
  out.push('', '## Plots', '');
  for (const f of r.files.filter((x) => x.endsWith('.svg'))) out.push(`![${f}](${f})`);
  out.push('');
  return out.join('\n');
}
