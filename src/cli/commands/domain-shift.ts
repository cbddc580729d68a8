/**
 * `optical domain-shift`: train on one domain, evaluate on another. A compare whose config names an
 * out-of-domain test (data.shiftTest); every model trained for the main test is also scored there,
 * and the drop per method is reported (e.g. EN→om: LibreOffice help → UDHR).
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { asUsageError, parseCommandArgs } from '../args.js';
import { loadCompareConfig } from '../../compare/config-file.js';
import { validateCompareConfig } from '../../compare/config.js';
import { dropTable } from '../../compare/report.js';
import { printFooter, printTables } from '../../compare/print.js';
import { stderrProgress } from '../../data/progress.js';
import { parseQueueValues, queueOptionSpec, queueOptionUsage, reportFailures, runCompareMode } from '../compare-mode.js';

const usage = `usage: optical domain-shift --config <exp.json | domain-shift-om> [--shift udhr|libreoffice] [--out runs] [--queue redis://HOST:PORT] [--engine native|tfjs|auto]

Trains every method of the config on its main test recipe's training data and evaluates it both
in domain and on a different recipe (data.shiftTest, or --shift). Prints both CLIR tables and the
drop per method (in-domain − shifted, with an approximate CI).

${queueOptionUsage}`;

export const command: Command = {
  name: 'domain-shift',
  summary: 'train on one domain, evaluate on another; drop per method',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { config: { type: 'string' }, shift: { type: 'string' }, out: { type: 'string', default: 'runs' }, ...queueOptionSpec });
    const q = parseQueueValues(values);
    if (!values.config) throw new UsageError('--config is required');
    let config = asUsageError(() => loadCompareConfig(values.config!));
    if (values.shift) {
      if (values.shift !== 'udhr' && values.shift !== 'libreoffice') throw new UsageError(`--shift must be 'udhr' or 'libreoffice', got '${values.shift}'`);
      const base = config;
      config = asUsageError(() => validateCompareConfig({ ...base, data: { ...base.data, shiftTest: values.shift } }, values.config));
    }
    if (!config.data.shiftTest) throw new UsageError('the config has no data.shiftTest: pass --shift udhr|libreoffice');
    const result = await runCompareMode(config, q, { outRoot: values.out!, progress: stderrProgress('domain-shift') });
    printTables(config, result, ['clir', 'shift']);
    console.log(`\nDrop under domain shift (${config.data.test} → ${config.data.shiftTest}); absolute drops also reflect how hard each test set is — compare methods with each other, not across test sets:\n`);
    console.log(dropTable(result.report.drops));
    printFooter(result);
    return reportFailures(result.failed);
  },
};
