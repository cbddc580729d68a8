/**
 * `optical eval`: trec_eval-compatible evaluation of one run. Text output mimics trec_eval
 * (`measure<TAB>qid|all<TAB>value`, trec_eval measure names where one exists, 4 decimals); JSON is
 * `{"mean": {measure: v}, "perQuery": {qid: {measure: v}}}` keyed by ir_measures names; CSV is
 * `qid,measure,value` rows (qid "all" = mean).
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { listOption, parseCommandArgs } from '../args.js';
import { readQrelsFile } from '../../ir/formats/qrels.js';
import { readRunFile } from '../../ir/formats/trec-run.js';
import { evaluateRun, type Evaluation } from '../../ir/evaluate.js';
import { DEFAULT_MEASURES, parseMeasures } from '../../ir/measure-names.js';
import type { Measure } from '../../ir/metrics/measure.js';

const usage = `usage: optical eval --qrels QRELS --run RUN [--measures ${DEFAULT_MEASURES.slice(0, 3).join(',')},...] [--per-query] [--complete] [--format text|json|csv]

Scores a TREC run against TREC qrels exactly as trec_eval 10.0 does (ranking by score, ties by
docno descending; relevant = qrels value >= 1).
  --measures   ir_measures names (AP, AP@k, nDCG, nDCG@k, RR, RR@k, R@k, P@k, Rprec, Success@k,
               Judged@k; 'P(rel=2)@10' sets a relevance level like trec_eval -l) or trec_eval
               names (map, ndcg_cut_10, recip_rank, ...).
               Default: ${DEFAULT_MEASURES.join(',')}
  --per-query  also print each query's values (trec_eval -q)
  --complete   average over every qrels query; queries missing from the run count 0 (trec_eval -c)
  --format     text (trec_eval-like, default), json, csv`;

function displayName(m: Measure): string {
  return m.trecEvalName ?? m.name;
}

export function formatEvaluation(ev: Evaluation, format: string, perQuery: boolean): string {
  const out: string[] = [];
  if (format === 'json') {
    return `${JSON.stringify(perQuery ? { mean: ev.mean, perQuery: ev.perQuery } : { mean: ev.mean }, null, 2)}\n`;
  }
  if (format === 'csv') {
    out.push('qid,measure,value');
    if (perQuery) for (const q of ev.qids) for (const m of ev.measures) out.push(`${/[",\n]/.test(q) ? `"${q.replace(/"/g, '""')}"` : q},${m.name},${ev.perQuery[q][m.name]}`);
    for (const m of ev.measures) out.push(`all,${m.name},${ev.mean[m.name]}`);
    return `${out.join('\n')}\n`;
  }
  // trec_eval prints "%-22s\t%s\t%6.4f"; per-query lines come first, query by query.
  const line = (m: Measure, qid: string, v: number) => `${displayName(m).padEnd(22)}\t${qid}\t${v.toFixed(4)}`;
  if (perQuery) for (const q of ev.qids) for (const m of ev.measures) out.push(line(m, q, ev.perQuery[q][m.name]));
  out.push(`${'num_q'.padEnd(22)}\tall\t${ev.qids.length}`);
  for (const m of ev.measures) out.push(line(m, 'all', ev.mean[m.name]));
  return `${out.join('\n')}\n`;
}

export const command: Command = {
  name: 'eval',
  summary: 'evaluate a TREC run against qrels (trec_eval-exact AP, nDCG@k, RR@k, R@k, P@k, ...)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      qrels: { type: 'string' },
      run: { type: 'string' },
      measures: { type: 'string' },
      'per-query': { type: 'boolean', default: false },
      complete: { type: 'boolean', default: false },
      format: { type: 'string', default: 'text' },
    });
    if (!values.qrels) throw new UsageError('--qrels is required');
    if (!values.run) throw new UsageError('--run is required');
    const format = values.format ?? 'text';
    if (!['text', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be text, json or csv, got '${format}'`);
    let measures: Measure[];
    try {
      measures = parseMeasures(listOption(values.measures, DEFAULT_MEASURES));
    } catch (err) {
      throw new UsageError(`--measures: ${(err as Error).message}`);
    }
    const [qrels, { run }] = await Promise.all([readQrelsFile(values.qrels), readRunFile(values.run)]);
    if (!values.complete && ![...qrels.keys()].some((qid) => run.has(qid))) {
      const sample = (ids: Iterable<string>) => [...ids].slice(0, 3).map((q) => `'${q}'`).join(', ') || 'none';
      console.error(`optical eval: no query is in both the qrels and the run (qrels: ${sample(qrels.keys())}…; run: ${sample(run.keys())}…): `
        + 'are they from the same collection? --complete scores every qrels query, missing ones as 0');
      return 1;
    }
    const ev = evaluateRun(qrels, run, measures, { complete: values.complete });
    process.stdout.write(formatEvaluation(ev, format, values['per-query'] ?? false));
    return 0;
  },
};
