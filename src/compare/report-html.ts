/**
 * runs/<name>/report.html: the compare report as one self-contained page — tables with CIs and
 * significance marks, the comparison charts, training curves, language-bias chart, domain-shift
 * drops, method facts, data and the manifest summary. No script, no stylesheet or font from the
 * network: the charts are the SVGs of plots/ inlined, the style is inline, so the page opens from
 * disk, from an archive or an e-mail attachment exactly as it was written.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CompareConfig } from './config.js';
import type { ExperimentData } from './experiment-data.js';
import type { ScenarioTable } from './aggregate.js';
import { cellLegend, methodSummaries, settingSummary, tableHeading, type CompareReport, type DropRow, type LanguageBiasRow } from './report.js';

function esc(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function f3(x: number | undefined): string {
  return x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(3);
}

function pFmt(p: number | undefined): string {
  if (p === undefined) return '–';
  return p < 0.001 ? '<0.001' : p.toFixed(3);
}

const STYLE = `
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0 auto; max-width: 1100px; padding: 1rem 1.5rem 3rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { margin-top: 2.2rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; } h3 { margin-top: 1.6rem; }
nav a { margin-right: .9rem; } .muted { color: #555; font-size: .92rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .92rem; } th, td { border: 1px solid #d6d6d6; padding: .25rem .55rem; text-align: left; vertical-align: top; }
th { background: #f3f5f8; } td.num { font-variant-numeric: tabular-nums; white-space: nowrap; } tr.baseline td { background: #fbfbf2; }
.sig { color: #b00020; font-weight: bold; } .ci { color: #555; } .charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: .5rem 0; } figure svg { max-width: 100%; height: auto; } details { margin: .4rem 0; } pre { background: #f6f6f6; padding: .6rem; overflow-x: auto; font-size: .8rem; }
`;

function svgOf(dir: string, file: string): string {
  const path = join(dir, file);
  if (!existsSync(path)) return '';
  // The XML prolog is not allowed inside HTML; vega writes none, but a hand-made file might.
  return readFileSync(path, 'utf8').replace(/^<\?xml[^>]*>\s*/, '');
}

function figure(dir: string, file: string, caption: string): string {
  const svg = svgOf(dir, file);
  if (!svg) return '';
  const spec = file.replace(/\.svg$/, '.vl.json');
  return `<figure data-plot="${esc(file)}">${svg}<figcaption class="muted">${esc(caption)} — <a href="${esc(file)}">SVG</a>, <a href="${esc(spec)}">Vega-Lite spec</a></figcaption></figure>`;
}

function resultsTable(t: ScenarioTable, confidence: number): string {
  const head = `<tr><th>method</th>${t.metrics.map((m) => `<th>${esc(m)} <span class="muted">(${Math.round(confidence * 100)}% CI)</span></th>`).join('')}<th>seeds</th></tr>`;
  const rows = t.rows.map((r) => {
    const cells = t.metrics.map((m) => {
      const s = r.metrics[m];
      const sd = r.seeds.length > 1 ? ` ±${s.sdSeeds.toFixed(3)}` : '';
      const sig = s.significant ? ` <span class="sig" title="${esc(`Δ ${f3(s.delta)}, p ${pFmt(s.pValue)}, adjusted ${pFmt(s.pAdjusted)}`)}">†</span>` : '';
      return `<td class="num">${f3(s.mean)}${sd} <span class="ci">[${f3(s.ciLower)}, ${f3(s.ciUpper)}]</span>${sig}</td>`;
    });
    const isBase = r.method === t.baseline;
    return `<tr class="${isBase ? 'baseline' : ''}" data-method="${esc(r.method)}"><td>${esc(r.method)}${isBase ? ' <span class="muted">(baseline)</span>' : ''}</td>${cells.join('')}<td class="num">${r.seeds.length}</td></tr>`;
  });
  return `<table class="results" data-scenario="${esc(t.scenario)}">${head}${rows.join('')}</table>`;
}

