/**
 * `optical compare-runs`: several runs against a baseline on the same queries, with bootstrap CIs,
 * paired significance tests and Holm/Bonferroni correction; markdown, JSON or CSV on stdout and an
 * optional SVG bar chart with CI whiskers.
 */
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { listOption, numberOption, parseCommandArgs, rangeOption, seedOption } from '../args.js';
import { readQrelsFile } from '../../ir/formats/qrels.js';
import { readRunFile } from '../../ir/formats/trec-run.js';
import { parseMeasures } from '../../ir/measure-names.js';
import { compareRuns, comparisonSpec, comparisonToCsv, comparisonToJson, comparisonToMarkdown } from '../../ir/report/compare-runs.js';
import { renderSvg } from '../../plots/render.js';
import type { Measure } from '../../ir/metrics/measure.js';

const DEFAULTS = ['nDCG@10', 'RR@10', 'R@100', 'AP'];
const MAX_RESAMPLES = 1_000_000;

const usage = `usage: optical compare-runs --qrels QRELS --baseline RUN [--run RUN ...] [RUN ...]
         [--measures ${DEFAULTS.join(',')}] [--test randomization|t] [--correction holm|bonferroni|none]
         [--alpha 0.05] [--permutations 10000] [--bootstrap 10000] [--seed 1] [--complete]
         (--permutations and --bootstrap: at most 1000000)
         [--format markdown|json|csv] [--svg chart.svg] [--title TEXT]

Compares runs with the baseline on the qrels queries present in every run (--complete: all qrels
queries, missing = 0). Each cell shows mean (difference); † marks p < alpha after correction over the
compared runs. Run names are the file names without extension.`;

function runName(path: string): string {
  return basename(path).replace(/\.(trec|run|txt|tsv)$/i, '');
}

export const command: Command = {
  name: 'compare-runs',
  summary: 'compare runs with a baseline: significance tests, CIs, markdown/JSON/CSV table, SVG chart + Vega-Lite spec',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      qrels: { type: 'string' },
      baseline: { type: 'string' },
      run: { type: 'string', multiple: true },
      measures: { type: 'string' },
      test: { type: 'string', default: 'randomization' },
      correction: { type: 'string', default: 'holm' },
      alpha: { type: 'string' },
      permutations: { type: 'string' },
      bootstrap: { type: 'string' },
      seed: { type: 'string' },
      complete: { type: 'boolean', default: false },
      format: { type: 'string', default: 'markdown' },
      svg: { type: 'string' },
      title: { type: 'string' },
    }, true);
    if (!values.qrels) throw new UsageError('--qrels is required');
    if (!values.baseline) throw new UsageError('--baseline is required');
    const runPaths = [...(values.run ?? []), ...positionals];
    if (runPaths.length === 0) throw new UsageError('give at least one run to compare (--run RUN or positional)');
    const test = values.test ?? 'randomization';
    if (test !== 't' && test !== 'randomization') throw new UsageError(`--test must be randomization or t, got '${test}'`);
    const correction = values.correction ?? 'holm';
    if (correction !== 'holm' && correction !== 'bonferroni' && correction !== 'none') throw new UsageError(`--correction must be holm, bonferroni or none, got '${correction}'`);
    const format = values.format ?? 'markdown';
    if (!['markdown', 'json', 'csv'].includes(format)) throw new UsageError(`--format must be markdown, json or csv, got '${format}'`);
    const alpha = numberOption('alpha', values.alpha, 0.05);
    if (!(alpha > 0 && alpha < 1)) throw new UsageError(`--alpha must be in (0, 1), got ${alpha}`);
    // Capped: a million resamples resolve p-values and interval ends to 1e-6, far below any corrected
    // alpha, and take seconds; 1e12 would run for hours without a word.
    const permutations = rangeOption('permutations', values.permutations, 10_000, { min: 1, max: MAX_RESAMPLES, int: true, why: 'p-values resolve to 1/permutations' });
    const bootstrapResamples = rangeOption('bootstrap', values.bootstrap, 10_000, { min: 1, max: MAX_RESAMPLES, int: true });
    const seed = seedOption(values.seed, 1);
    let measures: Measure[];
    try {
      measures = parseMeasures(listOption(values.measures, DEFAULTS));
    } catch (err) {
      throw new UsageError(`--measures: ${(err as Error).message}`);
    }
    const qrels = await readQrelsFile(values.qrels);
    const baseline = { name: runName(values.baseline), run: (await readRunFile(values.baseline)).run };
    const others = [];
    for (const p of runPaths) others.push({ name: runName(p), run: (await readRunFile(p)).run });
    const comparison = compareRuns(qrels, baseline, others, { measures, test, correction, alpha, permutations, bootstrapResamples, seed, complete: values.complete });
    const text = format === 'json' ? comparisonToJson(comparison) : format === 'csv' ? comparisonToCsv(comparison) : comparisonToMarkdown(comparison);
    process.stdout.write(text);
    if (values.svg) {
      // The chart and its Vega-Lite spec (chart.vl.json: re-plot or restyle it in a notebook).
      const spec = comparisonSpec(comparison, values.title ?? 'Run comparison');
      const specPath = values.svg.replace(/\.svg$/i, '') + '.vl.json';
      writeFileSync(values.svg, await renderSvg(spec));
      writeFileSync(specPath, JSON.stringify(spec, null, 2) + '\n');
      process.stderr.write(`compare-runs: wrote ${values.svg} and ${specPath}\n`);
    }
    return 0;
  },
};
