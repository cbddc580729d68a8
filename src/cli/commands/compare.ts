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
import { enqueueCompare } from '../../compare/queue/enqueue.js';
import { parseQueueValues, queueOptionSpec, queueOptionUsage, reportFailures, runCompareMode } from '../compare-mode.js';

const usage = `usage: optical compare --config <exp.json | shipped name> [--out runs] [--max-units N] [--engine native|tfjs|auto]
                       [--queue redis://HOST:PORT [--detach] [--queue-name optical] [--attempts 3]] [--shard-size 10240]

Runs every method of the config (BM25, zero-shot, translate-test, code-switched fine-tuning,
hybrid batches, OPTICAL distillation) with the same teacher, data budget and seeds, and writes
runs/<name>/: TREC runs, qrels, metrics (mean ± CI over seeds, paired t-tests vs the baseline with
Bonferroni/Holm), MLIR language bias, SVG plots, report.md and manifest.json.
Interrupted? Run the same command again: finished method × seed × fold units are skipped.

  --config     config file, or a shipped config name: ${shippedConfigNames().join(', ') || '(none)'}
  --out        parent folder of the run folder (default: runs)
  --max-units  compute at most N new units, then write the report of what exists (partial run)
${queueOptionUsage}
  --detach      with --queue: enqueue and return at once (follow with 'optical queue status --run <name>')`;

export const command: Command = {
  name: 'compare',
  summary: 'end-to-end comparison of CLIR methods (baselines vs OPTICAL) with statistics and a report',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, {
      config: { type: 'string' },
      out: { type: 'string', default: 'runs' },
      'max-units': { type: 'string' },
      detach: { type: 'boolean', default: false },
      ...queueOptionSpec,
    });
    if (!values.config) throw new UsageError('--config is required');
    const maxUnits = values['max-units'] === undefined ? undefined : numberOption('max-units', values['max-units'], 0);
    if (maxUnits !== undefined && (!Number.isInteger(maxUnits) || maxUnits < 0)) throw new UsageError(`--max-units must be a non-negative integer, got ${maxUnits}`);
    const q = parseQueueValues(values);
    if (q.queue !== undefined && maxUnits !== undefined) throw new UsageError('--max-units applies to in-process runs only (with --queue, stop workers instead)');
    if (values.detach && q.queue === undefined) throw new UsageError('--detach applies only with --queue');
    const config = asUsageError(() => loadCompareConfig(values.config!));
    const progress = stderrProgress('compare');
    if (values.detach) {
      const queued = await enqueueCompare(config, { queueUrl: q.queue!, queueName: q.queueName, attempts: q.attempts, shardSize: q.shardSize, outRoot: values.out, progress });
      console.log(`${queued.following ? 'already queued' : 'queued'}: run ${config.name}, ${queued.enqueued} unit(s) to compute, ${queued.skipped} finished earlier. Start workers with\n  optical worker --queue ${q.queue} --out <this shared folder on each machine>${q.queueName ? ` --queue-name ${q.queueName}` : ''}\nand follow it with\n  optical queue status --queue ${q.queue} --run ${config.name}${q.queueName ? ` --queue-name ${q.queueName}` : ''}`);
      return 0;
    }
    const result = maxUnits === undefined
      ? await runCompareMode(config, q, { outRoot: values.out!, progress })
      : { ...(await runCompare(config, { outRoot: values.out, progress, maxUnits, shardSize: q.shardSize, engine: q.engine })), failed: [] };
    printTables(config, result);
    printFooter(result);
    return reportFailures(result.failed);
  },
};