function testsTable(t: ScenarioTable): string {
  const rows = t.rows.filter((row) => t.metrics.some((m) => row.metrics[m].pValue !== undefined));
  if (rows.length === 0) return '';
  const body = rows.map((row) => `<tr><td>${esc(row.method)}</td>${t.metrics.map((m) => {
    const s = row.metrics[m];
    return `<td class="num">${s.delta! >= 0 ? '+' : ''}${f3(s.delta)} (p ${pFmt(s.pValue)}, adj. ${pFmt(s.pAdjusted)})${s.significant ? ' <span class="sig">†</span>' : ''}</td>`;
  }).join('')}</tr>`).join('');
  return `<details><summary>Paired t-tests vs ${esc(t.baseline)} (Δ, p, ${esc(t.correction)}-adjusted p)</summary><table><tr><th>method</th>${t.metrics.map((m) => `<th>${esc(m)}</th>`).join('')}</tr>${body}</table></details>`;
}

function dropsSection(drops: readonly DropRow[], config: CompareConfig): string {
  if (drops.length === 0) return '';
  const metrics = [...new Set(drops.map((d) => d.metric))];
  const methods = [...new Set(drops.map((d) => d.method))];
  const body = methods.map((m) => `<tr><td>${esc(m)}</td>${metrics.map((metric) => {
    const d = drops.find((x) => x.method === m && x.metric === metric);
    return d ? `<td class="num">${f3(d.inDomain)} → ${f3(d.shifted)}, ${d.drop >= 0 ? '+' : ''}${f3(d.drop)} <span class="ci">[${f3(d.ciLower)}, ${f3(d.ciUpper)}]</span></td>` : '<td>–</td>';
  }).join('')}</tr>`).join('');
  return `<section id="domain-shift"><h2>Drop under domain shift</h2><p class="muted">${esc(config.data.test)} → ${esc(config.data.shiftTest)}; positive = worse out of domain; CI = the two bootstrap CIs combined.</p>` +
    `<table><tr><th>method</th>${metrics.map((m) => `<th>${esc(m)}: in → shifted, drop [CI]</th>`).join('')}</tr>${body}</table></section>`;
}

function biasSection(dir: string, bias: readonly LanguageBiasRow[]): string {
  if (bias.length === 0) return '';
  const langs = [...new Set(bias.flatMap((b) => Object.keys(b.relevantShare)))].sort();
  const k = bias[0].k;
  const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
  const body = bias.map((b) => `<tr><td>${esc(b.method)}</td><td class="num">${b.rankDistance === undefined ? '–' : b.rankDistance.toFixed(2)}</td>${langs.map((l) => `<td class="num">${pct(b.topShare[l] ?? 0)}</td>`).join('')}${langs.map((l) => `<td class="num">${pct(b.relevantShare[l] ?? 0)}</td>`).join('')}</tr>`).join('');
  return `<section id="language-bias"><h2>MLIR language bias</h2>` +
    `<p class="muted">Share of each language in the top ${k}; relevant share = what an unbiased ranker approaches. Rank distance = mean over queries of (max − min rank) among the parallel versions of a relevant paragraph (lower = less biased; 1 = versions adjacent).</p>` +
    `<table><tr><th>method</th><th>rank distance</th>${langs.map((l) => `<th>${esc(l)} top-${k}</th>`).join('')}${langs.map((l) => `<th>${esc(l)} relevant</th>`).join('')}</tr>${body}</table>` +
    `${figure(dir, 'plots/mlir-language-bias.svg', 'Language of the top-ranked documents per method, and of the relevant documents')}</section>`;
}

