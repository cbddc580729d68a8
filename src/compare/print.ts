/** Console output shared by the compare-family commands (tables go to stdout, progress to stderr). */
import type { CompareConfig } from './config.js';
import type { CompareRunResult } from './run-compare.js';
import { renderTable } from './report.js';

export function printTables(config: CompareConfig, result: CompareRunResult, scenarios?: readonly string[]): void {
  for (const t of result.report.tables) {
    if (scenarios && !scenarios.includes(t.scenario)) continue;
    const what = t.scenario === 'shift' ? `CLIR under domain shift (${config.data.shiftTest})` : t.scenario.toUpperCase();
    console.log(`\n${what}: ${t.rows[0]?.queries ?? 0} queries; mean ±sd over seeds [95% bootstrap CI]; † = significant vs ${t.baseline} (paired t-test, ${t.correction})\n`);
    console.log(renderTable(t, config.stats.confidence));
  }
}

export function printFooter(result: CompareRunResult): void {
  console.log(`\n${result.computed} unit(s) computed, ${result.skipped} reused from an earlier run, ${result.seconds.toFixed(1)} s. Report: ${result.dir}/report.md`);
  if (result.interrupted) console.log('stopped early (--max-units): run the same command again to continue');
}
