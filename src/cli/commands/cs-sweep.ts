/**
 * `optical cs-sweep`: code-switching frequency vs robustness. Code-switched fine-tuning at several p
 * (plus the zero-shot baseline), each model's measured CS frequency and its drop under domain shift,
 * Pearson/Spearman correlation with CIs and a scatter plot.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { asUsageError, listOption, parseCommandArgs } from '../args.js';
import { loadCompareConfig } from '../../compare/config-file.js';
import { parseSweepValues, sweepConfig, writeSweepReport } from '../../compare/sweeps.js';
import { printFooter, printTables } from '../../compare/print.js';
import { stderrProgress } from '../../data/progress.js';
import { parseQueueValues, queueOptionSpec, queueOptionUsage, reportFailures, runCompareMode } from '../compare-mode.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const usage = `usage: optical cs-sweep --config <base.json | domain-shift-om> [--p 0.1,0.3,0.5,0.7,0.9] [--scheme bl|ml] [--metric nDCG@10] [--out runs] [--queue redis://HOST:PORT] [--engine native|tfjs|auto]

Derives a compare from the base config (same data, teacher, budget, seeds; its methods replaced by
zero-shot + code-switched fine-tuning at each p) and relates the CS frequency of each model's
training data to its drop under domain shift (the base config needs data.shiftTest).
Writes runs/<base>-cs-sweep/cs-sweep.{md,json} and plots/cs-frequency-vs-drop.svg.

${queueOptionUsage}`;

export const command: Command = {
  name: 'cs-sweep',
  summary: 'code-switching frequency vs robustness under domain shift (correlations + scatter plot)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, p: { type: 'string' }, scheme: { type: 'string', default: 'bl' }, metric: { type: 'string', default: 'nDCG@10' }, out: { type: 'string', default: 'runs' }, ...queueOptionSpec });
    const q = parseQueueValues(values);
    if (!values.config) throw new UsageError('--config is required');
    if (values.scheme !== 'bl' && values.scheme !== 'ml') throw new UsageError(`--scheme must be 'bl' or 'ml', got '${values.scheme}'`);
    const scheme = values.scheme;
    const config = asUsageError(() => sweepConfig(loadCompareConfig(values.config!), 'cs', parseSweepValues('p', listOption(values.p, ['0.1', '0.3', '0.5', '0.7', '0.9'])), { scheme }));
    const result = await runCompareMode(config, q, { outRoot: values.out!, progress: stderrProgress('cs-sweep') });
    printTables(config, result, ['clir', 'shift']);
    await writeSweepReport(result.dir, config, result.report, 'cs', values.metric!);
    console.log('\n' + readFileSync(join(result.dir, 'cs-sweep.md'), 'utf8'));
    printFooter(result);
    return reportFailures(result.failed);
  },
};