/** The manifest's summary: when, which versions, how long, which teacher, which data. */
function manifestSection(dir: string): string {
  const path = join(dir, 'manifest.json');
  if (!existsSync(path)) return '';
  let m: Record<string, unknown>;
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return '';
  }
  const versions = (m.versions ?? {}) as Record<string, unknown>;
  const timings = (m.timings ?? {}) as Record<string, unknown>;
  const teacher = (m.teacher ?? {}) as Record<string, unknown>;
  const data = (m.data ?? {}) as { sources?: Array<Record<string, unknown>> };
  const files = Object.keys((m.files ?? {}) as object).length;
  const rows: Array<[string, unknown]> = [
    ['created', m.createdAt], ['complete', m.complete], ['repeat', m.repeat],
    ...Object.entries(versions).map(([k, v]) => [`version: ${k}`, v] as [string, unknown]),
    ...(['data', 'teacher', 'report', 'total'] as const).filter((k) => typeof timings[k] === 'number').map((k) => [`time: ${k}`, `${(timings[k] as number).toFixed(1)} s`] as [string, unknown]),
    ['teacher', teacher.dir], ['teacher key', teacher.key], ['teacher model sha256', teacher.modelSha256], ['files hashed', files],
  ];
  const sources = (data.sources ?? []).map((s) => `<li>${esc(Object.entries(s).filter(([, v]) => typeof v !== 'object').map(([k, v]) => `${k}: ${v}`).join(', '))}</li>`).join('');
  return `<section id="manifest"><h2>Manifest</h2><p class="muted">From <a href="manifest.json">manifest.json</a> (hashes of every file, the full config, timings per unit).</p>` +
    `<table>${rows.filter(([, v]) => v !== undefined && v !== null).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table>` +
    (sources ? `<details><summary>Data sources (${data.sources!.length})</summary><ul>${sources}</ul></details>` : '') +
    `<details><summary>Config</summary><pre>${esc(JSON.stringify(m.config ?? {}, null, 2))}</pre></details></section>`;
}

/** The page as a string (see writeHtmlReport). */
export function renderHtmlReport(dir: string, config: CompareConfig, data: ExperimentData, r: CompareReport): string {
  const chartsOf = (scenario: string) => r.tables.find((t) => t.scenario === scenario)?.metrics
    .map((metric) => figure(dir, `plots/${scenario}-${metric.replace(/[^A-Za-z0-9]+/g, '_')}.svg`, `${scenario.toUpperCase()} ${metric}: bars = mean over seeds, whiskers = bootstrap CI, * = significant vs the baseline`)).join('') ?? '';
  const tables = r.tables.map((t) => `<section class="scenario" id="table-${esc(t.scenario)}"><h3>${esc(tableHeading(config, data, t))}</h3>${resultsTable(t, config.stats.confidence)}${testsTable(t)}<div class="charts">${chartsOf(t.scenario)}</div></section>`).join('');
  const curves = figure(dir, 'plots/training-curves.svg', 'Training loss of each trained method (first seed and fold)') + figure(dir, 'plots/teacher-curve.svg', 'Training loss of the shared English teacher');
  const sections: Array<[string, string]> = [['results', 'Results'], ['domain-shift', 'Domain shift'], ['language-bias', 'Language bias'], ['training-curves', 'Training curves'], ['methods', 'Methods'], ['data', 'Data'], ['manifest', 'Manifest']];
  const body = [
    `<section id="results"><h2>Results</h2><p class="muted">Every number is computed from the TREC runs in <a href="trec/">trec/</a> against <a href="qrels/">qrels/</a> (trec_eval semantics with -c). ${esc(cellLegend(config))}</p>${tables || '<p>No finished results yet.</p>'}</section>`,
    dropsSection(r.drops, config),
    biasSection(dir, r.languageBias),
    curves ? `<section id="training-curves"><h2>Training curves</h2><div class="charts">${curves}</div></section>` : '',
    `<section id="methods"><h2>Methods and their data</h2><ul>${methodSummaries(config, r.units).map((m) => `<li><b>${esc(m.name)}</b> (${esc(m.kind)}): ${esc(m.text)}</li>`).join('')}</ul></section>`,
    `<section id="data"><h2>Data</h2><ul>${Object.entries(data.counts).map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`).join('')}${data.notes.map((n) => `<li>note: ${esc(n)}</li>`).join('')}</ul></section>`,
    manifestSection(dir),
  ];
  const present = sections.filter(([id]) => body.some((b) => b.startsWith(`<section id="${id}"`)));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>optical compare: ${esc(config.name)}</title><style>${STYLE}</style></head>
<body>
<header><h1>optical compare: ${esc(config.name)}</h1><p>${esc(settingSummary(config, data))}</p>
<nav>${present.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}<a href="report.md">report.md</a><a href="metrics.tsv">metrics.tsv</a></nav></header>
<main>${body.join('\n')}</main>
</body></html>
`;
}

/** Writes runs/<name>/report.html (after manifest.json, whose summary it shows); returns its path relative to dir. */
export function writeHtmlReport(dir: string, config: CompareConfig, data: ExperimentData, r: CompareReport): string {
  writeFileSync(join(dir, 'report.html'), renderHtmlReport(dir, config, data, r));
  return 'report.html';
}
