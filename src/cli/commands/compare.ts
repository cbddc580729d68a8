/**
 * `optical compare --config exp.json`: the end-to-end experiment (data, teacher, every method ×
 * seed × fold, report). Re-running the same command resumes: finished units are skipped.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { asUsageError, numberOption, parseCommandArgs } from '../args.js';
import { loadCompareConfig, shippedConfigNames } from '../../compare/config-file.js';
import { runCompare } from '../../compare/run-compare.js';
import { printFooter, printTables } from '../../compare/print.js';
import { stderrProgress } from '../../data/progress.js';

const usage = `usage: optical compare --config <exp.json | shipped name> [--out runs] [--max-units N]

Runs every method of the config (BM25, zero-shot, translate-test, code-switched fine-tuning,
hybrid batches, OPTICAL distillation) with the same teacher, data budget and seeds, and writes
runs/<name>/: TREC runs, qrels, metrics (mean ± CI over seeds, paired t-tests vs the baseline with
Bonferroni/Holm), MLIR language bias, SVG plots, report.md and manifest.json.
Interrupted? Run the same command again: finished method × seed × fold units are skipped.

  --config     config file, or a shipped config name: ${shippedConfigNames().join(', ') || '(none)'}
  --out        parent folder of the run folder (default: runs)
  --max-units  compute at most N new units, then write the report of what exists (partial run)`;

export const command: Command = {
  name: 'compare',
  summary: 'end-to-end comparison of CLIR methods (baselines vs OPTICAL) with statistics and a report',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string' },
      out: { type: 'string', default: 'runs' },
      'max-units': { type: 'string' },
    });
    if (!values.config) throw new UsageError('--config is required');
    const maxUnits = values['max-units'] === undefined ? undefined : numberOption('max-units', values['max-units'], 0);
    if (maxUnits !== undefined && (!Number.isInteger(maxUnits) || maxUnits < 0)) throw new UsageError(`--max-units must be a non-negative integer, got ${maxUnits}`);
    const config = asUsageError(() => loadCompareConfig(values.config!));
    const result = await runCompare(config, { outRoot: values.out, progress: stderrProgress('compare'), maxUnits });
    printTables(config, result);
    printFooter(result);
    return 0;
  },
};
