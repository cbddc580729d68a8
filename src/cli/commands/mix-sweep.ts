/**
 * `optical mix-sweep`: mixed code-switched + monolingual training at several CS : monolingual
 * ratios (does keeping English data help?). With data.shiftTest in the base config, the drop under
 * domain shift is reported per ratio too.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { asUsageError, listOption, numberOption, parseCommandArgs } from '../args.js';
import { loadCompareConfig } from '../../compare/config-file.js';
import { parseSweepValues, sweepConfig, writeSweepReport } from '../../compare/sweeps.js';
import { printFooter, printTables } from '../../compare/print.js';
import { stderrProgress } from '../../data/progress.js';
import { parseQueueValues, queueOptionSpec, queueOptionUsage, reportFailures, runCompareMode } from '../compare-mode.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const usage = `usage: optical mix-sweep --config <base.json | shipped name> [--ratios 0,0.25,0.5,0.75] [--p 0.5] [--scheme bl|ml] [--metric nDCG@10] [--out runs] [--queue redis://HOST:PORT] [--engine native|tfjs|auto]

--ratios are shares of training pairs kept monolingual English (0 = all code-switched).
Writes runs/<base>-mix-sweep/mix-sweep.{md,json} and plots/mix-ratio.svg.

${queueOptionUsage}`;

export const command: Command = {
  name: 'mix-sweep',
  summary: 'mixed-data ratio sweep (code-switched : monolingual training pairs)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, ratios: { type: 'string' }, p: { type: 'string' }, scheme: { type: 'string', default: 'bl' }, metric: { type: 'string', default: 'nDCG@10' }, out: { type: 'string', default: 'runs' }, ...queueOptionSpec });
    const q = parseQueueValues(values);
    if (!values.config) throw new UsageError('--config is required');
    if (values.scheme !== 'bl' && values.scheme !== 'ml') throw new UsageError(`--scheme must be 'bl' or 'ml', got '${values.scheme}'`);
    const p = numberOption('p', values.p, 0.5);
    const scheme = values.scheme;
    const config = asUsageError(() => sweepConfig(loadCompareConfig(values.config!), 'mix', parseSweepValues('ratios', listOption(values.ratios, ['0', '0.25', '0.5', '0.75'])), { scheme, p }));
    const result = await runCompareMode(config, q, { outRoot: values.out!, progress: stderrProgress('mix-sweep') });
    printTables(config, result, ['clir', 'shift']);
    await writeSweepReport(result.dir, config, result.report, 'mix', values.metric!);
    console.log('\n' + readFileSync(join(result.dir, 'mix-sweep.md'), 'utf8'));
    printFooter(result);
    return reportFailures(result.failed);
  },
};
