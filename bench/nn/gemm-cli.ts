/**
 * `optical bench gemm` and `npm run bench:gemm` (node dist/bench/nn/gemm.js): option parsing, the
 * run, the table on stdout and the optional JSON file.
 */
import { writeFileSync } from 'node:fs';
import { UsageError } from '../../src/cli/command.js';
import { listOption, numberOption, parseCommandArgs } from '../../src/cli/args.js';
import type { IsaLevel } from '../../src/models/native-gemm.js';
import { GEOMETRIES, geometryCases } from './gemm-cases.js';
import { runGemmBench, type GemmBenchConfig } from './gemm-harness.js';
import { formatGemmMarkdown, formatGemmReport } from './gemm-table.js';
import { GEMM_DEFAULTS } from './gemm-usage.js';

const OPTIONS = {
  threads: { type: 'string' },
  geometries: { type: 'string' },
  isa: { type: 'string' },
  budget: { type: 'string' },
  'min-reps': { type: 'string' },
  'peak-seconds': { type: 'string' },
  'no-openblas': { type: 'boolean' },
  'no-torch': { type: 'boolean' },
  python: { type: 'string' },
  json: { type: 'string' },
  markdown: { type: 'boolean' },
  quiet: { type: 'boolean' },
} as const;

const LEVELS: IsaLevel[] = ['baseline', 'x86-64-v3', 'x86-64-v4'];

function positive(name: string, value: string | undefined, fallback: number, integer: boolean): number {
  const n = numberOption(name, value, fallback);
  if (!(n > 0) || (integer && !Number.isInteger(n))) throw new UsageError(`--${name} must be ${integer ? 'an integer ' : 'a number '}> 0, got '${value}'`);
  return n;
}

/** Command-line arguments → config; every bad value is a UsageError naming the option. */
export function parseGemmBenchArgs(argv: string[]): GemmBenchConfig & { json?: string; quiet: boolean; markdown: boolean } {
  const { values: v } = parseCommandArgs(argv, OPTIONS);
  const threads = listOption(v.threads, GEMM_DEFAULTS.threads.split(',')).map((s) => {
    const t = Number(s);
    if (!Number.isInteger(t) || t < 1 || t > 1024) throw new UsageError(`--threads values must be integers in [1, 1024], got '${s}'`);
    return t;
  });
  if (threads.length === 0) throw new UsageError('--threads must name at least one thread count');
  const names = listOption(v.geometries, GEMM_DEFAULTS.geometries.split(','));
  const geometries = names.map((name) => {
    const g = GEOMETRIES.find((x) => x.name === name);
    if (!g) throw new UsageError(`--geometries: unknown geometry '${name}' (known: ${GEOMETRIES.map((x) => x.name).join(', ')})`);
    return g;
  });
  if (geometries.length === 0) throw new UsageError('--geometries must name at least one geometry');
  let isas: IsaLevel[] | undefined;
  if (v.isa !== undefined) {
    isas = listOption(v.isa, []).map((s) => {
      if (!(LEVELS as string[]).includes(s)) throw new UsageError(`--isa: unknown level '${s}' (known: ${LEVELS.join(', ')})`);
      return s as IsaLevel;
    });
    if (isas.length === 0) throw new UsageError('--isa must name at least one level');
  }
  return {
    cases: geometries.flatMap(geometryCases),
    threads,
    isas,
    openblas: !v['no-openblas'],
    torch: !v['no-torch'],
    python: v.python ?? GEMM_DEFAULTS.python,
    budgetSec: positive('budget', v.budget, GEMM_DEFAULTS.budget, false),
    minReps: positive('min-reps', v['min-reps'], GEMM_DEFAULTS.minReps, true),
    peakSeconds: positive('peak-seconds', v['peak-seconds'], GEMM_DEFAULTS.peakSeconds, false),
    seed: GEMM_DEFAULTS.seed,
    json: v.json,
    quiet: v.quiet ?? false,
    markdown: v.markdown ?? false,
  };
}

export async function runGemmBenchCli(argv: string[]): Promise<number> {
  const { json, quiet, markdown, ...cfg } = parseGemmBenchArgs(argv);
  const report = runGemmBench(cfg, quiet ? undefined : (line) => process.stderr.write(`${line}\n`));
  console.log(formatGemmReport(report));
  if (markdown) console.log(`\n${formatGemmMarkdown(report)}`);
  if (json) {
    writeFileSync(json, `${JSON.stringify(report, null, 2)}\n`);
    if (!quiet) process.stderr.write(`wrote ${json}\n`);
  }
  return report.rows.some((r) => r.status === 'error') ? 1 : 0;
}
